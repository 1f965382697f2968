import { useLocation } from '@remix-run/react'
import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { ThreadEntry } from './thread.tsx'

/** A field change of the ticket as its loaders give it (described by the page). */
export type ThreadActivity = {
  id: string
  action: string
  data: Record<string, unknown>
  actorName: string | null
  createdAt: string
}

/** What `/w/<slug>/tickets/<n>/earlier?before=<id>` answers (JSON; its route's loader). */
type EarlierPage = {
  ticketId: string
  before: string | null
  earlierMessages: number
  thread: ThreadEntry[]
  activity: ThreadActivity[]
}

/** The page's thread as the loader gave it: one page, and how many messages come before it. */
type LoadedPage = { thread: ThreadEntry[]; activity: ThreadActivity[]; earlierMessages: number }

/** What the page shows: the earlier pages loaded here, then the loader's page. */
type Shown = { messages: ThreadEntry[]; activity: ThreadActivity[]; earlier: number }

/** Runs before paint in the browser; the server renders no effects (and warns of layout ones). */
const useLayoutEffectInBrowser = typeof document === 'undefined' ? useEffect : useLayoutEffect

const position = (m: { createdAt: string; id: string }) => `${m.createdAt} ${m.id}`

type Kept = Shown & { ticketId: string }

/**
 * What each history entry of this tab showed of a thread, by the router's location key, so that
 * Back and Forward to it show the same earlier messages again (the router then puts the scroll
 * where it was: the page is as tall as when the agent left it). In memory only, never in
 * sessionStorage: message bodies stay out of storage, and a document loaded anew starts from the
 * loader's page (and hydrates the server's HTML). Bounded: the entries last used.
 */
const keptByEntry = new Map<string, { userId: string; kept: Kept }>()
const ENTRIES_KEPT = 20

function keptForEntry(key: string, ticketId: string, userId: string): Kept | null {
  const entry = keptByEntry.get(key)
  // Another ticket's, or another person's in this tab (signed out and in): not shown here.
  return entry?.kept.ticketId === ticketId && entry.userId === userId ? entry.kept : null
}

function keepForEntry(key: string, entry: { userId: string; kept: Kept } | null) {
  keptByEntry.delete(key)
  if (!entry) return
  keptByEntry.set(key, entry)
  for (const oldest of keptByEntry.keys()) {
    if (keptByEntry.size <= ENTRIES_KEPT) break
    keptByEntry.delete(oldest)
  }
}

/**
 * "Show N earlier messages" with JavaScript: loads the page before the first message shown
 * (`fetch` of `…/earlier`, JSON) and puts it above, in place; the draft, the composer and the
 * scroll position are untouched (what was in view stays in view). While it loads the link says
 * so; a load that gets no page (offline, a 5xx, signed out) says "Not loaded" by the link. Its
 * state is the hook's own, not a Remix fetcher's: CI saw a fetcher's failed load, offline, end
 * with neither its "Loading" nor its failure ever shown (the router's state reaches React in a
 * transition, with revalidations and interruptions of its own). Revalidations (live
 * events, the page's forms) reload only the loader's page: the earlier messages stay as loaded,
 * and each new loader page is kept with them, so nothing drops out of the middle as messages
 * arrive. Should the counts say that messages came or went before the loader's page that the
 * kept ones do not have (more than a page at once, a teammate's held reply released), the page
 * shows the loader's page alone again, with its link. Back or Forward to this page shows the
 * earlier messages its history entry showed (`keptByEntry`), with what the loader's page has
 * new, and the router restores the scroll over them.
 */
export function useEarlierMessages({
  ticketId,
  userId,
  slug,
  number,
  page,
}: {
  ticketId: string
  userId: string
  slug: string
  number: number
  page: LoadedPage
}) {
  const { key } = useLocation()
  const [kept, setKept] = useState<Kept | null>(() => keptForEntry(key, ticketId, userId))
  // Back or Forward to an entry of this tab (the page stays mounted between two tickets, or two
  // entries of one): what it showed, in this very render, so the router's scroll restoration
  // finds the page as tall as it was. A new entry (a link, a post's redirect) has nothing kept
  // and carries on with what is shown.
  const [entry, setEntry] = useState(key)
  if (entry !== key) {
    setEntry(key)
    const returned = keptForEntry(key, ticketId, userId)
    if (returned) setKept(returned)
  }
  useEffect(() => {
    keepForEntry(key, kept?.ticketId === ticketId ? { userId, kept } : null)
  }, [key, kept, ticketId, userId])
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

  // The load's state, for the ticket it was asked for (another ticket shows neither).
  const [status, setStatus] = useState<{ ticketId: string; state: 'loading' | 'failed' } | null>(null)
  const anchor = useRef<{ id: string; top: number } | null>(null)
  const asked = useRef(0)
  useEffect(
    () => () => {
      asked.current += 1 // unmounted: a load still under way changes nothing
    },
    [],
  )

  /** Puts an answered page above the messages shown, if it is still the page before them. */
  const show = (data: EarlierPage) => {
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
  }

  // The message that was first stays where it was on screen; the earlier ones are above it.
  useLayoutEffectInBrowser(() => {
    const at = anchor.current
    if (!at) return
    anchor.current = null
    const top = document.getElementById(`m-${at.id}`)?.getBoundingClientRect().top
    if (top !== undefined && top !== at.top) window.scrollBy(0, top - at.top)
  }, [kept])

  const first = shown.messages[0]
  const mineNow = status?.ticketId === ticketId ? status.state : null
  return {
    ...shown,
    loading: mineNow === 'loading',
    failed: mineNow === 'failed',
    load: async () => {
      if (!first || mineNow === 'loading') return
      const ask = ++asked.current
      const forTicket = ticketId
      setStatus({ ticketId: forTicket, state: 'loading' })
      const data = await fetchEarlierPage(
        `/w/${slug}/tickets/${number}/earlier?before=${encodeURIComponent(first.id)}`,
      )
      if (ask !== asked.current) return // unmounted, or asked again since
      setStatus(data ? null : { ticketId: forTicket, state: 'failed' })
      if (data) show(data)
    },
  }
}

/**
 * One page of earlier messages, or null when it did not come (offline, a 5xx, signed out: the
 * answer is then a redirect, not followed, or not the page's JSON).
 */
async function fetchEarlierPage(url: string): Promise<EarlierPage | null> {
  try {
    const response = await fetch(url, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      redirect: 'manual',
    })
    if (!response.ok || !response.headers.get('Content-Type')?.includes('application/json')) return null
    return (await response.json()) as EarlierPage
  } catch {
    return null
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
