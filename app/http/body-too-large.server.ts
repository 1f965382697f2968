import type { ServerBuild } from '@remix-run/node'
import type { Response as ExpressResponse } from 'express'
import { FORM_TOO_LARGE_MESSAGE } from './form-data.server.ts'
import { wrapRouteFunctions, type RouteFunction } from './route-functions.server.ts'

/**
 * A page's form post over the body limit (`bodyLimit`, 1 MB without files) is not refused before
 * Remix with a plain-text 413, which a browser without JavaScript showed as a bare page and
 * single fetch could not read (the form said "Switchboard could not be reached"). It goes on to
 * Remix without its body (`remixRequestHandler` attaches none), and the action it was for throws
 * this 413 at once: the error page "Too large to send" in the app's style, or for a `.data` post a
 * refusal the page's `keepPageWhenUnanswered` shows by the form, keeping what was typed. The API
 * and MCP keep their own structured 413s (`refuse`).
 */
export function markBodyTooLarge(res: ExpressResponse) {
  res.locals.bodyTooLarge = true
}

export function isBodyTooLarge(res: ExpressResponse) {
  return res.locals.bodyTooLarge === true
}

export function bodyTooLarge() {
  return new Response(FORM_TOO_LARGE_MESSAGE, {
    status: 413,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  })
}

/**
 * Every action of the build throws `bodyTooLarge()` for a post `bodyLimit` marked, unread. The
 * loaders that then render the error page get a GET request of their own, and run.
 */
export function withBodyTooLargePages(build: ServerBuild): ServerBuild {
  return wrapRouteFunctions(build, refuseTooLarge)
}

function refuseTooLarge(fn: RouteFunction): RouteFunction {
  return (args) => {
    if (args.context.bodyTooLarge && args.request.method !== 'GET') throw bodyTooLarge()
    return fn(args)
  }
}
