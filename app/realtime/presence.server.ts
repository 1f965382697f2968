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
export function registerPresence(io: AppServer, socket: AppSocket, roomsJoined: Promise<void>) {
  socket.on(
    'ticket:join',
    clientEvent(socket, TicketRoomPayload, async ({ ticketId }, answer) => {
      const ticket = await ticketForMember(getDb(), { userId: socket.data.userId, ticketId })
      if (!ticket) return answer({ ok: false, error: 'Not found' })
      await socket.join(ticketRoom(ticket.workspaceId, ticketId))
      // In the room from now on; what changed before (while the page loaded) the page learns here.
      answer({ ok: true, changedAt: ticket.changedAt })
      await broadcastPresence(io, [ticketRoom(ticket.workspaceId, ticketId)])
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
      await broadcastPresence(io, [room])
    }),
  )

  socket.on(
    'typing',
    clientEvent(socket, TypingPayload, async ({ ticketId, kind }, answer) => {
      const room = joinedTicketRoom(socket, ticketId)
      if (!room) return answer({ ok: false, error: 'Join the ticket first' })
      socket.data.typing = kind ? { ticketId, kind, until: Date.now() + TYPING_TTL_MS } : undefined
      answer({ ok: true })
      await broadcastPresence(io, [room])
      if (kind) {
        // When the signal lapses without renewal, everyone should see it stop.
        const timer = setTimeout(() => void broadcastPresence(io, [room]), TYPING_TTL_MS + 50)
        timer.unref()
      }
    }),
  )

  socket.on(
    'workspace:viewing',
    clientEvent(socket, WorkspacePayload, async ({ workspaceId }, answer) => {
      // Only for a workspace this socket belongs to (joined at connection after the membership
      // check; asked for on 'connect', which can come before those joins).
      await roomsJoined
      if (!socket.rooms.has(`workspace:${workspaceId}`)) return answer({ ok: false, error: 'Not found' })
      answer({ ok: true, viewing: await viewingIn(io, workspaceId) })
    }),
  )

  socket.on('disconnecting', () => {
    const rooms = [...socket.rooms].filter((r) => r.startsWith('ticket:'))
    // After the socket has left: recompute for the rooms it was in.
    setImmediate(() => void broadcastPresence(io, rooms))
  })
}

/**
 * Takes the sockets in `room` (a removed member's user room), on every instance, out of the
 * workspace's ticket rooms, and recounts those rooms: their viewers no longer show the member
 * (they stayed listed, "viewing" and "replying…", until the room's next event).
 */
export async function leaveTicketRooms(io: AppServer, room: string, workspaceId: string) {
  const sockets = await io.in(room).fetchSockets()
  const left = new Set<string>()
  for (const socket of sockets) {
    for (const ticket of socket.rooms) {
      if (!ticket.startsWith(ticketRoomPrefix(workspaceId))) continue
      socket.leave(ticket)
      left.add(ticket)
    }
  }
  await broadcastPresence(io, [...left])
}

/** Viewer names by ticket id for every ticket of the workspace someone views, on any instance. */
async function viewingIn(io: AppServer, workspaceId: string) {
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
  return Object.fromEntries([...names].map(([id, set]) => [id, [...set].sort()]))
}

/**
 * Sends this instance's sockets of each of `rooms` (workspace rooms) the workspace's whole viewing
 * snapshot, `viewing:all`, which replaces the queue's markers. A ticket viewed only from an instance
 * that died has no socket left to recount it, so no `viewing` event would ever clear its marker; the
 * snapshot does. One fetchSockets per workspace held here; a failed one is logged and left (the
 * next change of the instance set, or a reconnect, sends it again).
 */
async function sendViewingSnapshots(io: AppServer, rooms: string[]) {
  for (const room of rooms) {
    const workspaceId = room.slice('workspace:'.length)
    try {
      const viewing = await viewingIn(io, workspaceId)
      io.local.to(room).emit('viewing:all', { workspaceId, viewing })
    } catch (error) {
      logger().error({ err: error, room }, 'viewing snapshot failed')
    }
  }
}

function workspaceOf(room: string) {
  return room.split(':')[1]
}

function ticketOf(room: string) {
  return room.slice(room.lastIndexOf(':') + 1)
}

/** Viewers of each of `rooms` (ticket rooms), from one fetchSockets over all of them. */
async function viewersByRoom(io: AppServer, rooms: string[]) {
  const sockets = await io.in(rooms).fetchSockets()
  const byRoom = new Map<string, Map<string, Viewer>>(rooms.map((room) => [room, new Map()]))
  const now = Date.now()
  for (const s of sockets) {
    const { userId, name, typing } = s.data
    for (const room of s.rooms) {
      const byUser = byRoom.get(room)
      if (!byUser) continue
      const ticketId = ticketOf(room)
      const kind = typing && typing.ticketId === ticketId && typing.until > now ? typing.kind : null
      const existing = byUser.get(userId)
      if (!existing) byUser.set(userId, { userId, name, typing: kind })
      else if (kind) existing.typing = kind
    }
  }
  return new Map(
    [...byRoom].map(([room, byUser]) => [
      room,
      [...byUser.values()].sort((a, b) => a.name.localeCompare(b.name)),
    ]),
  )
}

/** A failed recount is tried again after this long, at most RECOUNT_TRIES times in all. */
const RECOUNT_RETRY_MS = 2_000
const RECOUNT_TRIES = 10

/** Per socket server: the rooms whose last recount failed (tries so far), and the retry's timer. */
const failedRecounts = new WeakMap<AppServer, { tries: Map<string, number>; timer?: NodeJS.Timeout }>()

/**
 * Recounts the viewers of `rooms` (ticket rooms) on every instance and sends each room's to the
 * room and, as a marker for the queue, to its workspace. A recount that fails (another instance's
 * answer past fetchSockets' 5 s, the database away) left the room showing what it showed before,
 * with nothing to correct it until the room's next event: it is tried again after
 * RECOUNT_RETRY_MS, for as long as it keeps failing, up to RECOUNT_TRIES times.
 */
async function broadcastPresence(io: AppServer, rooms: string[]) {
  if (rooms.length === 0) return
  let viewers: Map<string, Viewer[]>
  try {
    viewers = await viewersByRoom(io, rooms)
  } catch (error) {
    logger().error({ err: error }, 'presence broadcast failed')
    return recountLater(io, rooms)
  }
  const failed = failedRecounts.get(io)
  for (const room of rooms) {
    failed?.tries.delete(room)
    const ticketId = ticketOf(room)
    const list = viewers.get(room) ?? []
    const payload: PresencePayload = { ticketId, viewers: list }
    io.to(room).emit('presence', payload)
    io.to(`workspace:${workspaceOf(room)}`).emit('viewing', { ticketId, viewers: list.map((v) => v.name) })
  }
}

function recountLater(io: AppServer, rooms: string[]) {
  let failed = failedRecounts.get(io)
  if (!failed) failedRecounts.set(io, (failed = { tries: new Map() }))
  for (const room of rooms) {
    const tries = (failed.tries.get(room) ?? 0) + 1
    if (tries < RECOUNT_TRIES) failed.tries.set(room, tries)
    else {
      failed.tries.delete(room)
      logger().warn({ room }, 'presence recount given up: it shows again from the next event')
    }
  }
  if (failed.timer || failed.tries.size === 0) return
  const retry = failed
  retry.timer = setTimeout(() => {
    retry.timer = undefined
    void broadcastPresence(io, [...retry.tries.keys()])
  }, RECOUNT_RETRY_MS)
  retry.timer.unref()
}

/** How often each instance compares the instances its adapter knows with the last it saw. */
export const INSTANCE_CHECK_MS = 1_000

/**
 * A recount asks the instances the PostgreSQL adapter has heard from (each sends a heartbeat
 * every 5 s, or any message; one silent for 10 s is dropped). Right after an instance starts, it
 * may not have heard the others yet (their answer to its first heartbeat came before it was
 * listening: up to 5 s), and a recount there missed their sockets; and when an instance dies, its
 * sockets stayed in the others' presence. Both lasted until the room's next event. So every
 * INSTANCE_CHECK_MS each instance compares the set of instances its adapter knows with the one it
 * saw last, and on any change (one heard for the first time, one gone) recounts every ticket room
 * that has a socket of its own, in one fetchSockets, and sends the result to the whole room. Cost:
 * per change of the instance set, one request per instance for the rooms it holds (rooms ×
 * instances in all); nothing while the set stays the same. Returns the function that stops it.
 */
export function recountOnInstanceChanges(io: AppServer) {
  const adapter = io.of('/').adapter
  let seen = instancesKnownTo(adapter)
  // No cluster (the in-memory adapter, one process): nothing to watch.
  if (seen === undefined) return () => {}
  const timer = setInterval(() => {
    const now = instancesKnownTo(adapter)
    if (now === seen) return
    seen = now
    const rooms = [...adapter.rooms.keys()]
    void broadcastPresence(
      io,
      rooms.filter((room) => room.startsWith('ticket:')),
    ).then(() =>
      sendViewingSnapshots(
        io,
        rooms.filter((room) => room.startsWith('workspace:')),
      ),
    )
  }, INSTANCE_CHECK_MS)
  timer.unref()
  return () => {
    clearInterval(timer)
    clearTimeout(failedRecounts.get(io)?.timer)
    failedRecounts.delete(io)
  }
}

/**
 * The ids of the other instances the adapter knows. `nodesMap` is ClusterAdapterWithHeartbeat's
 * own (socket.io-adapter 2.5; private in its types): serverCount() alone would miss one instance
 * replacing another between two checks. scale-out.test.ts fails if it goes away.
 */
function instancesKnownTo(adapter: object) {
  const nodes = (adapter as { nodesMap?: unknown }).nodesMap
  return nodes instanceof Map ? [...nodes.keys()].sort().join(' ') : undefined
}
