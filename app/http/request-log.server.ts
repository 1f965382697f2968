import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import { loggablePath, logger } from '#app/logger.server.ts'
import { normalisedTarget } from './request-target.server.ts'

/**
 * Gives every request an id (echoed as X-Request-Id) and logs one line when it finishes. The
 * path is the one routing saw (normalised, tokens masked by loggablePath); the query string,
 * headers (Referer, Cookie) and bodies are never logged.
 */
export function requestLog(): RequestHandler {
  return (req, res, next) => {
    const requestId = randomUUID()
    res.locals.requestId = requestId
    res.setHeader('X-Request-Id', requestId)
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6
      logger().info(
        {
          reqId: requestId,
          method: req.method,
          path: loggedPath(req.originalUrl),
          status: res.statusCode,
          durationMs: Math.round(durationMs * 100) / 100,
          ...(typeof res.locals.refusedHost === 'string' && { refusedHost: res.locals.refusedHost }),
        },
        'request',
      )
    })
    next()
  }
}

/** originalUrl, because mounted middleware (/assets) rewrites req.url while it runs. */
function loggedPath(url: string) {
  const target = normalisedTarget(url)
  if (target) return loggablePath(target.pathname)
  // Malformed (refused with 400): still masked, and cut so a huge target cannot flood the log.
  const path = url.split('?')[0]
  return loggablePath(path.length > 200 ? `${path.slice(0, 200)}…` : path)
}
