import { useLocation } from '@remix-run/react'
import { useEffect, useState } from 'react'

const key = (slug: string) => `switchboard:queue:${slug}`

/** The queue remembers its URL (view, filters, page) for this tab… */
export function useRememberQueueUrl(slug: string) {
  const location = useLocation()
  useEffect(() => {
    try {
      sessionStorage.setItem(key(slug), location.search)
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
 * A ticket's link from a queue: it names the queue (`?from=<its query string>`, for "Send & next"
 * and the way back, without JavaScript too) and lands on the newest message (`#latest`).
 */
export function ticketHref(slug: string, number: number, queueSearch: string) {
  const from = queueSearch.replace(/^\?/, '')
  return `/w/${slug}/tickets/${number}${from ? `?${new URLSearchParams({ from })}` : ''}#latest`
}
