import { useRevalidator } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { whenOnline } from '#app/utils/when-online.ts'

/**
 * On the first visit of a user without a time zone, posts the browser's zone to
 * `/account/time-zone`, which keeps it unless the user chose one meanwhile, then reloads the page's
 * data so its dates (and the account page's Time zone field) show in that zone. Without
 * JavaScript the zone stays unset and dates are shown in UTC.
 *
 * A plain `fetch`, not a fetcher: a fetcher follows its action's redirect as a navigation, and a
 * post that reached the server just after the user signed out (they click Sign out as the page
 * opens) was answered with the redirect to sign in, so the sign-out landed on
 * `/login?redirectTo=/account` and the next sign-in opened the account page. Here a redirect is
 * nothing to follow (`redirect: 'manual'`): only the route's 204 reloads the data.
 */
export function TimeZoneDetector() {
  const { revalidate } = useRevalidator()
  const sent = useRef(false)
  useEffect(() => {
    const send = () => {
      if (sent.current) return
      sent.current = true
      const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone
      if (!timeZone) return
      const body = new URLSearchParams({ timeZone })
      fetch('/account/time-zone', { method: 'POST', body, redirect: 'manual' })
        .then((response) => {
          if (response.ok) revalidate()
        })
        // Offline or refused: the zone is detected again on the next page load.
        .catch(() => undefined)
    }
    // Offline, the post would fail; it is sent once the browser is back online.
    return whenOnline(send)
  }, [revalidate])
  return null
}
