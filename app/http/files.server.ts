import fs from 'node:fs'
import { createReadableStreamFromReadable } from '@remix-run/node'
import { openStored, pathFor } from '#app/integrations/storage.server.ts'
import { logger } from '#app/logger.server.ts'

// Serving stored files. The domain decides who may download what and hands back the file's
// metadata (app/domain/attachments.server.ts, customer-portal.server.ts); this module streams it.

export type DownloadableFile = {
  id: string
  filename: string
  contentType: string
  size: number
  sha256: string
}

/** Raster images a browser may show inline; everything else (SVG and HTML included) downloads. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/

/**
 * Response headers for an attachment. The stored type came from the uploader, so it is only
 * trusted as a label: inline display is limited to safe raster images, and the sandbox CSP plus
 * nosniff keep anything else from running as our origin.
 */
export function downloadHeaders(file: { filename: string; contentType: string; size: number }) {
  const mediaType = file.contentType.split(';')[0].trim().toLowerCase()
  const contentType = MEDIA_TYPE.test(mediaType) ? mediaType : 'application/octet-stream'
  const disposition = INLINE_TYPES.has(contentType) ? 'inline' : 'attachment'
  // RFC 6266: an ASCII fallback for old clients, and the exact name as RFC 8187 filename*.
  const fallback = file.filename.replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'download'
  const encoded = encodeURIComponent(file.filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return new Headers({
    'Content-Type': contentType,
    'Content-Disposition': `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`,
    'Content-Length': String(file.size),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': 'sandbox',
    // Not kept on disk either: a shared computer's cache would hand the file to the next person.
    'Cache-Control': 'private, no-store',
  })
}

/**
 * The stored file as a streamed download with the safe headers (plus `extraHeaders`), or
 * undefined when it is missing from storage (logged; the route answers 404).
 */
export async function streamFile(file: DownloadableFile, extraHeaders: Record<string, string> = {}) {
  try {
    await fs.promises.access(pathFor(file.sha256), fs.constants.R_OK)
  } catch {
    logger().error({ attachmentId: file.id, sha256: file.sha256 }, 'attachment missing from storage')
    return undefined
  }
  const headers = downloadHeaders(file)
  for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value)
  return new Response(createReadableStreamFromReadable(openStored(file.sha256)), { status: 200, headers })
}
