import { readFileSync } from 'node:fs'
import path from 'node:path'
import PostalMime from 'postal-mime'

/**
 * SendGrid Inbound Parse posts built from the .eml fixtures in tests/fixtures/email, in both
 * modes, as real multipart bodies (bytes, so non-UTF-8 charsets stay as SendGrid sends them).
 */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/email')

export function fixture(name: string, values: Record<string, string> = {}) {
  let raw = readFileSync(path.join(FIXTURES, name)).toString('latin1')
  for (const [key, value] of Object.entries(values)) raw = raw.replaceAll(`{{${key}}}`, value)
  // Unused placeholders become empty headers (a first email has no In-Reply-To).
  raw = raw.replace(/\{\{[A-Z_]+\}\}/g, '')
  return Buffer.from(raw, 'latin1')
}

type Part = { name: string; value: Buffer | string; filename?: string; type?: string }

export function multipartBody(parts: Part[]) {
  const boundary = `xYzZY${Math.random().toString(16).slice(2)}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`
    if (part.filename !== undefined) head += `; filename="${part.filename}"`
    head += '\r\n'
    if (part.type) head += `Content-Type: ${part.type}\r\n`
    chunks.push(
      Buffer.from(`${head}\r\n`, 'utf8'),
      Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value, 'utf8'),
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}

/**
 * `dkim` and `spf`: SendGrid's verdicts. By default a DKIM signature that passed for the From
 * address's domain and SPF passed (for the envelope sender), as mail from a real provider comes.
 */
export type PostOptions = { envelopeTo: string[]; envelopeFrom?: string; dkim?: string; spf?: string }

/** SendGrid's `dkim` verdict for a message whose From header is `from`: passed for its domain. */
function passingDkim(from: string | undefined) {
  const domain = /@([^\s>]+)/.exec(from ?? '')?.[1]?.toLowerCase()
  return domain ? `{@${domain} : pass}` : ''
}

/** Raw mode: the whole message in `email`, as SendGrid posts it with "POST the raw, full MIME message". */
export function rawModePost(eml: Buffer, options: PostOptions) {
  const headers = eml.toString('latin1').split('\r\n\r\n')[0]
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(headers)?.[1] ?? ''
  return multipartBody([
    { name: 'dkim', value: options.dkim ?? passingDkim(field('From')) },
    { name: 'email', value: eml },
    { name: 'to', value: field('To') },
    { name: 'from', value: field('From') },
    { name: 'subject', value: field('Subject') },
    { name: 'sender_ip', value: '192.0.2.10' },
    {
      name: 'envelope',
      value: JSON.stringify({ to: options.envelopeTo, from: options.envelopeFrom ?? 'sender@example.com' }),
    },
    { name: 'charsets', value: JSON.stringify({ to: 'UTF-8', from: 'UTF-8', subject: 'UTF-8' }) },
    { name: 'SPF', value: options.spf ?? 'pass' },
  ])
}

/**
 * Default ("parsed") mode, the way SendGrid builds it: the header block, the text and HTML bodies
 * each in its own charset (named in `charsets`), attachments as files with `attachment-info`.
 */
export async function parsedModePost(eml: Buffer, options: PostOptions) {
  const text = eml.toString('latin1')
  const split = text.indexOf('\r\n\r\n')
  const headerBlock = text.slice(0, split)
  const email = await PostalMime.parse(eml)
  const contentType = /^content-type:\s*([^;\r\n]+)(?:;[^\r\n]*charset="?([\w-]+))?/im.exec(headerBlock)
  const single = contentType && /^text\/plain/i.test(contentType[1])
  const charsets: Record<string, string> = {
    to: 'UTF-8',
    from: 'UTF-8',
    subject: 'UTF-8',
    text: 'UTF-8',
    html: 'UTF-8',
  }
  const parts: Part[] = [
    { name: 'headers', value: Buffer.from(headerBlock, 'latin1') },
    { name: 'dkim', value: options.dkim ?? passingDkim(email.from?.address) },
    {
      name: 'to',
      value: email.to?.map((a) => `${a.name ? `${a.name} ` : ''}<${a.address}>`).join(', ') ?? '',
    },
    { name: 'from', value: email.from ? `${email.from.name} <${email.from.address}>` : '' },
    { name: 'subject', value: email.subject ?? '' },
  ]
  if (email.cc) parts.push({ name: 'cc', value: email.cc.map((a) => `<${a.address}>`).join(', ') })
  if (single) {
    // An 8-bit single-part body arrives as its own bytes, in its own charset.
    parts.push({ name: 'text', value: eml.subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1')) })
    charsets.text = contentType[2] ?? 'us-ascii'
  } else {
    if (email.text) parts.push({ name: 'text', value: email.text })
    if (email.html) parts.push({ name: 'html', value: email.html })
  }
  const info: Record<string, object> = {}
  email.attachments.forEach((a, i) => {
    const name = `attachment${i + 1}`
    info[name] = {
      filename: a.filename,
      name: a.filename,
      type: a.mimeType,
      ...(a.contentId ? { 'content-id': a.contentId.replace(/^<|>$/g, '') } : {}),
    }
    parts.push({
      name,
      value: Buffer.from(a.content as ArrayBuffer),
      filename: a.filename ?? name,
      type: a.mimeType,
    })
  })
  parts.push(
    {
      name: 'envelope',
      value: JSON.stringify({ to: options.envelopeTo, from: options.envelopeFrom ?? 'sender@example.com' }),
    },
    { name: 'attachments', value: String(email.attachments.length) },
    { name: 'attachment-info', value: JSON.stringify(info) },
    { name: 'charsets', value: JSON.stringify(charsets) },
    { name: 'SPF', value: options.spf ?? 'pass' },
  )
  return multipartBody(parts)
}
