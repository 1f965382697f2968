import type { Server as HttpServer } from 'node:http'
import { Server } from 'socket.io'
import { getDb } from '#db/client.ts'
import { listUserWorkspaces } from '#db/queries/workspaces.ts'
import { readSession } from '#app/domain/sessions.server.ts'
import { logger } from '#app/logger.server.ts'
import type { TicketEvent } from './events.ts'

/** What routes may do with the live layer: a narrow facade passed through the load context. */
export type Realtime = {
  /** Sends events to the agents of each event's workspace. Call only after the transaction committed. */
  publish(events: TicketEvent[]): void
  disconnectSessions(sessionIds: string[]): void
  removeFromWorkspace(userId: string, workspaceId: string): void
}

const store = globalThis as unknown as { __switchboardIo?: Server }

export const workspaceRoom = (id: string) => `workspace:${id}`
const sessionRoom = (id: string) => `session:${id}`
const userRoom = (id: string) => `user:${id}`

/**
 * Attaches Socket.IO to the HTTP server. The handshake must carry a valid session cookie
 * and come from our own origin; the socket then joins its workspaces' rooms.
 */
export function attachSocketServer(httpServer: HttpServer, allowedOrigins: string[]) {
  const io = new Server(httpServer, {
    serveClient: false,
    // Leave other upgrade requests (Vite's HMR socket in development) alone.
    destroyUpgrade: false,
    transports: ['websocket', 'polling'],
    allowRequest: (req, callback) => {
      const origin = req.headers.origin
      const host = req.headers.host
      const ok =
        !origin || allowedOrigins.includes(origin) || (host !== undefined && new URL(origin).host === host)
      callback(ok ? null : 'Origin not allowed', ok)
    },
  })
  io.use(async (socket, next) => {
    try {
      const session = await readSession(socket.handshake.headers.cookie)
      if (!session) return next(new Error('Not signed in'))
      socket.data.userId = session.userId
      socket.data.sessionId = session.id
      next()
    } catch (error) {
      logger().error({ err: error }, 'socket handshake failed')
      next(new Error('Handshake failed'))
    }
  })
  io.on('connection', async (socket) => {
    const userId = socket.data.userId as string
    const workspaces = await listUserWorkspaces(getDb(), userId)
    await socket.join([
      sessionRoom(socket.data.sessionId as string),
      userRoom(userId),
      ...workspaces.map((w) => workspaceRoom(w.id)),
    ])
    socket.emit('ready', { workspaces: workspaces.map((w) => w.slug) })
  })
  store.__switchboardIo = io
  return io
}

export function realtime(): Realtime {
  return {
    publish(events) {
      const io = store.__switchboardIo
      if (!io) return
      for (const event of events) io.to(workspaceRoom(event.workspaceId)).emit('ticket-event', event)
    },
    disconnectSessions(sessionIds) {
      const io = store.__switchboardIo
      if (io && sessionIds.length > 0) io.in(sessionIds.map(sessionRoom)).disconnectSockets(true)
    },
    removeFromWorkspace(userId, workspaceId) {
      store.__switchboardIo?.in(userRoom(userId)).socketsLeave(workspaceRoom(workspaceId))
    },
  }
}

export async function closeSocketServer() {
  const io = store.__switchboardIo
  store.__switchboardIo = undefined
  if (io) await new Promise<void>((resolve) => io.close(() => resolve()))
}
