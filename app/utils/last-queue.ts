import { useLocation } from '@remix-run/react'
import { useEffect, useState } from 'react'

const key = (slug: string) => `switchboard:queue:${slug}`

/** The queue remembers its URL (view, filters, page) for this tab… */
export function useRememberQueueUrl(slug: string) {
  const location = useLocation()
  useEffect(() => {
    try {
      sessionStorage.setItem(key(slug), queueSearchOf(location.search))
    } catch {
      // storage may be disabled: the plain Inbox link still works
    }
  }, [slug, location.search])
}

/** …so "back to the inbox" from a ticket returns to the same view and filters. */
export function useLastQueueUrl(slug: string) {
  const base = `/w/${slug}/tickets`
  const [url, setUrl] = useState(base)
  useEffect(() => {
    try {
      const search = sessionStorage.getItem(key(slug))
      if (search) setUrl(`${base}${search}`)
    } catch {
      // ignore: fall back to the plain inbox
    }
  }, [base, slug])
  return url
}

/**
 * The queue's query string as its rows' links name it: without what only this page load shows (a
 * bulk action's result, the reply "Send & next" left to undo), which the way back must not show
 * again.
 */
export function queueSearchOf(search: string) {
  if (!search.includes('bulk=') && !search.includes('sent=')) return search
  const params = new URLSearchParams(search)
  params.delete('bulk')
  params.delete('sent')
  return params.size > 0 ? `?${params}` : ''
}

/**
 * A ticket's link from a queue: it names the queue (`?from=<its query string>`, for "Send & next"
 * and the way back, without JavaScript too) and lands on the newest message (`#latest`). `sent`:
 * the reply "Send & next" left in its undo window, which the page offers to undo.
 */
export function ticketHref(slug: string, number: number, queueSearch: string, sent?: string) {
  const from = queueSearch.replace(/^\?/, '')
  const search = new URLSearchParams(from ? { from } : undefined)
  if (sent) search.set('sent', sent)
  return `/w/${slug}/tickets/${number}${search.size > 0 ? `?${search}` : ''}#latest`
}

const ticketKey = (slug: string) => `switchboard:queue-ticket:${slug}`
/** Queues remembered per tab: the agent's places in more lists than this are not kept. */
const PLACES_KEPT = 20

/**
 * A queue's query string as one key, however it was written: the row links' `?from=` (without
 * `?`), the location's search, or the one `…/beside/…` re-encodes when j/k reach another page.
 */
export function queueKeyOf(search: string) {
  const params = new URLSearchParams(search)
  params.delete('bulk')
  params.delete('sent')
  params.delete('index')
  return params.toString()
}

function readPlaces(slug: string): Record<string, string> {
  try {
    const stored: unknown = JSON.parse(sessionStorage.getItem(ticketKey(slug)) ?? '{}')
    return stored && typeof stored === 'object' && !Array.isArray(stored)
      ? Object.fromEntries(
          Object.entries(stored).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        )
      : {}
  } catch {
    return {}
  }
}

/**
 * The ticket the agent last opened or reached (j/k, Send & next) from the queue `from`, for this
 * tab: the queue puts its keyboard cursor back on that row (QueueTable).
 */
export function useRememberQueueTicket(slug: string, from: string | null, ticketId: string) {
  useEffect(() => {
    try {
      // Opened without a queue named (a notification, a bookmark): the tab's last queue.
      const queue = queueKeyOf(from ?? sessionStorage.getItem(key(slug)) ?? '')
      const places = readPlaces(slug)
      delete places[queue]
      places[queue] = ticketId
      const kept = Object.entries(places).slice(-PLACES_KEPT)
      sessionStorage.setItem(ticketKey(slug), JSON.stringify(Object.fromEntries(kept)))
    } catch {
      // storage may be disabled: the queue starts at its top, as before
    }
  }, [slug, from, ticketId])
}

/** The id of the ticket last opened from the queue `search` in this tab (see above), or null. */
export function lastTicketOfQueue(slug: string, search: string): string | null {
  return readPlaces(slug)[queueKeyOf(search)] ?? null
}
