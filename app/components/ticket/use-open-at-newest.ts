import { useLocation } from '@remix-run/react'
import { useEffect } from 'react'

/**
 * A ticket opens at its newest message (the `#latest` item of the thread), not at the top of a
 * long thread. Without JavaScript the inbox's links carry `#latest` for the same effect. A link to
 * a given message (`#m-…`, after a send) or another anchor keeps its own target. Runs once per
 * ticket: revalidations, live updates and "Show earlier messages" leave the scroll alone.
 */
export function useOpenAtNewest(ticketId: string) {
  const { hash } = useLocation()
  useEffect(() => {
    if (hash && hash !== '#latest') return
    document.getElementById('latest')?.scrollIntoView({ block: 'start' })
    // Only a new ticket scrolls; the hash at that moment decides.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ticketId])
}
