import { isRouteErrorResponse } from '@remix-run/react'

/**
 * Whether a failed client-side request (a fetcher's load or post, a revalidation) never got an
 * answer the page should act on: the network is down, the connection was cut, or a server or
 * proxy answered 5xx. Such a failure must not replace the page with the error boundary (that
 * takes what the agent typed with it). A redirect and a 4xx refusal (403, 404) are answers and
 * keep their usual path.
 */
export function neverAnswered(error: unknown) {
  if (error instanceof Response) return false
  if (isRouteErrorResponse(error)) return error.status >= 500
  return true
}

/** The result a route's clientLoader or clientAction gives when the request was not answered. */
export const UNANSWERED = { sendFailed: true } as const
