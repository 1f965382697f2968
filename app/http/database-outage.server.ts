import type { ServerBuild } from '@remix-run/node'
import type { PoolGuards } from '#db/pool.ts'
import { env } from '#app/env.server.ts'
import { loggablePath, logger } from '#app/logger.server.ts'

/** Seconds a client should wait before trying again while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5
export const UNAVAILABLE_MESSAGE = 'Service temporarily unavailable, try again in a moment.'

/** The timeouts from the environment, and a log line per lost connection, for every pool we open. */
export function databasePoolGuards(pool: string): PoolGuards {
  return {
    ...env().database,
    onConnectionError: (error) =>
      logger().warn({ pool, code: errorCode(error), message: error.message }, 'database connection lost'),
  }
}

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

function errorCode(error: unknown) {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** Thrown from loaders and actions: the ErrorBoundary renders it as the 503 page. */
export function serviceUnavailable() {
  return new Response(UNAVAILABLE_MESSAGE, {
    status: 503,
    statusText: 'Service Unavailable',
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  })
}

export function logDatabaseUnavailable(error: unknown, requestId: string | undefined, path: string) {
  const e = error as { message?: string; cause?: { message?: string } }
  logger().warn(
    {
      reqId: requestId,
      path: loggablePath(path),
      code: errorCode(e) ?? errorCode(e.cause),
      message: e.cause?.message ?? e.message,
    },
    'database unavailable: answered 503',
  )
}

type RouteFunction = (args: {
  request: Request
  context: { databaseUnavailable?: boolean; requestId?: string }
}) => unknown

/**
 * Wraps every loader and action of the build: a database outage becomes a 503 Response (the
 * ErrorBoundary's "try again in a moment" page, or the same for a `.data` request) instead of
 * a 500 with a logged stack. `context.databaseUnavailable` (set when a middleware before Remix
 * already met the outage) answers 503 without trying the database again.
 */
export function withDatabaseOutagePages(build: ServerBuild): ServerBuild {
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => {
      const { loader, action } = route.module
      if (!loader && !action) return [id, route]
      const module = {
        ...route.module,
        ...(loader && { loader: guardRouteFunction(loader as RouteFunction) }),
        ...(action && { action: guardRouteFunction(action as RouteFunction) }),
      }
      return [id, { ...route, module }]
    }),
  )
  return { ...build, routes } as ServerBuild
}

function guardRouteFunction(fn: RouteFunction): RouteFunction {
  return async (args) => {
    if (args.context.databaseUnavailable) throw serviceUnavailable()
    try {
      return await fn(args)
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error
      logDatabaseUnavailable(error, args.context.requestId, new URL(args.request.url).pathname)
      throw serviceUnavailable()
    }
  }
}
