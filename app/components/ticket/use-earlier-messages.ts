import { useFetcher } from '@remix-run/react'
import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import { isRouteModuleLoaded, preloadRouteModule } from '#app/utils/preload-route.ts'
import type { ThreadEntry } from './thread.tsx'

/** A field change of the ticket as its loaders give it (described by the page). */
export type ThreadActivity = {
  id: string
  action: string
  data: Record<string, unknown>
  actorName: string | null
  createdAt: string
}

/** What `/w/<slug>/tickets/<n>/earlier?before=<id>` answers (its route's loader and clientLoader). */
type EarlierPage =
  | {
      failed: false
      ticketId: string
      before: string | null
      earlierMessages: number
      thread: ThreadEntry[]
      activity: ThreadActivity[]
    }
  | { failed: true }

/** The page's thread as the loader gave it: one page, and how many messages come before it. */
type LoadedPage = { thread: ThreadEntry[]; activity: ThreadActivity[]; earlierMessages: number }

/** What the page shows: the earlier pages loaded here, then the loader's page. */
type Shown = { messages: ThreadEntry[]; activity: ThreadActivity[]; earlier: number }

const EARLIER_ROUTE = 'routes/w.$slug.tickets.$number_.earlier'

/** Runs before paint in the browser; the server renders no effects (and warns of layout ones). */
const useLayoutEffectInBrowser = typeof document === 'undefined' ? useEffect : useLayoutEffect

const position = (m: { createdAt: string; id: string }) => `${m.createdAt} ${m.id}`

/**
 * "Show N earlier messages" with JavaScript: loads the page before the first message shown (a
 * fetcher to `…/earlier`, read as a page) and puts it above, in place; the draft, the composer
 * and the scroll position are untouched (what was in view stays in view). Revalidations (live
 * events, the page's forms) reload only the loader's page: the earlier messages stay as loaded,
 * and each new loader page is kept with them, so nothing drops out of the middle as messages
 * arrive. Should the counts say that messages came or went before the loader's page that the
 * kept ones do not have (more than a page at once, a teammate's held reply released), the page
 * shows the loader's page alone again, with its link.
 */
export function useEarlierMessages({
  ticketId,
  slug,
  number,
  page,
}: {
  ticketId: string
  slug: string
  number: number
  page: LoadedPage
}) {
  const [kept, setKept] = useState<(Shown & { ticketId: string }) | null>(null)
  const mine = kept?.ticketId === ticketId ? kept : null
  const shown = withKept(mine, page)
  const latest = useRef({ shown, ticketId })
  latest.current = { shown, ticketId }

  // Each new loader page joins what is kept (or, no longer contiguous, replaces it).
  useEffect(() => {
    setKept((k) => {
      if (k?.ticketId !== latest.current.ticketId) return null
      const next = withKept(k, page)
      return next.messages === page.thread ? null : { ticketId: k.ticketId, ...next }
    })
  }, [page])

  const fetcher = useFetcher<EarlierPage>()
  const [failed, setFailed] = useState(false)
  const anchor = useRef<{ id: string; top: number } | null>(null)
  const handled = useRef<unknown>(null)
  const asked = useRef(false)
  useEffect(() => {
    const data = fetcher.data
    if (fetcher.state !== 'idle') return
    const answered = asked.current
    asked.current = false
    // A load that ended with no answer of its own: the router interrupted it (a revalidation
    // of the page started meanwhile, e.g. a live event's, and this route never revalidates).
    // Said like a failure, so the click is not silently lost.
    if (answered && (data === undefined || data === handled.current)) {
      setFailed(true)
      return
    }
    if (data === undefined || data === handled.current) return
    handled.current = data
    if (data.failed) {
      setFailed(true)
      return
    }
    const { shown: now, ticketId: current } = latest.current
    const first = now.messages[0]
    // An answer for what is no longer the first message shown (a reset, another ticket): dropped.
    if (data.ticketId !== current || data.before === null || data.before !== first?.id) return
    const top = document.getElementById(`m-${first.id}`)?.getBoundingClientRect().top
    anchor.current = top === undefined ? null : { id: first.id, top }
    const known = new Set(now.messages.map((m) => m.id))
    const knownActivity = new Set(now.activity.map((a) => a.id))
    setKept({
      ticketId: current,
      messages: [...data.thread.filter((m) => !known.has(m.id)), ...now.messages],
      activity: [...data.activity.filter((a) => !knownActivity.has(a.id)), ...now.activity],
      earlier: data.earlierMessages,
    })
  }, [fetcher.state, fetcher.data])

  // The message that was first stays where it was on screen; the earlier ones are above it.
  useLayoutEffectInBrowser(() => {
    const at = anchor.current
    if (!at) return
    anchor.current = null
    const top = document.getElementById(`m-${at.id}`)?.getBoundingClientRect().top
    if (top !== undefined && top !== at.top) window.scrollBy(0, top - at.top)
  }, [kept])

  const first = shown.messages[0]
  return {
    ...shown,
    loading: fetcher.state !== 'idle',
    failed,
    /** Fetch the route's module while the network is there (a fetcher imports it first). */
    prepare: () => preloadRouteModule(EARLIER_ROUTE),
    load: () => {
      if (!first) return
      setFailed(false)
      // Offline without the route's module, Remix would reload the whole page to import it.
      if (!navigator.onLine && !isRouteModuleLoaded(EARLIER_ROUTE)) {
        setFailed(true)
        return
      }
      asked.current = true
      fetcher.load(`/w/${slug}/tickets/${number}/earlier?before=${encodeURIComponent(first.id)}`)
    },
  }
}

/**
 * The kept messages before the loader's page, then that page: when they run on into it (as many
 * kept before it as the loader counts before it, given how many came before the kept ones);
 * otherwise the loader's page alone (`thread` itself).
 */
function withKept(kept: Shown | null, page: LoadedPage): Shown {
  const alone = { messages: page.thread, activity: page.activity, earlier: page.earlierMessages }
  if (!kept) return alone
  const first = page.thread[0]
  const onPage = new Set(page.thread.map((m) => m.id))
  const before = kept.messages.filter(
    (m) => !onPage.has(m.id) && (first === undefined || position(m) < position(first)),
  )
  if (kept.earlier + before.length !== page.earlierMessages) return alone
  const activityOnPage = new Set(page.activity.map((a) => a.id))
  const activityBefore = kept.activity.filter(
    (a) => !activityOnPage.has(a.id) && (first === undefined || a.createdAt < first.createdAt),
  )
  return {
    messages: [...before, ...page.thread],
    activity: [...activityBefore, ...page.activity],
    earlier: kept.earlier,
  }
}
