import { Readable } from 'node:stream'
import {
  MaxPartSizeExceededError,
  unstable_composeUploadHandlers,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type UploadHandler,
} from '@remix-run/node'
import type { StoredFile } from '#app/domain/tickets.server.ts'
import { storeStream, TooLargeError } from '#app/integrations/storage.server.ts'
import { isBlockedFilename, MAX_FILES, MAX_TOTAL_BYTES } from '#app/utils/ticket-schemas.ts'

export type ParsedUpload =
  { ok: true; formData: FormData; files: StoredFile[] } | { ok: false; formData: FormData; error: string }

// Text fields are checked by the form schemas (a message is at most 100 KB); this only stops abuse.
const FIELD_LIMIT = 1024 * 1024

/**
 * Parses a form that may carry files (field name `files`). Files stream to content-addressed
 * storage while counted: more than 10 files, more than 25 MB together, or an executable type
 * stops the upload with a message for the user. Plain url-encoded forms work too.
 */
export async function parseFormWithFiles(request: Request): Promise<ParsedUpload> {
  const contentType = request.headers.get('content-type') ?? ''
  if (!contentType.startsWith('multipart/form-data')) {
    return { ok: true, formData: await request.formData(), files: [] }
  }
  const files: StoredFile[] = []
  let total = 0
  let problem: string | null = null
  const fileHandler: UploadHandler = async ({ name, filename, contentType, data }) => {
    if (name !== 'files' || filename === undefined) return undefined
    if (!filename) {
      // An empty file input submits a nameless, empty part: skip it.
      for await (const _ of data) void _
      return undefined
    }
    if (problem) {
      for await (const _ of data) void _
      return undefined
    }
    if (files.length >= MAX_FILES) problem = `Attach at most ${MAX_FILES} files`
    else if (isBlockedFilename(filename)) problem = `${filename}: executable files are not allowed`
    if (problem) {
      for await (const _ of data) void _
      return undefined
    }
    try {
      const stored = await storeStream(Readable.from(data), MAX_TOTAL_BYTES - total)
      total += stored.size
      files.push({
        // eslint-disable-next-line no-control-regex -- control characters are what we strip
        filename: filename.replace(/[\\/\u0000-\u001f]/g, '_').slice(0, 200),
        contentType: (contentType || 'application/octet-stream').slice(0, 100),
        size: stored.size,
        sha256: stored.sha256,
      })
    } catch (error) {
      if (!(error instanceof TooLargeError)) throw error
      problem = 'Attachments are limited to 25 MB in total'
      for await (const _ of data) void _
    }
    return undefined
  }
  let formData: FormData
  try {
    formData = await unstable_parseMultipartFormData(
      request,
      unstable_composeUploadHandlers(
        fileHandler,
        unstable_createMemoryUploadHandler({ maxPartSize: FIELD_LIMIT }),
      ),
    )
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) {
      return { ok: false, formData: new FormData(), error: 'The message is too long' }
    }
    throw error
  }
  if (problem) return { ok: false, formData, error: problem }
  return { ok: true, formData, files }
}
