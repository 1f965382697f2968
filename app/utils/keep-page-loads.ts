/**
 * What a page's data load fails with when Switchboard could not be reached (the network is down,
 * the server or its proxy does not answer): the root ErrorBoundary says so, with Try again,
 * instead of "Something went wrong".
 */
export class UnreachableError extends Error {
  constructor(cause: unknown) {
    super('Switchboard could not be reached', { cause })
    this.name = 'UnreachableError'
  }
}

/** What a proxy or load balancer answers when the app behind it is down or restarting. */
const UNREACHABLE_STATUSES = new Set([502, 503, 504])

type RouterLocation = { pathname: string; search: string }

/**
 * Keeps the page when a reload of its data gets no answer, for every page at once: installed
 * over `window.fetch` by entry.client.tsx, it looks only at the `.data` GETs single fetch makes
 * for loaders (one request for all of a page's routes).
 *
 * - A reload of the page shown (a live event's, the one after a reconnect or after a post) that
 *   fails at the network level, or gets a 502/503/504, waits and is sent again (once the browser
 *   is back online; while it says it is online, after 1, 2, 4… s up to 30 s) until answered or
 *   dropped (its signal aborts: a newer reload, a navigation). The page keeps its data and what
 *   the agent was typing; before, the failure landed in the root ErrorBoundary and replaced it.
 * - A load for another page (a link followed) that gets no answer fails with `UnreachableError`.
 * - Everything else (posts, fetchers' other routes, files) goes out untouched.
 *
 * Here and not in a clientLoader per route: with single fetch, each route that has a clientLoader
 * gets its own `.data` request, so a ticket page's reload would be three requests (three session
 * lookups) instead of one.
 */
export function keepPageWhenLoadsFail(
  shownLocation: () => RouterLocation | undefined = () =>
    (window as { __remixRouter?: { state: { location: RouterLocation } } }).__remixRouter?.state.location,
) {
  const send = window.fetch.bind(window)
  window.fetch = async (input, init) => {
    const url = dataLoadUrl(input, init)
    if (!url) return send(input, init)
    const reload = isShownPage(url, shownLocation() ?? window.location)
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined)
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await send(input, init)
        if (!reload || !UNREACHABLE_STATUSES.has(response.status)) return response
      } catch (error) {
        if (signal?.aborted) throw error
        if (!reload) throw new UnreachableError(error)
        console.error('A reload of the page got no answer; it is tried again', error)
      }
      await nextTry(attempt, signal)
    }
  }
}

/** The URL of a single-fetch loader request (`/path.data`, `/_root.data`), or undefined. */
function dataLoadUrl(input: RequestInfo | URL, init: RequestInit | undefined) {
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
  if (method !== 'GET') return undefined
  const url = new URL(input instanceof Request ? input.url : String(input), window.location.href)
  if (url.origin !== window.location.origin || !url.pathname.endsWith('.data')) return undefined
  return url
}

/**
 * Whether a loader request is for the page the router shows (a revalidation), not one it is
 * navigating to. The router's location, not the address bar's: going back changes the address
 * before the loaders run.
 */
function isShownPage(url: URL, shown: RouterLocation) {
  const pathname = url.pathname === '/_root.data' ? '/' : url.pathname.slice(0, -'.data'.length)
  const params = new URLSearchParams(url.search)
  params.delete('_routes')
  const shownParams = new URLSearchParams(shown.search)
  return pathname === shown.pathname.replace(/(.)\/$/, '$1') && params.toString() === shownParams.toString()
}

/** Resolves when it is time to send again; rejects when the request is dropped. */
function nextTry(attempt: number, signal: AbortSignal | null | undefined) {
  return new Promise<void>((resolve, reject) => {
    const delay = navigator.onLine ? Math.min(30_000, 1_000 * 2 ** attempt) : 0
    const timer = setTimeout(() => {
      if (navigator.onLine) onOnline()
      else window.addEventListener('online', onOnline, { once: true })
    }, delay)
    const done = () => {
      clearTimeout(timer)
      window.removeEventListener('online', onOnline)
      signal?.removeEventListener('abort', aborted)
    }
    function onOnline() {
      done()
      resolve()
    }
    function aborted() {
      done()
      reject(signal?.reason)
    }
    if (signal?.aborted) return aborted()
    signal?.addEventListener('abort', aborted, { once: true })
  })
}
