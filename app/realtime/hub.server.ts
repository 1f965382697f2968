import type { Server as HttpServer } from 'node:http'
import { createAdapter } from '@socket.io/postgres-adapter'
import type pg from 'pg'
import { Server } from 'socket.io'
import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { createPool, endPool } from '#db/pool.ts'
import { getUserById } from '#db/queries/users.ts'
import { listUserWorkspaces } from '#db/queries/workspaces.ts'
import { findSessionById } from '#app/domain/sessions.server.ts'
import { readSession } from '#app/http/auth.server.ts'
import { env } from '#app/env.server.ts'
import { watchRawBodyDeadline } from '#app/http/body-deadline.server.ts'
import { databasePoolGuards, isDatabaseUnavailable } from '#app/http/database-outage.server.ts'
import { compileTrustProxy, handshakeRefusal } from '#app/http/security.server.ts'
import { logger } from '#app/logger.server.ts'
import { createChangeLog } from './change-log.server.ts'
import type { Role } from '#app/utils/roles.ts'
import type { TicketEvent } from './events.ts'
import type { AppServer, AppSocket } from './io.server.ts'
import {
  leaveTicketRooms,
  recountOnInstanceChanges,
  registerPresence,
  ticketRoom,
} from './presence.server.ts'
import { MAX_SOCKETS_PER_USER, SocketId } from './protocol.ts'

/** What routes may do with the live layer: a narrow facade passed through the load context. */
export type Realtime = {
  /**
   * Sends events to the agents of each event's workspace (notifications to their user). Call only
   * after the transaction committed. `exceptSocketId`: the socket of the tab that made the change,
   * which reloads by itself; the same user's other tabs still get the events.
   */
  publish(events: TicketEvent[], options?: PublishOptions): void
  disconnectSessions(sessionIds: string[]): void
  /**
   * A member removed from a workspace: their open tabs are told (`workspace:removed`), and their
   * sockets leave the workspace's room and ticket rooms, on every instance. `left`: they left it
   * themselves (their other tabs say so rather than "You were removed").
   */
  removeFromWorkspace(userId: string, workspaceId: string, options?: { left?: true }): void
  /** A user's open sockets (on every instance) join a workspace they just created or joined. */
  joinWorkspace(userId: string, workspaceId: string): void
  /**
   * A member's role changed: their open tabs (on every instance) are told (`workspace:role`), and
   * follow it (a page the new role may not open is left for the inbox; the menus are drawn
   * again). Their sockets keep their rooms: a socket is given rooms by membership, never by role.
   */
  changeRole(userId: string, workspaceId: string, role: Role): void
}

export type PublishOptions = { exceptSocketId?: string }

const store = globalThis as unknown as {
  __switchboardIo?: AppServer
  __switchboardIoPool?: pg.Pool
  __switchboardChanges?: ReturnType<typeof createChangeLog>
  __switchboardStopRecounts?: () => void
}

/**
 * When each room last had an event, as this process saw it (see `ready`). Made when the socket
 * server starts, so `knownSince` is the start: made on first use, it said "nothing known before
 * now" to the first page of a quiet instance, whose first connection then reloaded its data.
 */
function changeLog() {
  store.__switchboardChanges ??= createChangeLog()
  return store.__switchboardChanges
}

const ChangedRooms = z.array(z.string().max(200)).max(1_000)

/**
 * Every instance notes the rooms another one published to, so a socket that joined its rooms
 * just after an event went by finds the event's note at `ready`.
 */
function listenForChanges(io: AppServer) {
  io.on('changed', (rooms) => {
    const parsed = ChangedRooms.safeParse(rooms)
    if (parsed.success) changeLog().note(parsed.data)
  })
}

export const workspaceRoom = (id: string) => `workspace:${id}`
export const sessionRoom = (id: string) => `session:${id}`
export const userRoom = (id: string) => `user:${id}`

type Options = {
  /** APP_URL's origin, as for createApp. */
  appOrigin: string
  /** The local profile also answers to the loopback names (as createApp). */
  appEnv: 'local' | 'production'
  /** Which proxies may set X-Forwarded-Host (TRUST_PROXY), as for createApp. */
  trustProxy?: string | number
  /** With a database URL, events and presence travel between instances over PostgreSQL. */
  databaseUrl?: string
}

/** Where engine.io answers (Socket.IO's default path). */
const ENGINE_PATH = '/socket.io/'

/**
 * Attaches Socket.IO to the HTTP server. The handshake passes the app's own Host and origin
 * checks (engine.io answers it before Express, so they run here: 400 before any upgrade) and
 * must carry a valid session cookie; the socket then joins its workspaces' rooms.
 */
export function attachSocketServer(httpServer: HttpServer, options: Options) {
  const site = { appOrigin: options.appOrigin, local: options.appEnv === 'local' }
  const trust = compileTrustProxy(options.trustProxy)
  const io: AppServer = new Server(httpServer, {
    serveClient: false,
    // Leave other upgrade requests (Vite's HMR socket in development) alone.
    destroyUpgrade: false,
    // WebSocket only: any instance can serve any client, no sticky sessions needed.
    transports: ['websocket'],
    // Detect dropped connections within ~10 s, so presence never lingers long.
    pingInterval: 6_000,
    pingTimeout: 4_000,
    maxHttpBufferSize: 16 * 1024,
    allowRequest: (req, callback) => {
      const refusal = handshakeRefusal(req, site, trust)
      callback(refusal ?? null, refusal === undefined)
    },
  })
  // engine.io answers its path before Express, so Express's body deadline never sees it: the
  // same deadline, ahead of engine.io's own listener (app/http/body-deadline.server.ts).
  httpServer.prependListener('request', (req, res) => {
    if (req.url?.startsWith(ENGINE_PATH)) watchRawBodyDeadline(req, res, env().http.bodyTimeoutMs)
  })
  // From now on every event this process sees is noted: the log's `knownSince` is the start.
  changeLog()
  if (options.databaseUrl) {
    // The adapter holds one client for LISTEN and never listens for its errors, nor releases it
    // when its connection ends: createPool does both, and the adapter then reconnects by itself
    // (every 1-3 s until the database answers again).
    const pool = adapterPool(options.databaseUrl, 3)
    io.adapter(
      createAdapter(pool, {
        tableName: 'socket_io_attachments',
        errorHandler: (error) => logger().warn({ err: error }, 'socket adapter error'),
      }),
    )
    store.__switchboardIoPool = pool
    listenForChanges(io)
    store.__switchboardStopRecounts = recountOnInstanceChanges(io)
  }
  io.use(async (socket, next) => {
    try {
      const session = await readSession(socket.handshake.headers.cookie)
      if (!session) return next(new Error('Not signed in'))
      const user = await getUserById(getDb(), session.userId)
      if (!user) return next(new Error('Not signed in'))
      socket.data = {
        userId: user.id,
        name: user.name,
        sessionId: session.id,
        connectedAt: Date.now(),
        expiresAt: session.expiresAt.getTime(),
      }
      next()
    } catch (error) {
      // The client tries again (live-provider.tsx). The database being away is logged as such
      // (a warning without a stack, as the pools do), anything else as the fault it is.
      if (isDatabaseUnavailable(error)) {
        const { code, message } = error as { code?: unknown; message?: unknown }
        logger().warn({ code, message }, 'socket handshake failed: the database is unavailable')
      } else logger().error({ err: error }, 'socket handshake failed')
      next(new Error('Handshake failed'))
    }
  })
  io.on('connection', (socket) => {
    void onConnection(io, socket).catch((error) => {
      logger().error({ err: error }, 'socket setup failed')
      socket.disconnect(true)
    })
  })
  store.__switchboardIo = io
  return io
}

async function onConnection(io: AppServer, socket: AppSocket) {
  const { userId, sessionId } = socket.data
  // The client's events are listened for at once, but it may send them (on 'connect') before its
  // rooms are joined, after a database read: a handler that judges by the rooms waits for this.
  let roomsJoined!: () => void
  const joined = new Promise<void>((resolve) => (roomsJoined = resolve))
  registerPresence(io, socket, joined)
  watchSessionExpiry(socket)
  let workspaces
  try {
    const joinedFirst = await listUserWorkspaces(getDb(), userId)
    await socket.join([
      sessionRoom(sessionId),
      userRoom(userId),
      ...joinedFirst.map((w) => workspaceRoom(w.id)),
    ])
    // Read again now that the rooms are joined: a removal, role change or new membership that
    // committed between the first read and the joins published its event to rooms this socket
    // was not yet in (a removal's leave found nothing to take out, so the socket would have kept
    // the workspace's room and its events). Anything committed after this read reaches the rooms.
    workspaces = await listUserWorkspaces(getDb(), userId)
    const now = new Set(workspaces.map((w) => w.id))
    for (const w of joinedFirst) if (!now.has(w.id)) await socket.leave(workspaceRoom(w.id))
    const before = new Set(joinedFirst.map((w) => w.id))
    const added = workspaces.filter((w) => !before.has(w.id))
    if (added.length > 0) await socket.join(added.map((w) => workspaceRoom(w.id)))
  } finally {
    roomsJoined()
  }
  // The cap counts the user's sockets on every instance. Until the adapter drops an instance that
  // died (10 s after it went silent) that count waits for its answer and fails after 5 s: the
  // socket then stays, and the cap holds again from the next connection. Closing it, as before,
  // left every tab that connected then (those of the dead instance, reconnecting here) without
  // live updates until a reload, since a socket the server closes is not reconnected.
  await enforceSocketCap(io, userId).catch((error) =>
    logger().warn(
      { err: error },
      'socket cap not checked: the sockets of every instance could not be counted',
    ),
  )
  // After the joins: an event published before them reached no one here, and is in the log.
  const log = changeLog()
  socket.emit('ready', {
    workspaces: workspaces.map((w) => w.slug),
    lastChangeAt: log.lastChange(socket.rooms),
    knownSince: log.knownSince(),
    now: Date.now(),
    roles: Object.fromEntries(workspaces.map((w) => [w.id, w.role])),
  })
}

/**
 * A socket lives no longer than its session: at the session's expiry it is checked again (the
 * session may have been renewed by page views) and closed if the session is gone.
 */
function watchSessionExpiry(socket: AppSocket) {
  let timer: ReturnType<typeof setTimeout> | undefined
  const schedule = (at: number) => {
    timer = setTimeout(check, Math.min(Math.max(at - Date.now(), 1000), 2 ** 31 - 1))
    timer.unref()
  }
  const check = async () => {
    try {
      const session = await findSessionById(socket.data.sessionId)
      if (!session) socket.disconnect(true)
      else schedule(session.expiresAt.getTime())
    } catch (error) {
      logger().error({ err: error }, 'session expiry check failed')
      schedule(Date.now() + 60_000)
    }
  }
  schedule(socket.data.expiresAt)
  socket.on('disconnect', () => clearTimeout(timer))
}

/** One user may keep MAX_SOCKETS_PER_USER sockets (on all instances); the oldest go first. */
async function enforceSocketCap(io: AppServer, userId: string) {
  const sockets = await io.in(userRoom(userId)).fetchSockets()
  if (sockets.length <= MAX_SOCKETS_PER_USER) return
  const oldest = sockets
    .sort((a, b) => a.data.connectedAt - b.data.connectedAt)
    .slice(0, sockets.length - MAX_SOCKETS_PER_USER)
  for (const socket of oldest) socket.disconnect(true)
}

/** Adapter pools whose live layer is closing: see adapterPool. */
const closedAdapterPools = new WeakSet<pg.Pool>()

/**
 * The pool the PostgreSQL adapter runs on. The adapter's close() releases the LISTEN connection it
 * holds, but not one it is still opening: it reconnects 1-3 s after losing it (a PostgreSQL
 * restart), and a connection that arrived just after the close was kept checked out for LISTEN for
 * good. pool.end() waited on it, and the shutdown's "sockets" step ran out: exit code 1. Once the
 * live layer closes, a connection handed to the adapter goes back to the pool at once and its call
 * never answers, which also ends the adapter's reconnect loop (it schedules another try on a
 * failure). pool.query's own checkouts (a callback) release their clients themselves.
 */
function adapterPool(databaseUrl: string, max: number) {
  const pool = createPool(databaseUrl, max, databasePoolGuards('socket.io'))
  const connect = pool.connect.bind(pool) as (callback?: never) => Promise<pg.PoolClient> | undefined
  const never = () => new Promise<never>(() => {})
  pool.connect = ((callback?: never) => {
    if (callback) return connect(callback)
    if (closedAdapterPools.has(pool)) return never()
    return connect()!.then((client) => {
      if (!closedAdapterPools.has(pool)) return client
      client.release()
      return never()
    })
  }) as typeof pool.connect
  return pool
}

/**
 * For processes that publish without serving sockets (`npm run worker`): a Socket.IO server
 * attached to no HTTP server, whose PostgreSQL adapter carries each emit to the instances that
 * hold the sockets. A no-op where attachSocketServer already ran.
 */
export function startEventEmitter(databaseUrl: string) {
  if (store.__switchboardIo) return
  const pool = adapterPool(databaseUrl, 2)
  const io: AppServer = new Server({ serveClient: false })
  io.adapter(
    createAdapter(pool, {
      tableName: 'socket_io_attachments',
      errorHandler: (error) => logger().warn({ err: error }, 'socket adapter error'),
    }),
  )
  store.__switchboardIo = io
  store.__switchboardIoPool = pool
  changeLog()
  listenForChanges(io)
}

/**
 * Where an event goes: a notification or a saved or cleared draft to its user, a delivery badge to the
 * ticket's viewers only (the ticket page shows it), everything else to the whole workspace.
 */
function roomOf(event: TicketEvent) {
  if (
    event.type === 'notification.created' ||
    event.type === 'draft.cleared' ||
    event.type === 'draft.saved'
  ) {
    return userRoom(event.userId)
  }
  if (event.type === 'message.delivery') return ticketRoom(event.workspaceId, event.ticketId)
  return workspaceRoom(event.workspaceId)
}

export function realtime(): Realtime {
  return {
    publish(events, { exceptSocketId } = {}) {
      const io = store.__switchboardIo
      if (!io) return
      // A socket id only: a room name here (they all contain ':') would silence a whole room.
      const parsed = SocketId.safeParse(exceptSocketId)
      const except = parsed.success ? [parsed.data] : []
      // Noted before the events go out, here and on the other instances (a notification of its
      // own, sent with the events' through the adapter's pool). Not a ticket room's (delivery
      // badges, one per email sent): `ready` comes before the page joins any ticket room.
      const rooms = [...new Set(events.map(roomOf))].filter((room) => !room.startsWith('ticket:'))
      if (rooms.length > 0) {
        changeLog().note(rooms)
        if (store.__switchboardIoPool) io.serverSideEmit('changed', rooms)
      }
      for (const event of events) {
        const to = io.to(roomOf(event)).except(except)
        if (event.type === 'notification.created') to.emit('notification', event)
        else to.emit('ticket-event', event)
      }
    },
    disconnectSessions(sessionIds) {
      const io = store.__switchboardIo
      if (io && sessionIds.length > 0) io.in(sessionIds.map(sessionRoom)).disconnectSockets(true)
    },
    joinWorkspace(userId, workspaceId) {
      store.__switchboardIo?.in(userRoom(userId)).socketsJoin(workspaceRoom(workspaceId))
    },
    changeRole(userId, workspaceId, role) {
      store.__switchboardIo?.to(userRoom(userId)).emit('workspace:role', { workspaceId, role })
    },
    removeFromWorkspace(userId, workspaceId, options) {
      const io = store.__switchboardIo
      if (!io) return
      // Their open tabs (on every instance, through the adapter) are told first: a tab of that
      // workspace stops showing Live and presence and reloads nothing (a reload is a 404 page
      // that takes what was typed with it). Tabs of their other workspaces ignore it.
      io.to(userRoom(userId)).emit('workspace:removed', {
        workspaceId,
        ...(options?.left ? { left: true } : {}),
      })
      // This instance's sockets leave at once: the cluster adapter takes its own sockets out only
      // after publishing the leave to the other instances (a round trip to PostgreSQL), and an
      // event published meanwhile still reached them (realtime.test.ts saw the room kept).
      io.local.in(userRoom(userId)).socketsLeave(workspaceRoom(workspaceId))
      io.in(userRoom(userId)).socketsLeave(workspaceRoom(workspaceId))
      // Also out of that workspace's ticket rooms, on every instance, and out of their viewers.
      void leaveTicketRooms(io, userRoom(userId), workspaceId).catch((error: unknown) =>
        logger().error({ err: error }, 'removing sockets from ticket rooms failed'),
      )
    },
  }
}

/**
 * Closes every socket and the adapter's pool. Bounded: returns within about `deadlineMs` even when
 * the database is gone (the adapter's goodbye to other instances then goes unsent).
 */
export async function closeSocketServer(deadlineMs = 5_000) {
  const io = store.__switchboardIo
  store.__switchboardIo = undefined
  const pool = store.__switchboardIoPool
  store.__switchboardIoPool = undefined
  store.__switchboardStopRecounts?.()
  store.__switchboardStopRecounts = undefined
  if (pool) closedAdapterPools.add(pool)
  if (io) {
    let timer: NodeJS.Timeout | undefined
    // An emitter (startEventEmitter: npm run worker) has no engine, and Socket.IO's close()
    // rejects on it after closing the adapters (an unhandled rejection ended the worker with
    // exit code 1 on every SIGTERM): only its adapter needs closing.
    const closing = io.engine
      ? new Promise<void>((resolve, reject) => void io.close(() => resolve()).catch(reject))
      : Promise.resolve(io.of('/').adapter.close())
    await Promise.race([
      closing.catch((error: unknown) => logger().warn({ err: error }, 'closing the socket server failed')),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs)
        timer.unref()
      }),
    ])
    clearTimeout(timer)
  }
  if (pool) await endPool(pool, deadlineMs)
}
