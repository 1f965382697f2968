import type { ClientLoaderFunctionArgs } from '@remix-run/react'
import { neverAnswered } from './unanswered.ts'

/**
 * What a page's loader throws when a navigation to it could not reach Switchboard (the network
 * is down): the root ErrorBoundary says so, instead of "Something went wrong".
 */
export class UnreachableError extends Error {
  constructor(cause: unknown) {
    super('Switchboard could not be reached', { cause })
    this.name = 'UnreachableError'
  }
}

/**
 * The clientLoader of every route with a loader the workspace pages show (`export const
 * clientLoader = keepPageWhenUnreached`). A reload of the page already shown (a live event's, the
 * one after a reconnect or after a post) that gets no answer (offline, the connection cut, a 5xx)
 * keeps the page and what the agent typed: it waits, the page showing its data, and tries again
 * once back online (or after 1, 2, 4… s up to 30 s when the browser thinks it is online). Before,
 * the failure landed in the route's ErrorBoundary. A navigation to another page that cannot reach
 * the server throws `UnreachableError`; redirects and 4xx answers pass through as before.
 *
 * No `clientLoader.hydrate`: the server's render and its data are used as they are (no
 * HydrateFallback, no change without JavaScript). With single fetch, each route with a
 * clientLoader gets its own `.data` request (`?_routes=<id>`) rather than sharing one.
 */
export async function keepPageWhenUnreached({ request, serverLoader }: ClientLoaderFunctionArgs) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await serverLoader()
    } catch (error) {
      if (!neverAnswered(error) || request.signal.aborted) throw error
      if (!isShownPage(request.url)) throw error instanceof TypeError ? new UnreachableError(error) : error
      console.error('A reload of the page got no answer; it is tried again', error)
    }
    await nextTry(attempt, request.signal)
  }
}

/**
 * Whether `url` is the page the router shows (a revalidation), not one it is navigating to. The
 * router's location, not the address bar's: going back changes the address before the loaders run.
 */
function isShownPage(url: string) {
  const router = (window as { __remixRouter?: { state: { location: { pathname: string; search: string } } } })
    .__remixRouter
  const shown = router?.state.location ?? window.location
  const requested = new URL(url)
  return requested.pathname === shown.pathname && requested.search === shown.search
}

/** Resolves when it is time to try again; rejects when the request is dropped (a newer one, a navigation). */
function nextTry(attempt: number, signal: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const delay = navigator.onLine ? Math.min(30_000, 1_000 * 2 ** attempt) : 0
    const timer = setTimeout(() => {
      if (navigator.onLine) onOnline()
      else window.addEventListener('online', onOnline, { once: true })
    }, delay)
    const done = () => {
      clearTimeout(timer)
      window.removeEventListener('online', onOnline)
      signal.removeEventListener('abort', aborted)
    }
    function onOnline() {
      done()
      resolve()
    }
    function aborted() {
      done()
      reject(signal.reason)
    }
    signal.addEventListener('abort', aborted, { once: true })
  })
}
