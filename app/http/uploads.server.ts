import { createHash } from 'node:crypto'
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'
import type { StoredFile } from '#app/domain/tickets.server.ts'
import {
  StorageError,
  storeStream,
  TooLargeError,
  type StoredCopy,
} from '#app/integrations/storage.server.ts'
import { logger } from '#app/logger.server.ts'
import { dropUpload, holdUpload, markUpload, type UploadMark } from './upload-holds.server.ts'
import { isBlockedFilename, isBlockedType, MAX_FILES, MAX_TOTAL_BYTES } from '#app/utils/ticket-schemas.ts'
import { displayFilename } from '#app/utils/filename.ts'
import {
  assertFormShape,
  checkFieldName,
  FORM_LIMITS,
  formRefused,
  tooManyPairs,
} from './form-data.server.ts'

export type ParsedUpload =
  | {
      ok: true
      formData: FormData
      files: StoredFile[]
      /**
       * False when `admitFiles` refused the files: they were read, counted and hashed (the same
       * limits and messages), and not written. Never name them in a row.
       */
      admitted: boolean
    }
  | { ok: false; formData: FormData; error: string }

export type UploadOptions = {
  /**
   * Asked once, before the first file is written, with the fields read so far (the form's fields
   * before its file input): false answers the post without writing any file, as when a rate
   * limit is already spent. A throw counts as true: the action's own check still decides.
   */
  admitFiles?: (fieldsSoFar: FormData) => Promise<boolean>
  /**
   * Fields `admitFiles` needs, which the page's form has before its file input (a browser sends
   * parts in the form's order): a file part before one of them is refused (filesBefore, a 400 on
   * the files) without being written, so the admission never judges without them. Only a
   * hand-made post sends them in another order.
   */
  fieldsBeforeFiles?: readonly string[]
  /**
   * Fields a form may leave out, but sends before its file input when it has them (the ticket
   * composer's CC and BCC, absent from a note): one that arrives after a file refuses the post
   * (filesBefore, a 400 on the files), since `admitFiles` judged the files without it.
   */
  optionalFieldsBeforeFiles?: readonly string[]
}

/** The refusal of a file sent before a field the upload's admission needs (`fieldsBeforeFiles`). */
export const filesBefore = (field: string) =>
  `Files must be sent after the ${field} field, as the form sends them; nothing was attached`

export const UNREADABLE_UPLOAD = 'The upload could not be read'
export const STORAGE_FAILED = 'The file could not be stored, try again later'
export const FIELD_TOO_LONG = 'The message is too long'

// Text fields are checked by the form schemas (a message is at most 100 KB); this only stops abuse.
const FIELD_LIMIT = 1024 * 1024

/**
 * Parses a form that may carry files (field name `files`) with busboy, as it streams in. Files
 * go to content-addressed storage while counted: more than 10 files, more than 25 MB together,
 * an executable type or a disk that refuses the file stops the upload with a message for the
 * user, and the rest of the body is still read so the typed text comes back. A body that is not
 * a readable form (no boundary, a part without a name or Content-Disposition, cut short) is
 * reported as UNREADABLE_UPLOAD, never thrown. Field names beyond FORM_LIMITS (too many, too
 * deep) throw form-data.server.ts's small 400 before anything reaches Conform. Plain
 * url-encoded forms (the ticket page's sidebar forms; the composer itself posts multipart) are
 * read whole when small, with the same limits and outcomes (`readUrlEncoded`).
 */
export async function parseFormWithFiles(
  request: Request,
  options: UploadOptions = {},
): Promise<ParsedUpload> {
  const contentType = (request.headers.get('content-type') ?? '').toLowerCase()
  // Only with its length announced (always, behind bodyLimit): a body of unknown size streams.
  const length = request.headers.get('content-length')
  if (
    contentType.startsWith('application/x-www-form-urlencoded') &&
    length !== null &&
    Number(length) <= URLENCODED_READ_WHOLE
  ) {
    return readUrlEncoded(request)
  }
  const formData = new FormData()
  const files: StoredFile[] = []
  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: { 'content-type': request.headers.get('content-type') ?? undefined },
      // Browsers send filenames as raw UTF-8 inside filename="…" (busboy assumes latin1).
      defParamCharset: 'utf8',
      // busboy's own base name turns `.` and `..` into "" (no file chosen): the file was dropped
      // without a word. The last path segment is taken below instead.
      preservePath: true,
      // One more of each than allowed, so going over is seen and refused with a message.
      limits: {
        fields: FORM_LIMITS.maxFields + 1,
        fieldSize: FIELD_LIMIT,
        // busboy cuts url-encoded names at 100 bytes by default and passes the rest on: one more,
        // so a name over FORM_LIMITS.maxNameLength is seen and refused, as in readUrlEncoded.
        fieldNameSize: FORM_LIMITS.maxNameLength + 1,
        // And one for the empty part of a file input left empty.
        files: MAX_FILES + 2,
        parts: FORM_LIMITS.maxFields + 2,
        // One byte past the total, so storeStream's meter (not busboy's silent cut) stops it.
        fileSize: MAX_TOTAL_BYTES + 1,
      },
    })
  } catch {
    // No or unsupported content type, multipart without a boundary.
    return { ok: false, formData, error: UNREADABLE_UPLOAD }
  }

  let unreadable = false
  let fieldTooLong = false
  let shapeRefused = false
  let problem: string | null = null
  // Every part's name, for the form-shape check (bounded by the parts limit).
  const names: string[] = []
  let accepted = 0
  // A file part with a name has arrived (optionalFieldsBeforeFiles may no longer follow).
  let fileSeen = false
  let stored = 0
  // Files are stored one after the other, so each knows how much of the 25 MB is left.
  let storing: Promise<void> = Promise.resolve()
  let admission: Promise<boolean> | undefined
  const admitted = () =>
    (admission ??= options.admitFiles
      ? options.admitFiles(formData).catch((error: unknown) => {
          logger().warn({ err: error }, 'upload admission could not be checked')
          return true
        })
      : Promise.resolve(true))

  /** Records a part's name; false when the part must be ignored. */
  const acceptName = (name: string | undefined): name is string => {
    if (name === undefined || name === '') {
      unreadable = true
      return false
    }
    names.push(name)
    if (names.length > FORM_LIMITS.maxFields || checkFieldName(name) !== null) shapeRefused = true
    return !shapeRefused
  }

  parser.on('field', (name, value, info) => {
    if (!acceptName(name)) return
    if (fileSeen && options.optionalFieldsBeforeFiles?.includes(name)) problem ??= filesBefore(name)
    if (info.valueTruncated) fieldTooLong = true
    else formData.append(name, value)
  })

  parser.on('file', (name, stream, info) => {
    // busboy's file stream must be read to its end whatever happens, or the parser stalls.
    const drain = () => void stream.resume()
    // It fails when the body is cut short inside the file.
    stream.on('error', () => (unreadable = true))
    const skip = () => problem !== null || unreadable || shapeRefused
    if (!acceptName(name) || name !== 'files' || !info.filename || skip()) return drain()
    fileSeen = true
    const raw = info.filename
    const filename = displayFilename(raw.slice(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1))
    const missing = options.fieldsBeforeFiles?.find((field) => !formData.has(field))
    if (missing !== undefined) problem = filesBefore(missing)
    else if (accepted >= MAX_FILES) problem = `Attach at most ${MAX_FILES} files`
    else if (isBlockedFilename(info.filename) || isBlockedFilename(filename) || isBlockedType(info.mimeType))
      problem = `${filename}: executable files are not allowed`
    if (problem) return drain()
    accepted++
    storing = storing.then(async () => {
      if (skip() || stream.destroyed) return drain()
      // Storage reads a copy it may destroy on failure; the original is then drained.
      const copy = new PassThrough()
      copy.on('error', () => undefined) // storeStream's pipeline reports it
      stream.on('error', (error) => copy.destroy(error))
      stream.pipe(copy)
      try {
        // The upload's use of the address is marked before its copy takes it (markUpload).
        const marked: { mark?: UploadMark } = {}
        const beforeAddress = async (sha256: string, storedCopy: StoredCopy) => {
          marked.mark = await markUpload(sha256, storedCopy)
        }
        const kept = (await admitted())
          ? await storeStream(copy, MAX_TOTAL_BYTES - stored, { beforeAddress }).catch(async (error) => {
              if (marked.mark) await dropUpload(marked.mark)
              throw error
            })
          : null
        const { sha256, size } = kept ?? (await hashStream(copy, MAX_TOTAL_BYTES - stored))
        if (kept && marked.mark) await holdUpload(marked.mark, kept.created)
        stored += size
        files.push({
          filename,
          contentType: (info.mimeType || 'application/octet-stream').slice(0, 100),
          size,
          sha256,
        })
      } catch (error) {
        stream.unpipe(copy)
        drain()
        if (error instanceof TooLargeError) problem ??= 'Attachments are limited to 25 MB in total'
        else if (error instanceof StorageError) {
          logger().error({ err: error.cause, code: error.code }, 'upload could not be stored')
          problem ??= STORAGE_FAILED
        }
        // The source failed: the body was cut short.
        else unreadable = true
      }
    })
  })

  parser.on('filesLimit', () => (problem ??= `Attach at most ${MAX_FILES} files`))
  // More parts than fields and files allow: the names collected already break FORM_LIMITS.
  parser.on('partsLimit', () => (shapeRefused = true))

  const multipart = contentType.startsWith('multipart/')
  const counter = multipart ? PartCounter.for(request.headers.get('content-type')!) : null
  try {
    if (length !== null && Number(length) <= MULTIPART_READ_WHOLE) {
      // The reply without files: read whole and handed to busboy in one write.
      const whole = Buffer.from(await request.arrayBuffer())
      counter?.scan(whole)
      await writeWhole(parser, whole)
    } else {
      const body = Readable.from(request.body ? chunksOf(request.body) : [])
      await (counter ? pipeline(body, counter, parser) : pipeline(body, parser))
    }
  } catch {
    // Unterminated, truncated, a malformed part header, or the client went away.
    unreadable = true
  }
  await storing
  if (shapeRefused) {
    const shape = new FormData()
    for (const name of names) shape.append(name, '')
    assertFormShape(shape)
  }
  // busboy skips parts without a (valid) Content-Disposition in silence; the count shows them.
  if (counter && !unreadable && counter.parts > names.length) unreadable = true
  if (unreadable) return { ok: false, formData, error: UNREADABLE_UPLOAD }
  // A field too large leaves no fields at all: the rest of the form would be misleading.
  if (fieldTooLong) return { ok: false, formData: new FormData(), error: FIELD_TOO_LONG }
  if (problem) return { ok: false, formData, error: problem }
  return { ok: true, formData, files, admitted: files.length === 0 || (await admitted()) }
}

/**
 * A request body's chunks, for a pipeline that may stop reading it: busboy refusing a part header
 * mid-body fails the pipeline, which destroys its source. `Readable.fromWeb` then cancels the
 * body, Remix's body stream destroys Node's request, and the socket with it: the client got a
 * connection reset instead of the 400. Here the reader's lock is only released; the rest of the
 * body is read and dropped after the response (discardUnreadBody), within the body limit.
 */
async function* chunksOf(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

/** storeStream's count and hash without the disk: a file not admitted (UploadOptions.admitFiles). */
async function hashStream(source: Readable, maxBytes: number) {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw new TooLargeError('File too large')
    hash.update(chunk)
  }
  return { sha256: hash.digest('hex'), size }
}

/**
 * Url-encoded bodies up to this size (the announced Content-Length) are read whole: twice the
 * field limit, so a field over it is still seen and refused as busboy would. Larger ones (the
 * ticket page's route takes 27 MB bodies, for files) stream through busboy, which keeps at most
 * FIELD_LIMIT of each field in memory.
 */
const URLENCODED_READ_WHOLE = 2 * FIELD_LIMIT

/**
 * Multipart bodies up to this size (announced) are read whole and given to busboy in one write:
 * a reply with its text and an empty file input is a few KB, and the stream path costs it a Node
 * stream made from the web stream Remix made from Node's request, and `pipeline`, whose end builds
 * an AbortError with its stack on every request. Bodies with files are mostly larger and stream.
 */
const MULTIPART_READ_WHOLE = 256 * 1024

/** Ends busboy with the whole body; rejects as `pipeline` would on a malformed or cut body. */
function writeWhole(parser: busboy.Busboy, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    // `on`, not `once`: busboy can emit several errors for one body (a malformed part header, then
    // "Unexpected end of form" when it ends unterminated), and an 'error' with no listener left
    // is an uncaught exception that ends the process.
    parser.on('error', reject)
    // 'close' follows 'finish' once busboy checked the body ended where it should.
    parser.once('close', () => resolve())
    parser.end(body)
  })
}

/**
 * A url-encoded form read whole: ~3% of a reply's server CPU less than busboy behind a web stream
 * turned into a Node stream and a pipeline (whose finish builds an AbortError with its stack).
 * The outcomes match busboy's path: a pair without a name is unreadable, a value over
 * FIELD_LIMIT bytes is "too long" and drops the form, more than FORM_LIMITS.maxFields fields or
 * a name past its limits throws the small 400.
 */
async function readUrlEncoded(request: Request): Promise<ParsedUpload> {
  const formData = new FormData()
  let body: string
  try {
    body = await request.text()
  } catch {
    // The client went away mid-body.
    return { ok: false, formData, error: UNREADABLE_UPLOAD }
  }
  // Counted before parsing: "&a" repeated would otherwise make a million entries of 2 MB.
  if (tooManyPairs(body)) throw formRefused()
  let unreadable = false
  let fieldTooLong = false
  let fields = 0
  for (const [name, value] of new URLSearchParams(body)) {
    if (name === '') {
      unreadable = true
      continue
    }
    // The same refusal assertFormShape gives: too many fields, or a name past FORM_LIMITS.
    if (++fields > FORM_LIMITS.maxFields || checkFieldName(name) !== null) throw formRefused()
    if (Buffer.byteLength(value) > FIELD_LIMIT) fieldTooLong = true
    else formData.append(name, value)
  }
  if (unreadable) return { ok: false, formData, error: UNREADABLE_UPLOAD }
  if (fieldTooLong) return { ok: false, formData: new FormData(), error: FIELD_TOO_LONG }
  return { ok: true, formData, files: [], admitted: true }
}

/**
 * Counts the parts a multipart body announces (each delimiter followed by CRLF, up to the close
 * delimiter). busboy drops a part without a Content-Disposition, or with one it cannot parse,
 * without a word; comparing this count with the parts it reported finds them.
 */
class PartCounter extends Transform {
  parts = 0
  private readonly delimiter: Buffer
  // The first delimiter may open the body with no CRLF before it (no preamble).
  private tail = Buffer.from('\r\n')
  private ended = false

  static for(contentType: string) {
    const boundary = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType)
    return new PartCounter(boundary?.[1] ?? boundary?.[2] ?? '')
  }

  private constructor(boundary: string) {
    super()
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1')
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    if (!this.ended) this.scan(chunk)
    callback(null, chunk)
  }

  /** Counts the parts in a chunk; the whole body when it is given in one. */
  scan(chunk: Buffer) {
    const data = Buffer.concat([this.tail, chunk])
    let from = 0
    for (;;) {
      const at = data.indexOf(this.delimiter, from)
      if (at === -1) break
      const after = at + this.delimiter.length
      if (after + 2 > data.length) {
        // What follows the delimiter is in the next chunk: look at this one again then.
        this.tail = data.subarray(at)
        return
      }
      const next = data.toString('latin1', after, after + 2)
      if (next === '--') {
        this.ended = true
        return
      }
      if (next === '\r\n') this.parts++
      from = after
    }
    this.tail = data.subarray(Math.max(from, data.length - this.delimiter.length - 1))
  }
}

/**
 * The names of the files a refused form carried. They are not kept (removed when the request
 * ends, upload-holds.server.ts): the page without JavaScript, whose file field comes back empty, names them to
 * attach again. With JavaScript the browser still holds them in the field.
 */
export function filesNotKept(upload: ParsedUpload) {
  return upload.ok ? upload.files.map((f) => f.filename) : []
}
