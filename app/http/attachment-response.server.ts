import { createReadableStreamFromReadable } from '@remix-run/node'
import { openStored } from '#app/integrations/storage.server.ts'

/** Raster images a browser may show inline; everything else (SVG and HTML included) downloads. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])

function contentDisposition(type: 'inline' | 'attachment', filename: string) {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

/**
 * Streams a stored attachment with headers that keep it from running in our origin: download
 * unless a safe raster image, no MIME sniffing, and a sandboxing CSP on the response itself.
 */
export function attachmentResponse(file: {
  filename: string
  contentType: string
  size: number
  sha256: string
}) {
  const contentType = /^[\w.+-]+\/[\w.+-]+$/.test(file.contentType)
    ? file.contentType.toLowerCase()
    : 'application/octet-stream'
  const inline = INLINE_TYPES.has(contentType)
  return new Response(createReadableStreamFromReadable(openStored(file.sha256)), {
    headers: {
      'Content-Type': inline ? contentType : 'application/octet-stream',
      'Content-Length': String(file.size),
      'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', file.filename),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "sandbox; default-src 'none'",
      'Cache-Control': 'private, no-store',
      'Referrer-Policy': 'no-referrer',
    },
  })
}
