import { useLocation, useNavigationType } from '@remix-run/react'
import { useEffect } from 'react'

/**
 * The history entries (the router's location keys) this document has shown a ticket in and
 * left: Back or Forward to one of them is a return, whose scroll the router restores. Bounded by
 * the history of one tab; the keys are short.
 */
const leftEntries = new Set<string>()

/**
 * A ticket opens at its newest message (the `#latest` item of the thread), not at the top of a
 * long thread. Without JavaScript the inbox's links carry `#latest` for the same effect. A link to
 * a given message (`#m-…`, after a send) or another anchor keeps its own target. Runs once per
 * ticket: revalidations, live updates and "Show earlier messages" leave the scroll alone. Back
 * or Forward to a ticket this tab showed leaves it too: the router's `ScrollRestoration` puts the
 * agent back where they were reading (over the earlier messages they had loaded, which
 * `useEarlierMessages` shows again), and scrolling to the newest message after it undid that.
 */
export function useOpenAtNewest(ticketId: string) {
  const { hash, key } = useLocation()
  const navigationType = useNavigationType()
  useEffect(() => {
    if (navigationType === 'POP' && leftEntries.has(key)) return
    if (hash && hash !== '#latest') return
    document.getElementById('latest')?.scrollIntoView({ block: 'start' })
    // Only a new ticket scrolls; the hash and the navigation at that moment decide.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ticketId])
  useEffect(
    () => () => {
      leftEntries.add(key)
    },
    [key],
  )
}
