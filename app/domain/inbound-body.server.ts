// What filing an inbound email keeps of its body: the attachments stored at their content address,
// the sanitized HTML and the text. Runs on the parse thread (inbound-parse.worker.ts) right after
// the parse, so neither the attachments' bytes nor the HTML's parse reach the main thread; imports
// only relative modules and packages, as the worker needs.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { displayFilename } from '../utils/filename.ts'
import { withoutPrivateLinks } from '../utils/private-links.ts'
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
  /**
   * Words of the HTML part its text part lacks (an email with both), each once: the ticket's
   * search document holds them too, so a word only the HTML has is found. '' when none.
   */
  htmlOnlyWords: string
}

/** An email's text kept on its message (search, the thread, quotes, the API): longer is cut. */
export const MAX_BODY_CHARS = 200_000

/** The whole text of an email cut at MAX_BODY_CHARS, attached to its message. */
export const ORIGINAL_TEXT_FILENAME = 'original-message.txt'

/** Ends the kept text of an email that was cut. */
export const BODY_CUT_NOTE = `[This email was longer than ${MAX_BODY_CHARS.toLocaleString('en-US')} characters; the rest was not kept here. The whole text is attached as ${ORIGINAL_TEXT_FILENAME}.]`

/**
 * Stores attachments and inline images like uploads (at most MAX_FILES files and MAX_TOTAL_BYTES
 * together, executables refused; what is left out is named in `notKept`, shown on the message, and
 * counted in `notes`, kept on the inbound row),
 * points the HTML's `cid:` links at the stored parts, sanitizes it, and picks the text; our own
 * private links are removed from both (withoutPrivateLinks).
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
  // The same file twice in one email (same name, same bytes) is kept once: a calendar invitation
  // carries its text/calendar alternative part and the attached invite.ics, listed twice before.
  const seen = new Set<string>()
  for (const part of email.attachments) {
    const filename = displayFilename(part.filename, part.contentType)
    const hash = createHash('sha256').update(part.content).digest('hex')
    const same = `${filename}\n${hash}`
    if (seen.has(same)) {
      // Its `cid:` still shows the one kept (the same bytes, so the same content address).
      if (part.contentId && files.some((f) => f.sha256 === hash))
        byContentId.set(part.contentId.toLowerCase(), hash)
      continue
    }
    seen.add(same)
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
    const sha256 = await storeAt(filesDir, part.content, hash)
    total += part.content.length
    files.push({ filename, contentType: safeType(part.contentType), size: part.content.length, sha256 })
    if (part.contentId) byContentId.set(part.contentId.toLowerCase(), sha256)
  }
  if (blocked > 0) notes.push(`${blocked} executable attachment(s) refused.`)
  if (overLimit > 0)
    notes.push(`${overLimit} attachment(s) over the limit (${MAX_FILES} files, 25 MB) not kept.`)
  const html = email.html ? sanitizeEmailHtml(rewriteCids(email.html, byContentId)) : null
  // Our private links go before anything is kept (sanitizeEmailHtml drops them from the HTML).
  let text = withoutPrivateLinks(bodyText(email, html))
  if (text.length > MAX_BODY_CHARS) {
    // Cut where it is kept, never silently: the note ends the kept text, and the whole text stays
    // with the message as a file of its own (the raw post is deleted after INBOUND_RAW_RETENTION_DAYS),
    // beyond the 10 files and 25 MB the sender's attachments may take.
    const whole = Buffer.from(text, 'utf8')
    files.push({
      filename: ORIGINAL_TEXT_FILENAME,
      contentType: 'text/plain; charset=utf-8',
      size: whole.length,
      sha256: await storeAt(filesDir, whole),
    })
    notes.push(
      `Text longer than ${MAX_BODY_CHARS} characters: cut, the whole text attached as ${ORIGINAL_TEXT_FILENAME}.`,
    )
    text = `${sliceWhole(text, MAX_BODY_CHARS)}\n\n${BODY_CUT_NOTE}`
  }
  const dropped = email.droppedAttachments
  return {
    text,
    html,
    htmlOnlyWords: html && email.text.trim() ? htmlOnlyWords(text, html) : '',
    files,
    notKept: notKept.length + dropped > 0 ? { files: notKept, more: dropped } : null,
    notes,
  }
}

/**
 * Writes `bytes` at their content address under `filesDir` (as storeStream does for uploads: a
 * temporary file renamed into place once complete, so a reader never sees half a file).
 */
async function storeAt(filesDir: string, bytes: Buffer, hashed?: string) {
  const sha256 = hashed ?? createHash('sha256').update(bytes).digest('hex')
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

/** The text part, else the sanitized HTML's text, whole. */
function bodyText(email: InboundMessage, html: string | null) {
  let text = email.text.replace(/\r\n/g, '\n').trim()
  if (!text && html) text = htmlText(html)
  return text || '(no text)'
}

/** How many characters of an email's HTML-only words its ticket's search document takes. */
export const HTML_ONLY_WORDS_CHARS = 20_000

/**
 * The words of the HTML's text that the text part does not have, each once, in their order
 * (compared without case and without the punctuation around them): what the search document
 * needs beside the text part. Most emails' parts say the same, and then this is ''.
 */
export function htmlOnlyWords(text: string, html: string) {
  const have = new Set(wordsOf(text))
  const extra = new Set<string>()
  for (const word of wordsOf(htmlText(html))) if (!have.has(word)) extra.add(word)
  const words = [...extra].join(' ')
  if (words.length <= HTML_ONLY_WORDS_CHARS) return words
  // Cut between words: half a word would be a word of its own.
  const cut = sliceWhole(words, HTML_ONLY_WORDS_CHARS)
  return cut.slice(0, Math.max(0, cut.lastIndexOf(' ')))
}

function wordsOf(text: string) {
  return text
    .split(/\s+/)
    .map((word) => word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').toLowerCase())
    .filter((word) => word.length > 0)
}

/** Tags whose start or end begins a new line of the text. */
const LINE_BREAK =
  /^(?:br|p|div|tr|li|h[1-6]|blockquote|pre|table|ul|ol|dl|dt|dd|hr|address|figure|figcaption|caption|center|details)$/

/**
 * The sanitized HTML's text as a mail program's text part would have it: a line per paragraph,
 * row and line break; a row's cells separated by a tab (`SKU⇥Qty`, not `SKUQty`); each line of a
 * blockquote prefixed with `> ` (per level), so the quoted history of an HTML-only reply reads as
 * quoted wherever the text is used (search, the API, the customer's page, our quotes, which leave
 * an email's trailing quote out); white space runs as one space, as a browser shows them, except
 * in `<pre>`.
 */
function htmlText(html: string) {
  const lines: Array<{ depth: number; text: string }> = []
  let line = ''
  let depth = 0
  let lineDepth = 0
  let pre = 0
  const breakLine = () => {
    lines.push({ depth: lineDepth, text: line.replace(/[ \t]+$/, '') })
    line = ''
    lineDepth = depth
  }
  const add = (value: string) => {
    if (!line) lineDepth = depth
    // A line's leading spaces are the HTML's indentation, except in <pre>.
    line += line || pre > 0 ? value : value.replace(/^ +/, '')
  }
  for (const [token] of html.matchAll(/<[^>]*>|[^<]+/g)) {
    const tag = /^<(\/?)([a-z][a-z0-9]*)/i.exec(token)
    if (!tag) {
      if (token.startsWith('<')) continue
      if (pre === 0) {
        add(decodeEntities(token.replace(/[ \t\n\r\f]+/g, ' ')))
        continue
      }
      const [first, ...rest] = decodeEntities(token.replace(/\r\n?/g, '\n')).split('\n')
      add(first!)
      for (const part of rest) {
        breakLine()
        add(part)
      }
      continue
    }
    const closing = tag[1] === '/'
    const name = tag[2]!.toLowerCase()
    if (name === 'td' || name === 'th') {
      if (!closing && line.trim()) line = `${line.replace(/[ \t]+$/, '')}\t`
      continue
    }
    if (!LINE_BREAK.test(name)) continue
    if (name === 'br' || line.trim()) breakLine()
    else line = ''
    if (name === 'blockquote') depth = Math.max(0, depth + (closing ? -1 : 1))
    if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : 1))
    lineDepth = depth
  }
  if (line.trim()) breakLine()
  // At most one empty line in a row (of a level), none at either end.
  const kept = lines.filter(
    (l, i) => l.text || (i > 0 && (lines[i - 1]!.text !== '' || lines[i - 1]!.depth !== l.depth)),
  )
  while (kept.length > 0 && !kept.at(-1)!.text) kept.pop()
  return kept
    .map(({ depth: level, text }) => {
      const prefix = '> '.repeat(level)
      return text ? `${prefix}${text}` : prefix.trimEnd()
    })
    .join('\n')
}

function decodeEntities(text: string) {
  return text
    .replace(/&nbsp;|\u00a0/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}
