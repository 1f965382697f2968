import { useFetcher } from '@remix-run/react'
import { useEffect, useRef } from 'react'

/**
 * On the first visit of a user without a time zone, posts the browser's zone (a hidden field) to
 * the account action, which keeps it unless the user chose one meanwhile. Without JavaScript the
 * zone stays unset and dates are shown in UTC.
 */
export function TimeZoneDetector() {
  const fetcher = useFetcher()
  const sent = useRef(false)
  useEffect(() => {
    if (sent.current) return
    sent.current = true
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone
    if (!timeZone) return
    fetcher.submit({ intent: 'detect-time-zone', timeZone }, { method: 'post', action: '/account' })
  }, [fetcher])
  return null
}
