import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import { loggablePath, logger } from '#app/logger.server.ts'

/** Gives every request an id (echoed as X-Request-Id) and logs one line when it finishes. */
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
          path: loggablePath(req.path),
          status: res.statusCode,
          durationMs: Math.round(durationMs * 100) / 100,
        },
        'request',
      )
    })
    next()
  }
}
