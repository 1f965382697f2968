import type { RequestHandler } from 'express'
import { layoutPlanOf } from '#app/domain/layout.server.ts'
import { readSession, renewSession, SESSION_COOKIE } from './auth.server.ts'
import { deferRenewal } from './request-scope.server.ts'

/**
 * Rolling sessions: a signed-in request more than a day after the last renewal extends it 30 days.
 * A GET or HEAD looks the session up here (memoized: the page's guards reuse it). Any other method
 * does not memoize its lookups (request-scope.server.ts), so a lookup here would be a second one:
 * the renewal waits for the request's first identity read instead (the action's guard), which
 * then extends the session it read and adds the cookie. A POST that reads no identity (a public
 * form) renews nothing; the next signed-in request does.
 */
export function sessionRenewal(): RequestHandler {
  return (req, res, next) => {
    const cookie = req.get('cookie')
    if (!cookie?.includes(SESSION_COOKIE)) return next()
    const safe = req.method === 'GET' || req.method === 'HEAD'
    if (!safe) {
      deferRenewal(async (session) => {
        const setCookie = await renewSession(session)
        if (setCookie && !res.headersSent) res.append('Set-Cookie', setCookie)
      })
      return next()
    }
    // With the path: the same lookup brings the membership the page's guards will need, and for
    // a GET of a page whose layout loader runs, the layout's row (one statement for both).
    const search = req.url.slice(req.path.length)
    readSession(cookie, req.path, layoutPlanOf(req.path, search))
      .then((session) => (session ? renewSession(session) : null))
      .then((setCookie) => {
        if (setCookie) res.append('Set-Cookie', setCookie)
        next()
      })
      .catch(next)
  }
}
