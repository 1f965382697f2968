import { useRevalidator } from '@remix-run/react'
import { useCallback, useEffect, useRef, useState } from 'react'
import {
  TYPING_THROTTLE_MS,
  type PresencePayload,
  type Viewer,
  type ViewingPayload,
  type ViewingSnapshot,
} from '#app/realtime/protocol.ts'
import { latestWhenOnline } from '#app/utils/when-online.ts'
import { useLive } from './live-provider.tsx'

/**
 * Joins the ticket's room while the page is open (again after each reconnect) and returns who
 * else is viewing or typing. `typing(kind)` is throttled to one event per 2 s. The join answers
 * when the ticket last changed; when that is not what the page shows (`changedAt`), something
 * happened before this socket was in the room (while the page loaded: the events of that moment
 * reached no one here), and the page reloads its data.
 */
export function usePresence(ticketId: string, selfUserId: string, changedAt?: string) {
  const { socket } = useLive()
  const [viewers, setViewers] = useState<Viewer[]>([])
  const lastSent = useRef<{ at: number; kind: 'reply' | 'note' | null }>({ at: 0, kind: null })
  const revalidator = useRevalidator()
  const latest = useRef({ changedAt, revalidate: revalidator.revalidate })
  latest.current = { changedAt, revalidate: revalidator.revalidate }

  useEffect(() => {
    if (!socket) return
    const reload = latestWhenOnline()
    const join = () =>
      socket.emit('ticket:join', { ticketId }, (answer) => {
        const shown = latest.current.changedAt
        if (!answer.ok || shown === undefined || !changedSince(shown, answer.changedAt)) return
        reload.run(() => latest.current.revalidate())
      })
    const onPresence = (payload: PresencePayload) => {
      if (payload.ticketId === ticketId) setViewers(payload.viewers)
    }
    socket.on('presence', onPresence)
    socket.on('connect', join)
    if (socket.connected) join()
    return () => {
      socket.off('presence', onPresence)
      socket.off('connect', join)
      reload.cancel()
      socket.emit('ticket:leave', { ticketId }, () => {})
      // No socket any more (access to the workspace lost) or another ticket: nobody is shown.
      setViewers([])
    }
  }, [socket, ticketId])

  const typing = useCallback(
    (kind: 'reply' | 'note' | null) => {
      if (!socket) return
      const now = Date.now()
      const { at, kind: previous } = lastSent.current
      if (kind === previous && now - at < TYPING_THROTTLE_MS) return
      lastSent.current = { at: now, kind }
      socket.emit('typing', { ticketId, kind }, () => {})
    },
    [socket, ticketId],
  )

  return { others: viewers.filter((v) => v.userId !== selfUserId), typing }
}

/** Which tickets of the workspace someone is viewing right now (for markers in the queue). */
export function useViewing(workspaceId: string) {
  const { socket } = useLive()
  const [viewing, setViewing] = useState<Record<string, string[]>>({})
  useEffect(() => {
    if (!socket) return
    const handler = ({ ticketId, viewers }: ViewingPayload) =>
      setViewing((current) => ({ ...current, [ticketId]: viewers }))
    // The server's whole snapshot (sent when the set of instances changed: markers of tickets viewed
    // from an instance that died are cleared by it, not by a `viewing` event).
    const replace = (payload: ViewingSnapshot & { workspaceId: string }) => {
      if (payload.workspaceId === workspaceId) setViewing(payload.viewing)
    }
    // A snapshot on (re)connect, then changes as they happen.
    const snapshot = () =>
      socket.emit('workspace:viewing', { workspaceId }, (response) => {
        if (response.ok) setViewing(response.viewing)
      })
    socket.on('viewing', handler)
    socket.on('viewing:all', replace)
    socket.on('connect', snapshot)
    if (socket.connected) snapshot()
    return () => {
      socket.off('viewing', handler)
      socket.off('viewing:all', replace)
      socket.off('connect', snapshot)
      setViewing({})
    }
  }, [socket, workspaceId])
  return viewing
}

/**
 * Whether the ticket changed since the page read it. Any difference counts, not only a later time:
 * a change stamps the time its transaction started, which can be earlier than a value the page
 * read if that change committed after the page's read.
 */
export function changedSince(shown: string, now: string) {
  return now !== shown
}
