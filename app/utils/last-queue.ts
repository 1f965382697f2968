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
