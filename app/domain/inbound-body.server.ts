// What filing an inbound email keeps of its body: the attachments stored at their content address,
// the sanitized HTML and the text. Runs on the parse thread (inbound-parse.worker.ts) right after
// the parse, so neither the attachments' bytes nor the HTML's parse reach the main thread; imports
// only relative modules and packages, as the worker needs.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { displayFilename } from '../utils/filename.ts'
import type { FilesNotKept } from '../utils/files-not-kept.ts'
import { isBlockedFilename, isBlockedType, MAX_FILES, MAX_TOTAL_BYTES } from '../utils/ticket-schemas.ts'
import { sanitizeEmailHtml } from './email-html.server.ts'
import type { InboundMessage } from './inbound-parse.server.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

export type KeptFile = { filename: string; contentType: string; size: number; sha256: string }
export type InboundBody = {
  text: string
  html: string | null
  /** Kept, in the email's order. */
  files: KeptFile[]
  /** What was left out, by name, for the message (null: nothing). */
  notKept: FilesNotKept | null
  notes: string[]
}

const MAX_BODY_CHARS = 200_000

/**
 * Stores attachments and inline images like uploads (at most MAX_FILES files and MAX_TOTAL_BYTES
 * together, executables refused; what is left out is named in `notKept`, shown on the message, and
 * counted in `notes`, kept on the inbound row),
 * points the HTML's `cid:` links at the stored parts, sanitizes it, and picks the text.
 * `filesDir` is the file store's directory (DATA_DIR/files).
 */
export async function prepareInboundBody(email: InboundMessage, filesDir: string): Promise<InboundBody> {
  const files: KeptFile[] = []
  const byContentId = new Map<string, string>()
  const notes: string[] = []
  const notKept: FilesNotKept['files'] = []
  let total = 0
  let blocked = 0
  let overLimit = email.droppedAttachments
  for (const part of email.attachments) {
    const filename = displayFilename(part.filename)
    if (isBlockedFilename(part.filename) || isBlockedFilename(filename) || isBlockedType(part.contentType)) {
      blocked++
      notKept.push({ filename, reason: 'executable' })
      continue
    }
    if (files.length >= MAX_FILES || total + part.content.length > MAX_TOTAL_BYTES) {
      overLimit++
      notKept.push({ filename, reason: 'over-limit' })
      continue
    }
    const sha256 = await storeAt(filesDir, part.content)
    total += part.content.length
    files.push({ filename, contentType: safeType(part.contentType), size: part.content.length, sha256 })
    if (part.contentId) byContentId.set(part.contentId.toLowerCase(), sha256)
  }
  if (blocked > 0) notes.push(`${blocked} executable attachment(s) refused.`)
  if (overLimit > 0)
    notes.push(`${overLimit} attachment(s) over the limit (${MAX_FILES} files, 25 MB) not kept.`)
  const html = email.html ? sanitizeEmailHtml(rewriteCids(email.html, byContentId)) : null
  const dropped = email.droppedAttachments
  return {
    text: bodyText(email, html),
    html,
    files,
    notKept: notKept.length + dropped > 0 ? { files: notKept, more: dropped } : null,
    notes,
  }
}

/**
 * Writes `bytes` at their content address under `filesDir` (as storeStream does for uploads: a
 * temporary file renamed into place once complete, so a reader never sees half a file).
 */
async function storeAt(filesDir: string, bytes: Buffer) {
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const target = path.join(filesDir, sha256.slice(0, 2), sha256)
  const tmp = path.join(filesDir, 'tmp', randomBytes(12).toString('hex'))
  try {
    await fs.mkdir(path.dirname(tmp), { recursive: true })
    await fs.writeFile(tmp, bytes)
    await fs.mkdir(path.dirname(target), { recursive: true })
    await fs.rename(tmp, target)
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined)
    throw error
  }
  return sha256
}

function safeType(value: string) {
  return /^[\w.+-]+\/[\w.+-]+$/.test(value) ? value.toLowerCase() : 'application/octet-stream'
}

/** `cid:<content-id>` becomes `cid:<sha256>` of the stored part; the thread maps it to the attachment route. */
function rewriteCids(html: string, byContentId: Map<string, string>) {
  return html.replace(/cid:([^"'\s>)]+)/gi, (whole, id: string) => {
    const sha = byContentId.get(decodedId(id).toLowerCase())
    return sha ? `cid:${sha}` : whole
  })
}

/** A malformed escape (`cid:%E0%A4%A`) is matched as written rather than failing the filing. */
function decodedId(id: string) {
  try {
    return decodeURIComponent(id)
  } catch {
    return id
  }
}

/** The text part, else the sanitized HTML's text; cut to what search and storage take. */
function bodyText(email: InboundMessage, html: string | null) {
  let text = email.text.replace(/\r\n/g, '\n').trim()
  if (!text && html) {
    text = html
      .replace(/<(br|\/p|\/div|\/tr|\/li|\/h\d)[^>]*>/gi, '\n')
      .replace(/<[^>]+>/g, '')
      .replace(/&nbsp;/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  }
  return sliceWhole(text || '(no text)', MAX_BODY_CHARS)
}
