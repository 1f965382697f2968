import { sliceWhole } from '#app/utils/well-formed.ts'

/** At most this many characters of the inbox row's preview line. */
const PREVIEW_CHARS = 160

/**
 * The first line of a message as one trimmed line of plain text: quoted lines (`>`) and blank
 * lines are passed over, runs of white space collapse, and it is cut at PREVIEW_CHARS.
 */
export function previewLine(body: string | null) {
  if (!body) return null
  // Line by line, stopping at the first that counts: bodies are up to 600 characters and the
  // first line is usually it (this runs for every row of every queue page).
  let from = 0
  while (from <= body.length) {
    let end = body.indexOf('\n', from)
    if (end === -1) end = body.length
    const raw = body.slice(from, end)
    from = end + 1
    // Most lines separate their words with single spaces: only one with another kind of white
    // space, or a run of it, needs the collapsing replace (3-4 µs for a 300-character line here,
    // against ~0.3 µs for the test that finds there is nothing to collapse).
    const line = (IRREGULAR_SPACE.test(raw) ? raw.replace(SPACE_RUN, ' ') : raw).trim()
    if (!line || line.startsWith('>')) continue
    return line.length > PREVIEW_CHARS ? `${sliceWhole(line, PREVIEW_CHARS - 1).trimEnd()}…` : line
  }
  return null
}

/** White space other than a plain space, or a space followed by more white space. */
const IRREGULAR_SPACE = /[^\S ]| \s/
const SPACE_RUN = /\s+/g
