import type { ServerBuild } from '@remix-run/node'
import { wrapRouteFunctions, type RouteFunction } from './route-functions.server.ts'

/** The answer to a `.data` request for what only a direct request may fetch. */
function notForDataRequests() {
  return new Response('Not Found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/**
 * Remix's single-fetch (`….data`, GET and POST) reads a Response that a loader or action returns
 * whole, as text, into its encoded answer: a file download (an attachment, a customer's file
 * through their private link), an email's HTML frame, an event stream. A `.data` request for one
 * of them held the whole file in memory at ~2.4 times its size, without its download and sandbox
 * headers (a burst of 20 for a 20 MB file took the server to 1.7 GB). The app's own requests
 * never ask for them that way (downloads are plain links, the autosave and AI tools use fetch),
 * so in a `.data` request a Response other than a redirect is refused (404) and its body
 * released; data (`data()`, objects) and redirects go through as before.
 */
export function withDataRequestGuard(build: ServerBuild): ServerBuild {
  return wrapRouteFunctions(build, refuseResponses)
}

function refuseResponses(fn: RouteFunction): RouteFunction {
  return async (args) => {
    const result = await fn(args)
    if (!args.context.dataRequest || !(result instanceof Response) || isRedirect(result)) return result
    await result.body?.cancel().catch(() => {})
    throw notForDataRequests()
  }
}

function isRedirect(response: Response) {
  return response.status >= 300 && response.status < 400 && response.headers.has('Location')
}
