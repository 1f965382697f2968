/**
 * Which errors mean "the database cannot answer right now" (an outage: 503 and try again), as
 * opposed to "this request is wrong" (a 4xx or a bug). Shared by the HTTP layer, the job queue and
 * the domain (the rate limiter's coalesced statement).
 */
// Connection lost or refused, server shutting down or starting (57P01-57P03), too many connections,
// a statement timeout (57014) or an idle transaction closed (25P03): the request can succeed later.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '57014', '53300', '25P03'])
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
const SOCKET_CODES = new Set(['ENOENT', 'EACCES', 'ENOTDIR'])
// What pg and pg-pool say when a connection dies, times out or is refused; they carry no code.
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended while checked out',
  'Cannot use a pool after calling end on the pool',
  // pg-boss's LISTEN connection (it reconnects by itself): its heartbeat query got no answer in time
  // (a frozen database: logged as an error with a stack, the only one of a 22 s freeze), or it ended.
  'LISTEN/NOTIFY heartbeat timed out',
  'LISTEN/NOTIFY connection ended',
]

/** True for errors that mean "the database cannot answer right now", not "this request is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>()
  const pending = [error]
  while (pending.length > 0) {
    const e = pending.pop()
    if (!e || typeof e !== 'object' || seen.has(e)) continue
    seen.add(e)
    const code = errorCode(e)
    if (code && (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))) return true
    // A Unix socket (the embedded PostgreSQL's, or `host=/var/run/postgresql`) that is gone or
    // unreachable: a stopped server removes its socket file. Only for a connect, so a missing
    // attachment file is not taken for an outage.
    if (code && SOCKET_CODES.has(code) && (e as { syscall?: unknown }).syscall === 'connect') return true
    const message = (e as { message?: unknown }).message
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return true
    // Drizzle wraps driver errors in `cause`; a refused connection to several addresses is an AggregateError.
    pending.push((e as { cause?: unknown }).cause)
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors)) pending.push(...(errors as unknown[]))
  }
  return false
}

export function errorCode(error: unknown) {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
