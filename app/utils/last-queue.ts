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
