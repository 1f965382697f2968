import { renderToStringSegments } from 'react-dom/server'

declare module 'react-dom/server' {
  /**
   * Added by patches/react-dom+18.3.1.patch: renderToString's markup as strings of whole chunks,
   * at least 2,048 characters each but the last; joined, they are renderToString's result.
   */
  export function renderToStringSegments(
    element: React.ReactNode,
    options?: { identifierPrefix?: string },
  ): string[]
}

const DOCTYPE = '<!DOCTYPE html>'
/** Kept between pages up to this size (a page needs its own bytes only); larger ones are dropped. */
const SCRATCH_KEPT_BYTES = 1024 * 1024

let scratch: Buffer | null = null

/**
 * A page's markup (React's renderToString, in segments) as the bytes to send, the doctype first,
 * or null when the markup holds a boundary React could not finish (`<!--$!`: a component
 * suspended, which renderToString cannot wait for; none does today). Each segment is encoded on
 * its own into one scratch buffer and the page copied out of it: the whole page as one string was
 * a rope of thousands of chunks, flattened and then measured and encoded in two more passes (an
 * 80 KB inbox page: ~0.45 ms against ~0.16 ms in segments, docs/performance.md session 34). A
 * segment ends at a chunk's end, and React writes the marker as one chunk, so a search per
 * segment finds it. Text that only looks like the marker (React escapes `<` in text; an email's
 * own HTML may not) costs the page rendered by the streaming renderer instead, nothing else.
 */
export function renderPageBytes(element: React.ReactNode): Buffer | null {
  const segments = renderToStringSegments(element)
  let written = 0
  let room = DOCTYPE.length
  for (const segment of segments) {
    if (segment.includes('<!--$!')) return null
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    room += segment.length * 3
  }
  if (scratch === null || scratch.length < room) scratch = Buffer.allocUnsafeSlow(Math.max(room, 64 * 1024))
  written += scratch.write(DOCTYPE, written, 'latin1')
  for (const segment of segments) written += scratch.write(segment, written)
  const bytes = Buffer.from(scratch.subarray(0, written))
  if (scratch.length > SCRATCH_KEPT_BYTES) scratch = null
  return bytes
}
