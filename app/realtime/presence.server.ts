import type { z } from 'zod'
import { getDb } from '#db/client.ts'
import { ticketForMember } from '#db/queries/realtime.ts'
import { logger } from '#app/logger.server.ts'
import type { AppServer, AppSocket } from './io.server.ts'
import {
  WorkspacePayload,
  TicketRoomPayload,
  TYPING_TTL_MS,
  TypingPayload,
  type Ack,
  type AckResponse,
  type PresencePayload,
  type Viewer,
} from './protocol.ts'

export const ticketRoomPrefix = (workspaceId: string) => `ticket:${workspaceId}:`
export const ticketRoom = (workspaceId: string, ticketId: string) =>
  `${ticketRoomPrefix(workspaceId)}${ticketId}`

// Flood control for client events: a small token bucket per socket (this instance only).
const BUCKET_SIZE = 10
const REFILL_PER_SECOND = 2
const buckets = new WeakMap<AppSocket, { tokens: number; at: number }>()

function allow(socket: AppSocket) {
  const now = Date.now()
  const bucket = buckets.get(socket) ?? { tokens: BUCKET_SIZE, at: now }
  bucket.tokens = Math.min(BUCKET_SIZE, bucket.tokens + ((now - bucket.at) / 1000) * REFILL_PER_SECOND)
  bucket.at = now
  buckets.set(socket, bucket)
  if (bucket.tokens < 1) return false
  bucket.tokens -= 1
  return true
}

/**
 * The listener of one client event. Anything can arrive (any payload; anything or nothing in
 * the acknowledgement's place, whatever the protocol's types say), so: flood control, then the
 * payload through `schema`, then `run` with the parsed input and the acknowledgement. A failure
 * is logged and answered `Server error`. The answer's type comes from the event the listener is
 * registered for.
 */
function clientEvent<S extends z.ZodType, T extends object>(
  socket: AppSocket,
  schema: S,
  run: (input: z.infer<S>, answer: Ack<T>) => Promise<void>,
) {
  return async (payload: unknown, ack: Ack<T>) => {
    const answer = (response: AckResponse<T>) => {
      if (typeof ack === 'function') ack(response)
    }
    if (!allow(socket)) return answer({ ok: false, error: 'Too many events' })
    const parsed = schema.safeParse(payload)
    if (!parsed.success) return answer({ ok: false, error: 'Invalid payload' })
    try {
      await run(parsed.data, answer)
    } catch (error) {
      logger().error({ err: error }, 'socket event failed')
      answer({ ok: false, error: 'Server error' })
    }
  }
}

/** The ticket room this socket is in for `ticketId`, if any. */
function joinedTicketRoom(socket: AppSocket, ticketId: string) {
  return [...socket.rooms].find((r) => r.startsWith('ticket:') && r.endsWith(`:${ticketId}`))
}

/**
 * Ticket rooms and presence. A socket joins `ticket:<workspace>:<ticket>` only after the server
 * checked the user is a member of the ticket's workspace. Viewers and typists are computed from
 * the sockets in the room (on every instance, through the adapter) and sent to the room and,
 * as a marker for the queue, to the workspace.
 */
export function registerPresence(io: AppServer, socket: AppSocket) {
  socket.on(
    'ticket:join',
    clientEvent(socket, TicketRoomPayload, async ({ ticketId }, answer) => {
      const ticket = await ticketForMember(getDb(), { userId: socket.data.userId, ticketId })
      if (!ticket) return answer({ ok: false, error: 'Not found' })
      await socket.join(ticketRoom(ticket.workspaceId, ticketId))
      // In the room from now on; what changed before (while the page loaded) the page learns here.
      answer({ ok: true, changedAt: ticket.changedAt })
      await broadcastPresence(io, ticket.workspaceId, ticketId)
    }),
  )

  socket.on(
    'ticket:leave',
    clientEvent(socket, TicketRoomPayload, async ({ ticketId }, answer) => {
      const room = joinedTicketRoom(socket, ticketId)
      if (!room) return answer({ ok: true })
      await socket.leave(room)
      if (socket.data.typing?.ticketId === ticketId) socket.data.typing = undefined
      answer({ ok: true })
      await broadcastPresence(io, workspaceOf(room), ticketId)
    }),
  )

  socket.on(
    'typing',
    clientEvent(socket, TypingPayload, async ({ ticketId, kind }, answer) => {
      const room = joinedTicketRoom(socket, ticketId)
      if (!room) return answer({ ok: false, error: 'Join the ticket first' })
      socket.data.typing = kind ? { ticketId, kind, until: Date.now() + TYPING_TTL_MS } : undefined
      answer({ ok: true })
      await broadcastPresence(io, workspaceOf(room), ticketId)
      if (kind) {
        // When the signal lapses without renewal, everyone should see it stop.
        const timer = setTimeout(
          () => void broadcastPresence(io, workspaceOf(room), ticketId),
          TYPING_TTL_MS + 50,
        )
        timer.unref()
      }
    }),
  )

  socket.on(
    'workspace:viewing',
    clientEvent(socket, WorkspacePayload, async ({ workspaceId }, answer) => {
      // Only for a workspace this socket belongs to (joined at connection after the membership check).
      if (!socket.rooms.has(`workspace:${workspaceId}`)) return answer({ ok: false, error: 'Not found' })
      const sockets = await io.in(`workspace:${workspaceId}`).fetchSockets()
      const prefix = ticketRoomPrefix(workspaceId)
      const names = new Map<string, Set<string>>()
      for (const s of sockets) {
        for (const room of s.rooms) {
          if (!room.startsWith(prefix)) continue
          const ticketId = room.slice(prefix.length)
          if (!names.has(ticketId)) names.set(ticketId, new Set())
          names.get(ticketId)?.add(s.data.name)
        }
      }
      answer({ ok: true, viewing: Object.fromEntries([...names].map(([id, set]) => [id, [...set].sort()])) })
    }),
  )

  socket.on('disconnecting', () => {
    const rooms = [...socket.rooms].filter((r) => r.startsWith('ticket:'))
    // After the socket has left: recompute for the rooms it was in.
    setImmediate(() => {
      for (const room of rooms)
        void broadcastPresence(io, workspaceOf(room), room.slice(room.lastIndexOf(':') + 1))
    })
  })
}

function workspaceOf(room: string) {
  return room.split(':')[1]
}

export async function viewersOf(io: AppServer, workspaceId: string, ticketId: string): Promise<Viewer[]> {
  const sockets = await io.in(ticketRoom(workspaceId, ticketId)).fetchSockets()
  const byUser = new Map<string, Viewer>()
  const now = Date.now()
  for (const s of sockets) {
    const { userId, name, typing } = s.data
    const kind = typing && typing.ticketId === ticketId && typing.until > now ? typing.kind : null
    const existing = byUser.get(userId)
    if (!existing) byUser.set(userId, { userId, name, typing: kind })
    else if (kind) existing.typing = kind
  }
  return [...byUser.values()].sort((a, b) => a.name.localeCompare(b.name))
}

async function broadcastPresence(io: AppServer, workspaceId: string, ticketId: string) {
  try {
    const viewers = await viewersOf(io, workspaceId, ticketId)
    const payload: PresencePayload = { ticketId, viewers }
    io.to(ticketRoom(workspaceId, ticketId)).emit('presence', payload)
    io.to(`workspace:${workspaceId}`).emit('viewing', { ticketId, viewers: viewers.map((v) => v.name) })
  } catch (error) {
    logger().error({ err: error }, 'presence broadcast failed')
  }
}
