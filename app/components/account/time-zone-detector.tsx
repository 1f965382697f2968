import { useFetcher } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { whenOnline } from '#app/utils/when-online.ts'

/**
 * On the first visit of a user without a time zone, posts the browser's zone (a hidden field) to
 * the account action, which keeps it unless the user chose one meanwhile. Without JavaScript the
 * zone stays unset and dates are shown in UTC.
 */
export function TimeZoneDetector() {
  const fetcher = useFetcher()
  const sent = useRef(false)
  const { submit } = fetcher
  useEffect(() => {
    const send = () => {
      if (sent.current) return
      sent.current = true
      const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone
      if (!timeZone) return
      submit({ intent: 'detect-time-zone', timeZone }, { method: 'post', action: '/account' })
    }
    // Offline, the post (and the reload after it) would fail into the error page.
    return whenOnline(send)
  }, [submit])
  return null
}
