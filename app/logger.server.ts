import pino from 'pino'

const store = globalThis as unknown as { __switchboardLogger?: pino.Logger }

/** SQL text in error logs is cut here: enough to recognise the query, never a whole batch. */
export const LOGGED_SQL_LIMIT = 300

/**
 * Logger options, shared by the process logger and tests that capture log lines. Secrets are
 * redacted by key as a second line of defence; errors go through serializeError.
 */
export function loggerOptions(level: string): pino.LoggerOptions {
  return {
    level,
    base: undefined,
    serializers: { err: serializeError, error: serializeError },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'cookie', '*.cookie', 'headers.cookie', 'secret'],
      censor: '[redacted]',
    },
  }
}

export function createLogger(level: string, destination?: pino.DestinationStream) {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level))
}

/** One JSON line per event. */
export function logger(): pino.Logger {
  store.__switchboardLogger ??= createLogger(
    process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  )
  return store.__switchboardLogger
}

type ErrorLike = Error & Record<string, unknown>

/** Bound parameters: Drizzle's DrizzleQueryError `params`, and the same name elsewhere. */
const PARAMETER_KEYS = new Set(['params', 'parameters', 'values', 'bindings'])
/** SQL text, kept but cut to LOGGED_SQL_LIMIT. */
const SQL_KEYS = new Set(['query', 'sql', 'internalQuery'])

function truncate(text: string, limit = LOGGED_SQL_LIMIT) {
  return text.length > limit ? `${text.slice(0, limit)}… [${text.length - limit} more]` : text
}

/**
 * An error's message without the values it may quote: Drizzle appends "params: …" (the bound
 * values, e.g. a password hash), and PostgreSQL quotes the rejected input of a type error.
 */
function safeMessage(error: { message?: unknown }) {
  let message = String(error.message ?? '')
  const failed = /^Failed query: ([\s\S]*?)\nparams: [\s\S]*$/.exec(message)
  if (failed) message = `Failed query: ${truncate(failed[1])}`
  return maskIssuedSecrets(
    message.replace(/(invalid input (?:syntax|value) for [^:\n]*: )"(?:[^"]|"")*"/g, '$1"[redacted]"'),
  )
}

/**
 * An error's message as it may be logged or stored (a job's output), without the values it may
 * quote (see safeMessage), followed by its cause's (a failed query's: PostgreSQL's message).
 */
export function safeErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const message = safeMessage(error)
  return error.cause instanceof Error ? `${message}: ${safeMessage(error.cause)}` : message
}

/**
 * PostgreSQL's detail and context quote row values ("Failing row contains (…)",
 * "Key (email)=(…) already exists", "unnamed portal parameter $1 = '…'"): keep their shape,
 * drop the values.
 */
function safeDetail(detail: string) {
  if (detail.startsWith('Failing row contains')) return 'Failing row contains ([redacted])'
  const key = /^Key \((.*?)\)=\([\s\S]*\)( [^()]*)$/.exec(detail)
  if (key) return `Key (${key[1]})=([redacted])${key[2]}`
  return '[redacted]'
}

/**
 * Serializes an error (and its `cause` chain) for the log without the values of a failed
 * query: bound parameters are dropped, SQL is truncated, and PostgreSQL's messages and details
 * lose the row values they quote. Everything else stays, so the log still says what failed.
 */
/**
 * An error's own field as it may be logged: plain values as they are, small plain objects and
 * arrays too, and anything else by its class only. A pg-boss connection error carried the whole
 * pg Client (its connection parameters and type tables) into one line of many kilobytes.
 */
function loggableField(field: unknown): unknown {
  if (typeof field === 'string') return maskIssuedSecrets(field)
  if (field === null || typeof field !== 'object') return typeof field === 'function' ? '[function]' : field
  const proto = Object.getPrototypeOf(field)
  if (!Array.isArray(field) && proto !== Object.prototype && proto !== null) {
    return `[${(field as object).constructor?.name ?? 'object'}]`
  }
  try {
    return JSON.stringify(field).length <= LOGGED_FIELD_LIMIT ? field : '[too large to log]'
  } catch {
    return '[not serializable]'
  }
}

/** An error's object field larger than this (as JSON) is left out of the log line. */
const LOGGED_FIELD_LIMIT = 2000

export function serializeError(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value
  const error = value as ErrorLike
  const out: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name,
    message: safeMessage(error),
  }
  if (typeof error.stack === 'string') {
    const frames = error.stack.indexOf('\n    at ')
    out.stack = `${error.name}: ${out.message as string}${frames === -1 ? '' : error.stack.slice(frames)}`
  }
  for (const key of Object.keys(error)) {
    const field = error[key]
    if (key === 'cause' || key === 'message' || key === 'stack' || PARAMETER_KEYS.has(key)) continue
    if (SQL_KEYS.has(key) && typeof field === 'string') out[key] = truncate(field)
    else if ((key === 'detail' || key === 'where') && typeof field === 'string') out[key] = safeDetail(field)
    else if (field instanceof Error) out[key] = depth < 5 ? serializeError(field, depth + 1) : '[error]'
    else out[key] = loggableField(field)
  }
  if (error.cause !== undefined) {
    out.cause = depth < 5 && error.cause instanceof Error ? serializeError(error.cause, depth + 1) : '[cause]'
  }
  if (error instanceof AggregateError && depth < 5) {
    out.errors = error.errors.map((e: unknown) => serializeError(e, depth + 1))
  }
  return out
}

/**
 * Routes whose next path segment is a secret: `/invite/<token>`, `/support/t/<token>`,
 * `/reset-password/<token>`, `/verify-email/<token>`, `/notifications/unsubscribe/<token>`, the
 * Inbound Parse webhook's `/webhooks/sendgrid/inbound/<secret>`.
 */
const TOKEN_ROUTES = [
  ['invite'],
  ['support', 't'],
  ['reset-password'],
  ['verify-email'],
  ['notifications', 'unsubscribe'],
  ['webhooks', 'sendgrid', 'inbound'],
]
/**
 * The prefixes of the secrets we issue (API tokens, webhook signing secrets): a value that holds
 * one is a secret wherever it appears, in a path segment (`GET /api/v1/sb_pat_…` was logged whole),
 * a query value whatever its name, or an error's message or field.
 */
const ISSUED_SECRET_PREFIX = /sb_pat_|whsec_/i
const ISSUED_SECRET = /(sb_pat_|whsec_)[^\s/?#&"'<>\\]*/gi

/** Text with the secrets we issue masked after their prefix (`sb_pat_[redacted]`). */
export function maskIssuedSecrets(text: string) {
  return text.replace(ISSUED_SECRET, '$1[redacted]')
}

/** Query parameters whose value is a secret wherever they appear. */
const SECRET_PARAMETER = /token|secret|password|passwd|key|code|sig|auth/i

/**
 * A request path (with or without a query string) safe to log: the token of a customer link,
 * an invitation or a password reset is masked, matched the way routing could match it (case
 * insensitive, percent-decoded, `.data` single-fetch variants too) and on the path normalised
 * (`//`, `%2F`, `\\`, `.` and `..` segments: `//reset-password/<token>` and
 * `/webhooks/sendgrid//inbound/<secret>` were logged whole). The rest keeps its spelling; the
 * whole segment that holds a token is masked. Query values with a secret-looking name are
 * masked, and query values that hold a path (`redirectTo=/invite/…`) are masked like paths.
 */
export function loggablePath(url: string): string {
  const queryAt = url.indexOf('?')
  const path = queryAt === -1 ? url : url.slice(0, queryAt)
  const segments = path.split('/')
  const normalised = normalisedSegments(segments)
  for (const route of TOKEN_ROUTES) {
    const token = normalised[route.length]
    if (token && route.every((name, i) => normalised[i]?.name === name)) {
      segments[token.at] = token.name.endsWith('.data') ? '[token].data' : '[token]'
    }
  }
  for (const { name, at } of normalised) {
    if (ISSUED_SECRET_PREFIX.test(name)) segments[at] = name.endsWith('.data') ? '[token].data' : '[token]'
  }
  const masked = segments.join('/')
  if (queryAt === -1) return masked
  const pairs = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=')
      if (ISSUED_SECRET_PREFIX.test(decodeQueryPart(equals === -1 ? pair : pair.slice(0, equals)))) {
        return '[redacted]'
      }
      if (equals === -1) return pair
      const name = pair.slice(0, equals)
      if (SECRET_PARAMETER.test(decodeQueryPart(name))) return `${name}=[redacted]`
      const value = decodeQueryPart(pair.slice(equals + 1))
      if (ISSUED_SECRET_PREFIX.test(value)) return `${name}=[redacted]`
      if (!/[/\\]|%2f|%5c/i.test(value)) return pair
      const loggable = loggablePath(value)
      return loggable === value ? pair : `${name}=${encodeURIComponent(loggable)}`
    })
  return `${masked}?${pairs.join('&')}`
}

/**
 * The path's segments as a router resolving it could see them, lower-cased, each with the index
 * of the raw segment it came from: percent-decoded where that works, split again at a decoded `/`
 * or `\\`, empty and `.` segments dropped, `..` removing the one before.
 */
function normalisedSegments(raw: string[]) {
  const out: Array<{ name: string; at: number }> = []
  raw.forEach((segment, at) => {
    let decoded = segment
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      // Malformed encoding: matched as written.
    }
    for (const name of decoded.toLowerCase().split(/[/\\]/)) {
      if (name === '' || name === '.') continue
      if (name === '..') out.pop()
      else out.push({ name, at })
    }
  })
  return out
}

function decodeQueryPart(part: string) {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '))
  } catch {
    return part
  }
}
