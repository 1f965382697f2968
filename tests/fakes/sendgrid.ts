import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A fake SendGrid v3 API for tests: `POST /v3/mail/send` answered like the real one.
 * - 202 with an empty body and `X-Message-Id` for a valid payload;
 * - 400 with SendGrid's error body `{"errors":[{"message","field","help"}]}` for a malformed one
 *   (validated like SendGrid: personalizations, from, subject, content, reserved headers, duplicate
 *   addresses across to/cc/bcc, substitutions' size, attachments: base64 content, a filename, a
 *   type without `;` or line breaks, inline ones with a content_id); 413 for a message over 30 MB
 *   (its parts and attachments' base64 together); `deliveredCopies` says what each recipient
 *   of an accepted mail gets (substitutions made per personalization);
 * - 401 for a wrong API key;
 * - scripted answers on demand (`failNext`): 429 with Retry-After, 500, any status, after a delay;
 * - or no answer at all once the request was read (`dropNext`): a hang until the client gives
 *   up, or a TCP reset (what a timeout or a dropped connection after the send looks like).
 * Every request is recorded, accepted or not, and when its client left before the answer.
 */

export type SendGridAddress = { email: string; name?: string }
export type SendGridPersonalization = {
  to: SendGridAddress[]
  cc?: SendGridAddress[]
  bcc?: SendGridAddress[]
  substitutions?: Record<string, string>
}
export type SendGridMail = {
  personalizations: SendGridPersonalization[]
  from: SendGridAddress
  reply_to?: SendGridAddress
  subject: string
  content: Array<{ type: string; value: string }>
  headers?: Record<string, string>
  attachments?: SendGridAttachment[]
  custom_args?: Record<string, string>
}

export type SendGridAttachment = {
  content: string
  filename: string
  type?: string
  disposition?: 'attachment' | 'inline'
  content_id?: string
}

/** SendGrid's limit on one message: 30 MB, parts and attachments (as base64) together. */
export const MESSAGE_LIMIT = 30_000_000

export type RecordedRequest = {
  at: number
  authorization: string | undefined
  body: unknown
  status: number
  messageId?: string
  /** When its answer was written. */
  answeredAt?: number
  /** When the client closed the connection before its answer was written (an aborted call). */
  abandonedAt?: number
}

type Scripted = { status: number; retryAfter?: string; body?: unknown; delayMs?: number }
type Dropped = { drop: 'hang' | 'reset' }

type SendGridError = { message: string; field: string | null; help: string | null }

const HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html'
const RESERVED_HEADERS = [
  'x-sg-id',
  'x-sg-eid',
  'received',
  'dkim-signature',
  'content-type',
  'content-transfer-encoding',
  'to',
  'from',
  'subject',
  'reply-to',
  'cc',
  'bcc',
]
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/

export class FakeSendGrid {
  readonly requests: RecordedRequest[] = []
  private server = http.createServer((req, res) => void this.handle(req, res))
  private scripted: Array<Scripted | Dropped> = []
  private held = new Map<string, Promise<Scripted>>()
  url = ''

  constructor(readonly apiKey = 'SG.test-key') {}

  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop() {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** The next `times` valid-key requests get this answer instead of the normal one. */
  failNext(answer: Scripted, times = 1) {
    for (let i = 0; i < times; i++) this.scripted.push(answer)
  }

  /**
   * The next `times` valid-key requests are read in full and get no answer: `hang` keeps the
   * connection open until the client closes it, `reset` destroys it with a TCP RST.
   */
  dropNext(drop: Dropped['drop'], times = 1) {
    for (let i = 0; i < times; i++) this.scripted.push({ drop })
  }

  /**
   * Requests for this email (its `custom_args.email_id`) are read and get no answer until the
   * function returned is called: then the answer it is given (a 202 by default), as `failNext`'s.
   */
  hold(emailId: string) {
    let release: (answer: Scripted) => void = () => {}
    this.held.set(emailId, new Promise<Scripted>((resolve) => (release = resolve)))
    return (answer: Scripted = { status: 202 }) => release(answer)
  }

  /** The mails SendGrid accepted (202), in order. */
  get accepted() {
    return this.requests.filter((r) => r.status === 202).map((r) => r.body as SendGridMail)
  }

  reset() {
    this.requests.length = 0
    this.scripted.length = 0
    this.held.clear()
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const record: RecordedRequest = {
      at: Date.now(),
      authorization: req.headers.authorization,
      body: undefined,
      status: 0,
    }
    this.requests.push(record)
    res.once('close', () => {
      if (!res.writableFinished) record.abandonedAt = Date.now()
    })
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status
      record.answeredAt = Date.now()
      res.writeHead(status, {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      })
      res.end(body === undefined ? '' : JSON.stringify(body))
    }
    if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
      return answer(404, { errors: [{ message: 'Not found', field: null, help: null }] })
    }
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return answer(401, {
        errors: [
          {
            message: 'The provided authorization grant is invalid, expired, or revoked',
            field: null,
            help: null,
          },
        ],
      })
    }
    try {
      record.body = JSON.parse(raw)
    } catch {
      return answer(400, { errors: [{ message: 'Bad Request', field: null, help: null }] })
    }
    const heldFor = (record.body as { custom_args?: { email_id?: string } })?.custom_args?.email_id
    const held = heldFor === undefined ? undefined : this.held.get(heldFor)
    const next = held ? await held : this.scripted.shift()
    if (next && 'drop' in next) {
      if (next.drop === 'reset') req.socket.resetAndDestroy()
      return
    }
    const scripted = next
    if (scripted?.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs))
    // A scripted 202 is a slow success: answered normally after its delay.
    if (scripted && scripted.status !== 202) {
      return answer(
        scripted.status,
        scripted.body ?? { errors: [{ message: `Scripted ${scripted.status}`, field: null, help: null }] },
        scripted.retryAfter ? { 'retry-after': scripted.retryAfter } : {},
      )
    }
    const errors = validate(record.body)
    if (errors.length > 0) return answer(400, { errors })
    if (messageBytes(record.body as SendGridMail) > MESSAGE_LIMIT) {
      return answer(413, {
        errors: [{ message: 'Email size exceeds the 30MB limit', field: null, help: null }],
      })
    }
    record.messageId = randomBytes(16).toString('base64url').slice(0, 22)
    return answer(202, undefined, { 'x-message-id': record.messageId })
  }
}

/** What one recipient of an accepted mail gets: the To and Cc it shows, and the body parts. */
export type DeliveredCopy = {
  recipient: string
  to: string[]
  cc: string[]
  subject: string
  text: string
  html: string
}

/**
 * Each recipient's copy of a mail, as SendGrid sends it: one copy per personalization, to its
 * to, cc and bcc, with that personalization's substitutions made in the subject and content
 * (every occurrence of each key).
 */
export function deliveredCopies(mail: SendGridMail): DeliveredCopy[] {
  return mail.personalizations.flatMap((p) => {
    const substitute = (value: string) =>
      Object.entries(p.substitutions ?? {}).reduce((out, [key, v]) => out.split(key).join(v), value)
    const part = (type: string) => substitute(mail.content.find((c) => c.type === type)?.value ?? '')
    const copy = {
      to: p.to.map((a) => a.email),
      cc: (p.cc ?? []).map((a) => a.email),
      subject: substitute(mail.subject),
      text: part('text/plain'),
      html: part('text/html'),
    }
    return [...p.to, ...(p.cc ?? []), ...(p.bcc ?? [])].map((a) => ({ recipient: a.email, ...copy }))
  })
}

/** What counts against the 30 MB: each part's text and each attachment's base64. */
function messageBytes(mail: SendGridMail) {
  const parts = mail.content.reduce((n, c) => n + Buffer.byteLength(c.value), 0)
  return parts + (mail.attachments ?? []).reduce((n, a) => n + a.content.length, 0)
}

/** The checks SendGrid's mail send makes that our payloads could fail. */
export function validate(body: unknown): SendGridError[] {
  const errors: SendGridError[] = []
  const mail = (body ?? {}) as Partial<SendGridMail>
  const error = (message: string, field: string | null, anchor = '') =>
    errors.push({ message, field, help: `${HELP}${anchor}` })
  const checkAddress = (value: unknown, field: string) => {
    const email = (value as SendGridAddress | undefined)?.email
    if (typeof email !== 'string' || !EMAIL.test(email)) error('Does not contain a valid address.', field)
  }
  if (!Array.isArray(mail.personalizations) || mail.personalizations.length === 0) {
    error(
      'The personalizations field is required and must have at least one personalization.',
      'personalizations',
      '#-Personalizations-Errors',
    )
  } else {
    mail.personalizations.forEach((p, i) => {
      if (!Array.isArray(p.to) || p.to.length === 0) {
        error(
          'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
          `personalizations.${i}.to`,
        )
        return
      }
      const seen = new Set<string>()
      for (const kind of ['to', 'cc', 'bcc'] as const) {
        const list = p[kind]
        if (list === undefined) continue
        if (!Array.isArray(list) || list.length === 0) {
          error(`The ${kind} array must have at least one email object.`, `personalizations.${i}.${kind}`)
          continue
        }
        list.forEach((address, j) => {
          checkAddress(address, `personalizations.${i}.${kind}.${j}.email`)
          const key = String(address?.email).toLowerCase()
          if (seen.has(key)) {
            error(
              `Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${address.email}] in the personalizations.${i}.${kind} field.`,
              `personalizations.${i}.${kind}`,
            )
          }
          seen.add(key)
        })
      }
      if (p.substitutions !== undefined) {
        const entries = Object.entries(p.substitutions as Record<string, unknown>)
        if (entries.some(([, v]) => typeof v !== 'string')) {
          error('Substitutions must be strings.', `personalizations.${i}.substitutions`)
        }
        const bytes = entries.reduce(
          (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)),
          0,
        )
        if (bytes > 10_000) {
          error(
            'The total size of your substitutions may not exceed 10,000 bytes per personalization object.',
            `personalizations.${i}.substitutions`,
          )
        }
      }
    })
  }
  if (!mail.from || typeof mail.from !== 'object') {
    error(
      'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.',
      'from',
    )
  } else checkAddress(mail.from, 'from.email')
  if (mail.reply_to !== undefined) checkAddress(mail.reply_to, 'reply_to.email')
  if (typeof mail.subject !== 'string' || mail.subject.length === 0) {
    error(
      'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
      'subject',
    )
  }
  if (!Array.isArray(mail.content) || mail.content.length === 0) {
    error(
      'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
      'content',
    )
  } else {
    mail.content.forEach((c, i) => {
      if (typeof c?.value !== 'string' || c.value.length === 0) {
        error('The content value must be a string at least one character in length.', `content.${i}.value`)
      }
    })
    const types = mail.content.map((c) => c?.type)
    const plain = types.indexOf('text/plain')
    if (plain > 0 || (types.includes('text/html') && plain > types.indexOf('text/html'))) {
      error(
        'If present, text/plain content must be first, followed by text/html, followed by any other content.',
        'content',
      )
    }
  }
  if (mail.attachments !== undefined) {
    if (!Array.isArray(mail.attachments) || mail.attachments.length === 0) {
      error('The attachments array must have at least one attachment object.', 'attachments')
    } else {
      mail.attachments.forEach((a, i) => {
        if (typeof a?.content !== 'string' || a.content.length === 0) {
          error('The attachment content is required.', `attachments.${i}.content`)
        } else if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.content) || a.content.length % 4 !== 0) {
          error('The attachment content must be base64 encoded.', `attachments.${i}.content`)
        }
        if (typeof a?.filename !== 'string' || a.filename.length === 0) {
          error('The attachment filename parameter is required.', `attachments.${i}.filename`)
        }
        if (a?.type !== undefined && (typeof a.type !== 'string' || /[;\r\n]/.test(a.type))) {
          error("The attachment type cannot contain ';', or CRLF characters.", `attachments.${i}.type`)
        }
        if (a?.disposition !== undefined && a.disposition !== 'attachment' && a.disposition !== 'inline') {
          error(
            'The disposition of your attachment can be either "inline" or "attachment".',
            `attachments.${i}.disposition`,
          )
        }
        if (a?.disposition === 'inline' && !a.content_id) {
          error(
            'The content_id parameter is required if disposition is set to inline.',
            `attachments.${i}.content_id`,
          )
        }
      })
    }
  }
  for (const [name, value] of Object.entries(mail.headers ?? {})) {
    if (RESERVED_HEADERS.includes(name.toLowerCase())) {
      error(`The header '${name}' is a reserved header and cannot be used.`, 'headers')
    } else if (typeof value !== 'string') {
      error('Headers must be strings.', `headers.${name}`)
    } else if (/[\r\n]/.test(value)) {
      error('Invalid header value: line breaks are not allowed.', `headers.${name}`)
    }
  }
  return errors
}
