import { useRevalidator } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import type { TicketEvent } from '#app/realtime/events.ts'
import { latestWhenOnline } from '#app/utils/when-online.ts'
import { useLive } from './live-provider.tsx'

/**
 * Events that change the ticket page of `ticketId`: its updates and new messages, whoever made
 * them. Not filtered by the acting user: the same agent's change from another tab must show
 * here; the server already leaves out the tab that posted it (publish's `exceptSocketId`).
 */
export function changesTicket(ticketId: string) {
  return (event: TicketEvent) =>
    (event.type === 'ticket.updated' ||
      event.type === 'message.created' ||
      event.type === 'message.delivery') &&
    event.ticketId === ticketId
}

/**
 * Revalidates the page's loader data when a matching event arrives. Debounced: a burst of
 * events (50 in a second) causes one revalidation after it settles, and at least one per
 * `maxWaitMs` while it lasts.
 */
export function useLiveEvents(
  matches: (event: TicketEvent) => boolean,
  {
    debounceMs = 150,
    maxWaitMs = 1000,
    onEvent,
  }: { debounceMs?: number; maxWaitMs?: number; onEvent?: (e: TicketEvent) => void } = {},
) {
  const { socket } = useLive()
  const revalidator = useRevalidator()
  const latest = useRef({ matches, revalidate: revalidator.revalidate, onEvent })
  latest.current = { matches, revalidate: revalidator.revalidate, onEvent }

  useEffect(() => {
    if (!socket) return
    let timer: ReturnType<typeof setTimeout> | undefined
    let firstPending: number | undefined
    const reload = latestWhenOnline()
    const flush = () => {
      timer = undefined
      firstPending = undefined
      reload.run(() => latest.current.revalidate())
    }
    const handler = (event: TicketEvent) => {
      if (!latest.current.matches(event)) return
      latest.current.onEvent?.(event)
      const now = Date.now()
      firstPending ??= now
      if (timer) clearTimeout(timer)
      const wait = Math.max(0, Math.min(debounceMs, firstPending + maxWaitMs - now))
      timer = setTimeout(flush, wait)
    }
    socket.on('ticket-event', handler)
    return () => {
      socket.off('ticket-event', handler)
      reload.cancel()
      if (timer) clearTimeout(timer)
    }
  }, [socket, debounceMs, maxWaitMs])
}
