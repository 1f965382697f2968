/** A file part for a multipart form post. */
export function file(name: string, content: string | Uint8Array<ArrayBuffer>, type = 'text/plain') {
  return new File([content], name, { type })
}

/** A multipart form as a browser without JavaScript posts it: fields, then each file as `files`. */
export function multipartForm(fields: Record<string, string>, files: File[] = []) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const f of files) form.append('files', f)
  return form
}

export const RAW_BOUNDARY = 'switchboard-raw-boundary'

/** One part of a hand-written multipart body: its header lines and its content. */
export type RawPart = { headers: string[]; content?: string | Uint8Array }

/**
 * A multipart body written byte by byte, for what FormData cannot produce: parts without a
 * name or a Content-Disposition, raw UTF-8 or RFC 5987 filenames, bodies cut short. Ends with
 * the close delimiter unless `close` is false.
 */
export function rawMultipart(parts: RawPart[], options: { close?: boolean } = {}) {
  const chunks: Buffer[] = []
  for (const part of parts) {
    chunks.push(Buffer.from(`--${RAW_BOUNDARY}\r\n${part.headers.map((h) => `${h}\r\n`).join('')}\r\n`))
    chunks.push(Buffer.from(part.content ?? ''))
    chunks.push(Buffer.from('\r\n'))
  }
  if (options.close !== false) chunks.push(Buffer.from(`--${RAW_BOUNDARY}--\r\n`))
  return Buffer.concat(chunks)
}

/** A POST carrying `body` as multipart/form-data with RAW_BOUNDARY (or the given content type). */
export function rawMultipartRequest(
  url: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
  options: { contentType?: string | null; headers?: Record<string, string> } = {},
) {
  const contentType =
    options.contentType === undefined ? `multipart/form-data; boundary=${RAW_BOUNDARY}` : options.contentType
  return new Request(url, {
    method: 'POST',
    body,
    headers: { ...(contentType === null ? {} : { 'content-type': contentType }), ...options.headers },
    // A stream body needs this (Node's fetch API): the request is sent as it is produced.
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
}
