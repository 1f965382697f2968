import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import busboy from 'busboy'
import PostalMime, { addressParser, type Address, type Mailbox } from 'postal-mime'
import { unnamedFilename } from '#app/utils/filename.ts'
import { wellFormed, withoutNulText } from '#app/utils/well-formed.ts'
import { decodeCharset } from './charsets.server.ts'

/**
 * Turns a stored SendGrid Inbound Parse post into one shape, whichever mode it was posted in:
 * the default ("parsed": `from`, `to`, `text`, `html`, `headers`, `charsets`, `attachmentN`…)
 * or raw (`email` = the whole MIME message, parsed with postal-mime). See SendGrid's "Inbound
 * Parse Webhook" reference, "Default parameters" and "Raw parameters".
 */

export type ParsedAddress = { address: string; name: string }
export type ParsedAttachment = {
  filename: string
  contentType: string
  content: Buffer
  /** Without angle brackets; set for inline parts that the HTML names as cid:… */
  contentId: string | undefined
}
/** A delivery status notification (RFC 3464): what it reports on. */
export type DeliveryReport = {
  /** Message-IDs of the original message found in the returned headers. */
  originalMessageIds: string[]
  recipients: string[]
  /** failed, delayed, delivered, relayed, expanded (the first per-recipient Action). */
  action: string | undefined
  status: string | undefined
  diagnostic: string | undefined
}

export type InboundMessage = {
  mode: 'parsed' | 'raw'
  /** SMTP envelope: the empty reverse-path (bounces) is ''. */
  envelope: { from: string | undefined; to: string[] }
  from: ParsedAddress | undefined
  to: ParsedAddress[]
  cc: ParsedAddress[]
  deliveredTo: string[]
  subject: string
  text: string
  html: string | undefined
  /** Header names lower-cased, in order; values unfolded and decoded. */
  headers: Array<{ key: string; value: string }>
  messageId: string | undefined
  inReplyTo: string[]
  references: string[]
  attachments: ParsedAttachment[]
  /** Attachments beyond the first MAX_PARSED_ATTACHMENTS, counted and dropped while parsing. */
  droppedAttachments: number
  spf: string | undefined
  dkim: string | undefined
  report: DeliveryReport | undefined
  /**
   * The dedup key within a workspace: the Message-ID with the hash of what makes the email this one
   * (sameEmailHash), else the sha256 of the message. Some mailers and devices give every email the
   * same Message-ID (`<1@localhost.localdomain>`), so the Message-ID alone named several emails.
   */
  dedupKey: string
}

export class InboundParseError extends Error {}

/** Parts kept in memory at most: more are counted, not read (a 500-attachment email is refused later anyway). */
const MAX_PARSED_ATTACHMENTS = 50
const MAX_FIELD_BYTES = 36 * 1024 * 1024

type RawPost = {
  fields: Map<string, Buffer>
  files: ParsedAttachment[]
  dropped: number
  fileFields: string[]
}

/** Reads the multipart post with busboy: field values as latin1 (bytes kept as they are), re-decoded later by `charsets`. */
export async function readPost(contentType: string, body: Buffer): Promise<RawPost> {
  const fields = new Map<string, Buffer>()
  const files: ParsedAttachment[] = []
  const fileFields: string[] = []
  let dropped = 0
  await new Promise<void>((resolve, reject) => {
    let parser: busboy.Busboy
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        defCharset: 'latin1',
        defParamCharset: 'utf8',
        limits: { fieldSize: MAX_FIELD_BYTES, fields: 200, parts: 2000, files: 1500 },
      })
    } catch (error) {
      reject(new InboundParseError(`Unreadable post: ${(error as Error).message}`))
      return
    }
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return reject(new InboundParseError(`Field ${name} is too large`))
      fields.set(name, Buffer.from(value, 'latin1'))
    })
    parser.on('file', (name, stream, info) => {
      fileFields.push(name)
      if (files.length >= MAX_PARSED_ATTACHMENTS) {
        dropped++
        stream.resume()
        return
      }
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () =>
        files.push({
          filename: info.filename ?? name,
          contentType: info.mimeType,
          content: Buffer.concat(chunks),
          contentId: undefined,
          // The field name (attachment1…) is kept in contentId's place until attachment-info names it.
          ...{ field: name },
        } as ParsedAttachment),
      )
    })
    parser.on('error', (error: Error) => reject(new InboundParseError(`Unreadable post: ${error.message}`)))
    parser.on('close', () => resolve())
    Readable.from([body]).pipe(parser)
  })
  return { fields, files, dropped, fileFields }
}

export async function parseInboundPost(contentType: string, body: Buffer): Promise<InboundMessage> {
  const post = await readPost(contentType, body)
  const charsets = parseJson<Record<string, unknown>>(post.fields.get('charsets')?.toString('utf8'))
  const field = (name: string) => {
    const bytes = post.fields.get(name)
    return bytes === undefined ? undefined : decodeCharset(bytes, stringOrUndefined(charsets?.[name]))
  }
  const envelope = parseEnvelope(field('envelope'))
  const rawEmail = post.fields.get('email')
  if (rawEmail) {
    return withoutNul({
      ...(await parseMime(rawEmail)),
      mode: 'raw',
      envelope,
      spf: field('SPF'),
      dkim: field('dkim'),
    })
  }
  if (post.fields.size === 0 && post.files.length === 0) throw new InboundParseError('Empty post')
  const headerBlock = field('headers') ?? ''
  // The header block alone is a message without a body: postal-mime unfolds and decodes it.
  const head = await parseMimeOrRefuse(`${headerBlock.replace(/\r?\n/g, '\r\n').trimEnd()}\r\n\r\n`)
  // SendGrid's own JSON, but from a post: any field may be missing or of another type.
  const info = parseJson<Record<string, Record<string, unknown> | null>>(field('attachment-info'))
  const attachments = post.files.map((file) => {
    const { field } = file as ParsedAttachment & { field: string }
    const meta = info?.[field]
    const metaField = (name: string) =>
      meta && typeof meta === 'object' ? stringOrUndefined(meta[name]) : undefined
    const contentType = metaField('type') ?? file.contentType
    // A part's own filename that only repeats its field (attachment1) names nothing.
    const partName = file.filename === field ? '' : file.filename
    return {
      filename: metaField('filename') || metaField('name') || partName || defaultName(contentType),
      contentType,
      content: file.content,
      contentId: stripBrackets(metaField('content-id')),
    }
  })
  const from = firstAddress(field('from')) ?? mailbox(head.from)
  const to = addressList(field('to'))
  const cc = addressList(field('cc'))
  const text = field('text') ?? ''
  const html = field('html')
  const headers = head.headers.map((h) => ({ key: h.key.toLowerCase(), value: h.value }))
  const messageId = cleanMessageId(head.messageId)
  const subject = field('subject') ?? head.subject ?? ''
  const hashed = createHash('sha256')
    .update(headerBlock)
    .update('\0')
    .update(text)
    .update('\0')
    .update(html ?? '')
  return withoutNul({
    mode: 'parsed',
    envelope,
    from,
    to: to.length > 0 ? to : mailboxes(head.to),
    cc: cc.length > 0 ? cc : mailboxes(head.cc),
    deliveredTo: headers.filter((h) => h.key === 'delivered-to').map((h) => h.value.trim()),
    subject,
    text,
    html,
    headers,
    messageId,
    inReplyTo: messageIdsIn(head.inReplyTo),
    references: messageIdsIn(head.references),
    attachments,
    droppedAttachments: post.dropped,
    spf: field('SPF'),
    dkim: field('dkim'),
    report: isReport(headers) ? reportFrom(text, attachments) : undefined,
    dedupKey: messageId
      ? `mid:${messageId} ${sameEmailHash({ from, subject, headers, text, html, attachments })}`
      : `sha256:${hashed.digest('hex')}`,
  })
}

/** Raw mode: the whole message, with postal-mime (cid: links kept, charsets decoded). */
export async function parseMime(
  raw: Buffer,
): Promise<Omit<InboundMessage, 'mode' | 'envelope' | 'spf' | 'dkim'>> {
  const email = await parseMimeOrRefuse(raw, { attachmentEncoding: 'arraybuffer', maxNestingDepth: 50 })
  const headers = email.headers.map((h) => ({ key: h.key.toLowerCase(), value: h.value }))
  const all = email.attachments.map((a) => ({
    filename: a.filename || defaultName(a.mimeType),
    contentType: a.mimeType,
    content: Buffer.from(a.content as ArrayBuffer),
    contentId: stripBrackets(a.contentId),
  }))
  const attachments = all.slice(0, MAX_PARSED_ATTACHMENTS)
  const messageId = cleanMessageId(email.messageId)
  const from = mailbox(email.from)
  const subject = email.subject ?? ''
  const text = email.text ?? ''
  return {
    from,
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    deliveredTo: headers.filter((h) => h.key === 'delivered-to').map((h) => h.value.trim()),
    subject,
    text,
    html: email.html,
    headers,
    messageId,
    inReplyTo: messageIdsIn(email.inReplyTo),
    references: messageIdsIn(email.references),
    attachments,
    droppedAttachments: all.length - attachments.length,
    report: isReport(headers) ? reportFrom(email.text ?? '', all) : undefined,
    dedupKey: messageId
      ? `mid:${messageId} ${sameEmailHash({ from, subject, headers, text, html: email.html, attachments })}`
      : `sha256:${createHash('sha256').update(raw).digest('hex')}`,
  }
}

/**
 * What makes an email the same email, whichever mode it was posted in: its sender, subject, Date
 * header, body (the text, else the HTML; whitespace runs as one space, as the modes' line ends and
 * trailing newlines differ) and attachments' bytes. A SendGrid retry, or the same email posted in
 * raw and in parsed mode, has the same; a different email that reuses a Message-ID does not.
 */
export function sameEmailHash(email: {
  from: ParsedAddress | undefined
  subject: string
  headers: Array<{ key: string; value: string }>
  text: string
  html: string | undefined
  attachments: ParsedAttachment[]
}) {
  const oneLine = (value: string) => value.replace(/\s+/g, ' ').trim()
  const body = oneLine(email.text) || oneLine(email.html ?? '')
  const files = email.attachments
    .map((a) => createHash('sha256').update(a.content).digest('hex'))
    .sort()
    .join(',')
  return createHash('sha256')
    .update(
      [
        email.from?.address ?? '',
        oneLine(email.subject),
        oneLine(email.headers.find((h) => h.key === 'date')?.value ?? ''),
        body,
        files,
      ].join('\0'),
    )
    .digest('hex')
    .slice(0, 32)
}

/** A part without a name is named for its type (`invite.ics`), as displayFilename would. */
function defaultName(mimeType: string) {
  const named = unnamedFilename(mimeType)
  return named === 'attachment' && mimeType.startsWith('message/') ? 'message.eml' : named
}

function isReport(headers: Array<{ key: string; value: string }>) {
  const type = headers.find((h) => h.key === 'content-type')?.value ?? ''
  return /multipart\/report/i.test(type) && /report-type\s*=\s*"?delivery-status/i.test(type)
}

/** Reads RFC 3464 fields and the returned message's Message-ID from a DSN's parts. */
function reportFrom(text: string, parts: ParsedAttachment[]): DeliveryReport {
  const bodies = [
    text,
    ...parts.filter((p) => /^(message|text)\//i.test(p.contentType)).map((p) => p.content.toString('utf8')),
  ]
  const all = bodies.join('\n')
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(all)?.[1]?.trim()
  const originalMessageIds = firstDistinct(all.matchAll(/^Message-ID:\s*(<[^>\s]+>)/gim), (m) => m[1])
  const recipients = firstDistinct(all.matchAll(/^Final-Recipient:\s*rfc822;\s*<?([^\s<>]+)>?/gim), (m) =>
    m[1].toLowerCase(),
  )
  return {
    originalMessageIds,
    recipients,
    action: field('Action')?.toLowerCase(),
    status: field('Status'),
    diagnostic: field('Diagnostic-Code')?.slice(0, 300),
  }
}

/**
 * A report's Message-IDs and recipients, each once, at most MAX_REPORT_VALUES: a real report names
 * one or a few; one listing thousands would make its lookups as long (fileReport's queries).
 */
const MAX_REPORT_VALUES = 50

function firstDistinct(matches: Iterable<RegExpMatchArray>, value: (m: RegExpMatchArray) => string) {
  const found = new Set<string>()
  for (const m of matches) {
    found.add(value(m))
    if (found.size === MAX_REPORT_VALUES) break
  }
  return [...found]
}

/**
 * postal-mime's parse, its refusals (nesting deeper than the limit, a part it cannot read) made
 * InboundParseError: the same bytes fail the same way on every attempt, so the post is marked
 * failed at once instead of being retried until it is dead-lettered.
 */
async function parseMimeOrRefuse(...args: Parameters<typeof PostalMime.parse>) {
  try {
    return await PostalMime.parse(...args)
  } catch (error) {
    throw new InboundParseError(`Unreadable MIME: ${(error as Error).message}`)
  }
}

function stringOrUndefined(value: unknown) {
  return typeof value === 'string' ? value : undefined
}

/**
 * The parsed email with NUL characters removed from every text, lone surrogates made U+FFFD (body, subject, names, headers,
 * file names): PostgreSQL's text cannot hold NUL, and a body with one (quoted-printable `=00`
 * decodes to it) failed its ticket's insert on every attempt. Attachment bytes are untouched.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(withoutNulText(value)) as T
  if (Array.isArray(value)) return value.map((item) => withoutNul(item)) as T
  if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = withoutNul(item)
    return out as T
  }
  return value
}

function parseEnvelope(value: string | undefined) {
  const parsed = parseJson<{ from?: unknown; to?: unknown }>(value)
  const from = typeof parsed?.from === 'string' ? parsed.from.trim().toLowerCase() : undefined
  const to = Array.isArray(parsed?.to)
    ? parsed.to.filter((t): t is string => typeof t === 'string').slice(0, MAX_LISTED_ADDRESSES)
    : []
  return { from, to: to.map((t) => t.trim().toLowerCase()) }
}

function parseJson<T>(value: string | undefined): T | undefined {
  if (!value) return undefined
  try {
    return JSON.parse(value) as T
  } catch {
    return undefined
  }
}

function addressList(value: string | undefined): ParsedAddress[] {
  if (!value) return []
  return mailboxes(addressParser(value, { flatten: true }))
}

function firstAddress(value: string | undefined) {
  return addressList(value)[0]
}

function mailbox(address: Address | undefined): ParsedAddress | undefined {
  return address ? mailboxes([address])[0] : undefined
}

/**
 * Addresses kept of one To or Cc list: routing looks at 50 at most and a ticket keeps 10 CC'd
 * addresses, so the rest of a list of thousands is only work for every later step.
 */
const MAX_LISTED_ADDRESSES = 200

function mailboxes(list: Address[] | undefined): ParsedAddress[] {
  const out: ParsedAddress[] = []
  for (const entry of list ?? []) {
    if (out.length >= MAX_LISTED_ADDRESSES) break
    for (const m of (entry.group ?? [entry as Mailbox]).slice(0, MAX_LISTED_ADDRESSES - out.length)) {
      const address = m.address?.trim().toLowerCase()
      if (address && /^[^\s@]+@[^\s@]+$/.test(address)) out.push({ address, name: (m.name ?? '').trim() })
    }
  }
  return out
}

/** Message-IDs in a header (`<a@b> <c@d>`), brackets kept, at most 50 (a References header can be long). */
export function messageIdsIn(value: string | undefined) {
  return [...(value ?? '').matchAll(/<[^<>\s]{1,250}>/g)].map((m) => m[0]).slice(-50)
}

function cleanMessageId(value: string | undefined) {
  return messageIdsIn(value)[0]
}

function stripBrackets(value: string | undefined) {
  const trimmed = value?.trim().replace(/^<|>$/g, '')
  return trimmed || undefined
}
