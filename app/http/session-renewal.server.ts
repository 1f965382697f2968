import type { RequestHandler } from 'express'
import { layoutPlanOf } from '#app/domain/layout.server.ts'
import { readSession, renewSession, SESSION_COOKIE } from './auth.server.ts'

/** Rolling sessions: a signed-in request more than a day after the last renewal extends it 30 days. */
export function sessionRenewal(): RequestHandler {
  return (req, res, next) => {
    const cookie = req.get('cookie')
    if (!cookie?.includes(SESSION_COOKIE)) return next()
    // With the path: the same lookup brings the membership the page's guards will need, and for
    // a GET of a page whose layout loader runs, the layout's row (one statement for both).
    const safe = req.method === 'GET' || req.method === 'HEAD'
    const search = req.url.slice(req.path.length)
    readSession(cookie, req.path, safe ? layoutPlanOf(req.path, search) : null)
      .then((session) => (session ? renewSession(session) : null))
      .then((setCookie) => {
        if (setCookie) res.append('Set-Cookie', setCookie)
        next()
      })
      .catch(next)
  }
}
