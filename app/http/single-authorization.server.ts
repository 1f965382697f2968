import type { RequestHandler } from 'express'
import { isApiPath, isMcpPath, refuse } from './refusal.server.ts'

/**
 * Refuses an /api or /mcp request that carries more than one `Authorization` header. Node keeps
 * only the first of them (`req.headers`), so a read-only token sent after a full one, or the
 * other way round, was silently acted on as the first: which credential a request carries must
 * not depend on an order a proxy may change. 401 with `error="invalid_request"`, as for a header
 * that is not `Bearer <token>` (app/api/auth.server.ts).
 */
export function singleAuthorization(): RequestHandler {
  return (req, res, next) => {
    if (!isApiPath(req.path) && !isMcpPath(req.path)) return next()
    let count = 0
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() === 'authorization') count++
    }
    if (count < 2) return next()
    res.set('www-authenticate', 'Bearer realm="switchboard", error="invalid_request"')
    refuse(res, req.path, 'unauthorized', 'Send one Authorization header.')
  }
}
