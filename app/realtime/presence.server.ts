import type { Server, Socket } from 'socket.io'
import { getDb } from '#db/client.ts'
import { ticketForMember } from '#db/queries/realtime.ts'
import { logger } from '#app/logger.server.ts'
import {
  WorkspacePayload,
  TicketRoomPayload,
  TYPING_TTL_MS,
  TypingPayload,
  type Ack,
  type PresencePayload,
  type Viewer,
} from './protocol.ts'

export const ticketRoomPrefix = (workspaceId: string) => `ticket:${workspaceId}:`
export const ticketRoom = (workspaceId: string, ticketId: string) => `${ticketRoomPrefix(workspaceId)}${ticketId}`

type Typing = { ticketId: string; kind: 'reply' | 'note'; until: number }

// Flood control for client events: a small token bucket per socket.
const BUCKET_SIZE = 10
const REFILL_PER_SECOND = 2

function allow(socket: Socket) {
  const now = Date.now()
  const bucket = (socket.data.bucket as { tokens: number; at: number } | undefined) ?? {
    tokens: BUCKET_SIZE,
    at: now,
  }
  bucket.tokens = Math.min(BUCKET_SIZE, bucket.tokens + ((now - bucket.at) / 1000) * REFILL_PER_SECOND)
  bucket.at = now
  socket.data.bucket = bucket
  if (bucket.tokens < 1) return false
  bucket.tokens -= 1
  return true
}

function reply(ack: unknown, response: Parameters<Ack>[0]) {
  if (typeof ack === 'function') (ack as Ack)(response)
}

/**
 * Ticket rooms and presence. A socket joins `ticket:<workspace>:<ticket>` only after the server
 * checked the user is a member of the ticket's workspace. Viewers and typists are computed from
 * the sockets in the room (on every instance, through the adapter) and sent to the room and,
 * as a marker for the queue, to the workspace.
 */
export function registerPresence(io: Server, socket: Socket) {
  socket.on('ticket:join', async (payload: unknown, ack: unknown) => {
    if (!allow(socket)) return reply(ack, { ok: false, error: 'Too many events' })
    const parsed = TicketRoomPayload.safeParse(payload)
    if (!parsed.success) return reply(ack, { ok: false, error: 'Invalid payload' })
    try {
      const ticket = await ticketForMember(getDb(), socket.data.userId as string, parsed.data.ticketId)
      if (!ticket) return reply(ack, { ok: false, error: 'Not found' })
      await socket.join(ticketRoom(ticket.workspaceId, parsed.data.ticketId))
      reply(ack, { ok: true })
      await broadcastPresence(io, ticket.workspaceId, parsed.data.ticketId)
    } catch (error) {
      logger().error({ err: error }, 'ticket:join failed')
      reply(ack, { ok: false, error: 'Server error' })
    }
  })

  socket.on('ticket:leave', async (payload: unknown, ack: unknown) => {
    if (!allow(socket)) return reply(ack, { ok: false, error: 'Too many events' })
    const parsed = TicketRoomPayload.safeParse(payload)
    if (!parsed.success) return reply(ack, { ok: false, error: 'Invalid payload' })
    const room = [...socket.rooms].find(
      (r) => r.startsWith('ticket:') && r.endsWith(`:${parsed.data.ticketId}`),
    )
    if (!room) return reply(ack, { ok: true })
    await socket.leave(room)
    if ((socket.data.typing as Typing | undefined)?.ticketId === parsed.data.ticketId)
      socket.data.typing = undefined
    reply(ack, { ok: true })
    await broadcastPresence(io, workspaceOf(room), parsed.data.ticketId)
  })

  socket.on('typing', async (payload: unknown, ack: unknown) => {
    if (!allow(socket)) return reply(ack, { ok: false, error: 'Too many events' })
    const parsed = TypingPayload.safeParse(payload)
    if (!parsed.success) return reply(ack, { ok: false, error: 'Invalid payload' })
    const room = [...socket.rooms].find(
      (r) => r.startsWith('ticket:') && r.endsWith(`:${parsed.data.ticketId}`),
    )
    if (!room) return reply(ack, { ok: false, error: 'Join the ticket first' })
    socket.data.typing = parsed.data.kind
      ? { ticketId: parsed.data.ticketId, kind: parsed.data.kind, until: Date.now() + TYPING_TTL_MS }
      : undefined
    reply(ack, { ok: true })
    await broadcastPresence(io, workspaceOf(room), parsed.data.ticketId)
    if (parsed.data.kind) {
      // When the signal lapses without renewal, everyone should see it stop.
      const timer = setTimeout(
        () => void broadcastPresence(io, workspaceOf(room), parsed.data.ticketId),
        TYPING_TTL_MS + 50,
      )
      timer.unref()
    }
  })

  socket.on('workspace:viewing', async (payload: unknown, ack: unknown) => {
    if (!allow(socket)) return reply(ack, { ok: false, error: 'Too many events' })
    const parsed = WorkspacePayload.safeParse(payload)
    if (!parsed.success) return reply(ack, { ok: false, error: 'Invalid payload' })
    // Only for a workspace this socket belongs to (joined at connection after the membership check).
    if (!socket.rooms.has(`workspace:${parsed.data.workspaceId}`))
      return reply(ack, { ok: false, error: 'Not found' })
    try {
      const sockets = await io.in(`workspace:${parsed.data.workspaceId}`).fetchSockets()
      const prefix = ticketRoomPrefix(parsed.data.workspaceId)
      const names = new Map<string, Set<string>>()
      for (const s of sockets) {
        for (const room of s.rooms) {
          if (!room.startsWith(prefix)) continue
          const ticketId = room.slice(prefix.length)
          if (!names.has(ticketId)) names.set(ticketId, new Set())
          names.get(ticketId)!.add(s.data.name as string)
        }
      }
      const viewing = Object.fromEntries([...names].map(([id, set]) => [id, [...set].sort()]))
      if (typeof ack === 'function') ack({ ok: true, viewing })
    } catch (error) {
      logger().error({ err: error }, 'workspace:viewing failed')
      reply(ack, { ok: false, error: 'Server error' })
    }
  })

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

export async function viewersOf(io: Server, workspaceId: string, ticketId: string): Promise<Viewer[]> {
  const sockets = await io.in(ticketRoom(workspaceId, ticketId)).fetchSockets()
  const byUser = new Map<string, Viewer>()
  const now = Date.now()
  for (const s of sockets) {
    const userId = s.data.userId as string
    const typing = s.data.typing as Typing | undefined
    const kind = typing && typing.ticketId === ticketId && typing.until > now ? typing.kind : null
    const existing = byUser.get(userId)
    if (!existing) byUser.set(userId, { userId, name: s.data.name as string, typing: kind })
    else if (kind) existing.typing = kind
  }
  return [...byUser.values()].sort((a, b) => a.name.localeCompare(b.name))
}

async function broadcastPresence(io: Server, workspaceId: string, ticketId: string) {
  try {
    const viewers = await viewersOf(io, workspaceId, ticketId)
    const payload: PresencePayload = { ticketId, viewers }
    io.to(ticketRoom(workspaceId, ticketId)).emit('presence', payload)
    io.to(`workspace:${workspaceId}`).emit('viewing', { ticketId, viewers: viewers.map((v) => v.name) })
  } catch (error) {
    logger().error({ err: error }, 'presence broadcast failed')
  }
}
