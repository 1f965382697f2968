import { randomUUID } from 'node:crypto'
import type { Client } from '@sendgrid/client'
import type { MailService } from '@sendgrid/mail'

/** A file sent with an email, as SendGrid's v3 `attachments` take it: the bytes in base64. */
export type TransportAttachment = {
  content: string
  filename: string
  type: string
  disposition: 'attachment'
}

/** One email as the transports take it: everything already rendered and header-safe. */
export type TransportEmail = {
  /** Our emails.id, sent as a custom arg so delivery events map back to it (ids only, no addresses). */
  emailId: string
  from: { email: string; name: string }
  to: string
  cc: string[]
  bcc: string[]
  replyTo: string | null
  subject: string
  text: string
  html: string
  /** What the BCC recipients get instead of text/html (no private link); null: the same copy. */
  bccCopy: { text: string; html: string } | null
  headers: Record<string, string>
  /** Every copy carries them (SendGrid's attachments belong to the message, not a personalization). */
  attachments: TransportAttachment[]
}

/**
 * Why a send failed, as the job needs it: `rate-limited` (429: try again after `retryAfterSeconds`),
 * `transient` (5xx, or a connection that never carried the request: refused, DNS, unreachable,
 * TLS; retry with backoff), `permanent` (any other 4xx: retrying would fail the same way; shown
 * on the message with a Retry button), `unanswered` (no HTTP answer after the request may have
 * gone out: a timeout, a reset or hang-up; SendGrid may or may not have the email),
 * `interrupted` (the call was aborted before SendGrid answered, at shutdown: the same doubt) or
 * `not-started` (a shutdown had begun before the request was made: nothing left, SendGrid has
 * nothing; the email is given back for after the restart).
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'rate-limited' | 'transient' | 'permanent' | 'unanswered' | 'interrupted' | 'not-started',
    readonly status?: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
    this.name = 'TransportError'
  }
}

/**
 * SendGrid's mail send: SendGrid refuses these in `headers` (they have fields of their own), so
 * a custom header by one of these names would turn every email into a 400.
 * https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send (headers)
 */
const RESERVED_HEADERS = new Set([
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
])

/**
 * Where and how long: `timeoutMs` is SENDGRID_TIMEOUT_MS (20 s), how long one mail-send call may
 * wait for an answer; the email's claim lease is longer (see email.server.ts).
 */
type SendGridConfig = { apiKey: string; baseUrl: string; timeoutMs: number }

type SendGridClasses = { Client: new () => Client; MailService: new () => MailService }
const store = globalThis as unknown as { __switchboardSendGrid?: Promise<SendGridClasses> }

/**
 * A MailService on a client whose default request has the base URL and, when given, `signal`:
 * @sendgrid/client copies only its default request's fields into axios's config, so a signal per
 * call needs a client per call (two small objects; the packages, ~5 MB of heap, load once, with
 * the first email sent, not at start-up).
 */
async function mailService(config: SendGridConfig, signal: AbortSignal | undefined) {
  // CommonJS packages whose typings (`export =` plus named classes) type a dynamic import as the
  // default only; Node's named exports are there, as the static form saw them.
  const { Client, MailService } = await (store.__switchboardSendGrid ??= Promise.all([
    import('@sendgrid/client'),
    import('@sendgrid/mail'),
  ]).then(([client, mail]) => ({
    Client: (client as unknown as SendGridClasses).Client,
    MailService: (mail as unknown as SendGridClasses).MailService,
  })))
  const client = new Client()
  client.setApiKey(config.apiKey)
  // axios takes `signal` from the request config; the typings list only SendGrid's own fields.
  const { baseUrl } = config
  const defaults = signal ? { baseUrl, signal } : { baseUrl }
  client.setDefaultRequest(defaults as Parameters<Client['setDefaultRequest']>[0])
  const service = new MailService()
  service.setClient(client)
  service.setTimeout(config.timeoutMs)
  return service
}

/**
 * Sends one email through SendGrid v3 mail send (POST /v3/mail/send). Returns SendGrid's
 * `X-Message-Id`, which its delivery events carry (as the prefix of `sg_message_id`).
 * Throws a TransportError that says whether and when to try again.
 */
export async function sendWithSendGrid(
  config: SendGridConfig,
  email: TransportEmail,
  /** Aborts the call (the job's signal, at the end of a shutdown's grace). */
  signal?: AbortSignal,
  /** Once aborted (a shutdown began), no request is made: `not-started`. */
  noNewSend?: AbortSignal,
): Promise<{ providerId: string }> {
  const service = await mailService(config, signal)
  const headers = Object.fromEntries(
    Object.entries(email.headers).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())),
  )
  const copies = personalized(email)
  // Checked last before the request: an abort from here on may have cut off a request SendGrid
  // got, one before it certainly did not (it was called "interrupted" too, and the email shown as
  // one SendGrid may have accepted).
  if (signal?.aborted || noNewSend?.aborted) {
    throw new TransportError('Not sent: the worker was stopping before the request was made', 'not-started')
  }
  try {
    const [response] = await service.send({
      from: { email: email.from.email, name: email.from.name || undefined },
      personalizations: copies.personalizations,
      ...(email.replyTo ? { replyTo: { email: email.replyTo } } : {}),
      subject: email.subject,
      // SendGrid wants text/plain before text/html.
      content: [
        { type: 'text/plain', value: copies.text },
        { type: 'text/html', value: copies.html },
      ],
      headers,
      ...(email.attachments.length > 0 ? { attachments: email.attachments } : {}),
      customArgs: { email_id: email.emailId },
    })
    const messageId = response.headers['x-message-id'] as string | undefined
    return { providerId: messageId ?? `sendgrid-${response.statusCode}` }
  } catch (error) {
    // An HTTP answer that came before the abort says what SendGrid did: classified as usual.
    if (signal?.aborted && typeof (error as SendGridFailure).code !== 'number') {
      throw new TransportError('Interrupted by a shutdown before SendGrid answered', 'interrupted')
    }
    throw classify(error)
  }
}

/**
 * Who gets which copy. A personalization is one copy whose To and Cc every recipient of it sees.
 * Without a BCC copy, one personalization: the customer, CC and BCC (SendGrid refuses an address
 * repeated across to, cc and bcc). With one (the customer's copy carries their private link, which
 * a BCC recipient must not get), each BCC address gets a personalization of its own, and where the
 * two copies differ goes in as each personalization's `substitutions` (the helper wraps a key in
 * `{{…}}`): one mail/send call, so both copies have the same Message-ID, threading headers and
 * Reply-To. https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send
 */
function personalized(email: TransportEmail) {
  const to = [{ email: email.to }]
  const cc = email.cc.length > 0 ? { cc: email.cc.map((a) => ({ email: a })) } : {}
  if (email.bcc.length === 0 || !email.bccCopy) {
    const bcc = email.bcc.length > 0 ? { bcc: email.bcc.map((a) => ({ email: a })) } : {}
    return { personalizations: [{ to, ...cc, ...bcc }], text: email.text, html: email.html }
  }
  // A key no content holds by chance; a new one per call is fine (the row keeps both copies).
  const key = `switchboard-copy-${randomUUID()}`
  const text = splitCopies(email.text, email.bccCopy.text, `${key}-text`)
  const html = splitCopies(email.html, email.bccCopy.html, `${key}-html`)
  return {
    personalizations: [
      { to, ...cc, substitutions: { ...text.first, ...html.first } },
      ...email.bcc.map((address) => ({
        to: [{ email: address }],
        substitutions: { ...text.second, ...html.second },
      })),
    ],
    text: text.content,
    html: html.content,
  }
}

/**
 * One content for two copies: their common start and end around `{{key}}`, and what each copy
 * puts there (SendGrid allows 10,000 bytes of substitutions per personalization: the copies
 * differ only in a line). Never cuts a surrogate pair, and leaves neither part empty.
 */
export function splitCopies(first: string, second: string, key: string) {
  if (first === second) return { content: first, first: {}, second: {} }
  const shorter = Math.min(first.length, second.length)
  let start = 0
  while (start < shorter && first[start] === second[start]) start++
  let end = 0
  while (end < shorter - start && first.at(-1 - end) === second.at(-1 - end)) end++
  const lowSurrogate = (text: string, at: number) => /[\uDC00-\uDFFF]/.test(text.charAt(at))
  const emptyPart = () => start + end === first.length || start + end === second.length
  for (;;) {
    if (start > 0 && (lowSurrogate(first, start) || lowSurrogate(second, start))) start--
    else if (end > 0 && lowSurrogate(first, first.length - end)) end--
    else if (start > 0 && emptyPart()) start--
    else if (end > 0 && emptyPart()) end--
    else break
  }
  return {
    content: `${first.slice(0, start)}{{${key}}}${first.slice(first.length - end)}`,
    first: { [key]: first.slice(start, first.length - end) },
    second: { [key]: second.slice(start, second.length - end) },
  }
}

type SendGridFailure = Error & {
  code?: number | string
  isAxiosError?: boolean
  response?: { headers?: Record<string, unknown>; body?: unknown }
}

function classify(error: unknown): TransportError {
  const failure = error as SendGridFailure
  const status = typeof failure.code === 'number' ? failure.code : undefined
  if (status === undefined) {
    // No HTTP answer. Only a connection that never opened certainly carried nothing; after a
    // timeout, a reset or a hang-up the request may have reached SendGrid in full (the v3 mail
    // send has no idempotency key), so whether it has the email is unknown.
    const code = typeof failure.code === 'string' ? failure.code : undefined
    const detail = `${failure.message}${code ? ` (${code})` : ''}`
    // Not axios's: the library failed before making a request.
    if (!failure.isAxiosError) return new TransportError(`SendGrid not called: ${detail}`, 'transient')
    if (code !== undefined && nothingSent(code)) {
      return new TransportError(`SendGrid unreachable: ${detail}`, 'transient')
    }
    return new TransportError(`SendGrid did not answer: ${detail}`, 'unanswered')
  }
  const reason = `SendGrid ${status}: ${errorMessages(failure.response?.body) || failure.message}`
  if (status === 429) {
    return new TransportError(reason, 'rate-limited', status, retryAfter(failure.response?.headers))
  }
  if (status >= 500) return new TransportError(reason, 'transient', status)
  return new TransportError(reason, 'permanent', status)
}

/**
 * Codes of failures before a byte of the request was sent: a connection refused, name
 * resolution, no route, the TLS handshake (certificates are checked before any request), and
 * a request axios or Node refused to make.
 */
const NOTHING_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
  'ERR_BAD_OPTION',
  'ERR_BAD_OPTION_VALUE',
  'ERR_NOT_SUPPORT',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
])

function nothingSent(code: string) {
  return (
    NOTHING_SENT.has(code) ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code)
  )
}

/** SendGrid's error body: {"errors":[{"message","field","help"}]}. Messages only, bounded. */
function errorMessages(body: unknown) {
  const errors = (body as { errors?: Array<{ message?: unknown; field?: unknown }> } | undefined)?.errors
  if (!Array.isArray(errors)) return ''
  return errors
    .map((e) =>
      [typeof e.field === 'string' && e.field ? `${e.field}: ` : '', String(e.message ?? '')].join(''),
    )
    .join('; ')
    .slice(0, 500)
}

/** Retry-After in seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfter(headers: Record<string, unknown> | undefined) {
  const value = headers?.['retry-after']
  if (typeof value !== 'string' || !value.trim()) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000))
}
