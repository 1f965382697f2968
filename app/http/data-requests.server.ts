import type { ServerBuild } from '@remix-run/node'
import { wrapRouteFunctions, type RouteFunction } from './route-functions.server.ts'

/** The answer to a `.data` request for what only a direct request may fetch. */
function notForDataRequests() {
  return new Response('Not Found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

type Route = ServerBuild['routes'][string]

/**
 * Remix's single-fetch (`….data`, GET and POST) reads a Response that a loader or action returns
 * whole, as text, into its encoded answer: a file download (an attachment, a customer's file
 * through their private link), an email's HTML frame, an event stream. A `.data` request for one
 * of them held the whole file in memory at ~2.4 times its size, without its download and sandbox
 * headers (a burst of 20 for a 20 MB file took the server to 1.7 GB). The app's own requests
 * never ask for them that way (downloads are plain links, the autosave and AI tools use fetch),
 * so in a `.data` request a Response other than a redirect is refused (404) and its body
 * released; data (`data()`, objects) and redirects go through as before, an action's redirect
 * marked to load the page it lands on (`reloadWhereItLands`).
 *
 * A resource route (no UI) is not run at all in a `.data` request unless its module says the
 * app's own forms post to it that way (`handle.dataRequests`: sign-out, the AI panels): the
 * refusal came after the route had run, so `POST /api/v1/tickets.data` created a ticket (a PATCH
 * changed one, a webhook's secret was rotated and never shown) and answered 404, which a client
 * retries into a duplicate. The API's own paths refuse `.data` before this (app/api/dispatch).
 */
export function withDataRequestGuard(build: ServerBuild): ServerBuild {
  return wrapRouteFunctions(build, refuseResponses)
}

/** Whether a `.data` request may run the route's loader and action (see above). */
export function answersDataRequests(route: Pick<Route, 'module'>) {
  const {
    default: component,
    ErrorBoundary,
    handle,
  } = route.module as Route['module'] & {
    handle?: { dataRequests?: unknown }
  }
  return Boolean(component || ErrorBoundary) || handle?.dataRequests === true
}

function refuseResponses(fn: RouteFunction, route: Route): RouteFunction {
  const runs = answersDataRequests(route)
  return async (args) => {
    if (!args.context.dataRequest) return fn(args)
    if (!runs) throw notForDataRequests()
    const posted = args.request.method !== 'GET' && args.request.method !== 'HEAD'
    let result
    try {
      result = await fn(args)
    } catch (error) {
      if (error instanceof Response) {
        noteRetryAfter(args.context, error.headers)
        if (posted && isRedirect(error)) reloadWhereItLands(error)
      }
      throw error
    }
    if (!(result instanceof Response)) {
      noteRetryAfter(args.context, answeredHeaders(result))
      return result
    }
    if (isRedirect(result)) {
      if (posted) reloadWhereItLands(result)
      return result
    }
    await result.body?.cancel().catch(() => {})
    throw notForDataRequests()
  }
}

/**
 * Remix builds a `.data` answer's headers only from routes' `headers` exports (we have none), as it
 * does a page's, so the Retry-After of a refusal (`data(…, limitRefusal(…))`: a form posted with
 * JavaScript, a fetcher) was dropped: a 429 that did not say when to try again. The route
 * function's Retry-After is noted here and `handleDataRequest` (app/entry.server.tsx) sets it on
 * the answer, as the entry does for a page.
 */
function noteRetryAfter(context: { answeredRetryAfter?: string }, headers: HeadersInit | undefined) {
  const value = headers && new Headers(headers).get('Retry-After')
  if (value) context.answeredRetryAfter ??= value
}

/** The headers of `data(value, init)` (Remix's DataWithResponseInit), if the result is one. */
function answeredHeaders(result: unknown): HeadersInit | undefined {
  if (typeof result !== 'object' || result === null) return undefined
  const { type, init } = result as { type?: unknown; init?: { headers?: HeadersInit } | null }
  return type === 'DataWithResponseInit' ? init?.headers : undefined
}

/**
 * An action's redirect always loads the page it lands on. React Router follows a redirect that
 * changes only the URL's hash (the reply's `#m-<id>`, Undo send's `#undone-<id>`, the AI
 * translation's `#m-<id>`) without loading anything unless a reload is due. A fetcher's post marks
 * one due when it starts, but a reload of the page that ends while the post is on its way (a live
 * event's, the one after the live connection came back) clears the mark: the reply's redirect then
 * only changed the hash, which remounted the composer with the page as it was before the send. No
 * "Sending in N s" with its Undo, and the composer brought the sent text back from this browser's
 * copy and saved it as the draft again, ready to be sent twice. The single-fetch answer's
 * `revalidate` (from this header) marks the reload due on arrival.
 */
function reloadWhereItLands(response: Response) {
  try {
    response.headers.set('X-Remix-Revalidate', 'yes')
  } catch {
    // Immutable headers (`Response.redirect()`, none of ours): followed as React Router would.
  }
}

function isRedirect(response: Response) {
  return response.status >= 300 && response.status < 400 && response.headers.has('Location')
}
