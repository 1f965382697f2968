import type { ServerBuild } from '@remix-run/node'
import { wrapRouteFunctions, type RouteFunction } from './route-functions.server.ts'
import type { PoolGuards } from '#db/pool.ts'
import { env } from '#app/env.server.ts'
import { loggablePath, logger } from '#app/logger.server.ts'
import { errorCode, isDatabaseUnavailable } from '#db/unavailable.ts'

export { isDatabaseUnavailable }

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

/**
 * Wraps every loader and action of the build: a database outage becomes a 503 Response (the
 * ErrorBoundary's "try again in a moment" page, or the same for a `.data` request) instead of
 * a 500 with a logged stack. `context.databaseUnavailable` (set when a middleware before Remix
 * already met the outage) answers 503 without trying the database again.
 */
export function withDatabaseOutagePages(build: ServerBuild): ServerBuild {
  return wrapRouteFunctions(build, guardRouteFunction)
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
