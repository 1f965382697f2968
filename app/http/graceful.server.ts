import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import net, { type Socket } from 'node:net'

type Connection = { active: number; idleSince: number; idleTimer?: NodeJS.Timeout }

export type DrainOutcome = 'drained' | 'forced'

/**
 * Lets an HTTP server stop without dropping a request. Call before adding the app's own
 * 'request' listener, so responses can be marked `Connection: close` before the app writes.
 *
 * `drain()` stops accepting connections, answers every response from then on with
 * `Connection: close` (so keep-alive clients stop sending on this connection and open a new one,
 * to another instance), closes each connection when its current response has ended, and after
 * `graceMs` cuts whatever is left. WebSocket connections are Socket.IO's to close.
 */
export function drainableServer(server: Server, { settleMs = 250 } = {}) {
  const connections = new Map<Socket, Connection>()
  const inFlight = new Set<ServerResponse>()
  let draining = false
  let onEmpty: (() => void) | undefined

  const forget = (socket: Socket) => {
    clearTimeout(connections.get(socket)?.idleTimer)
    connections.delete(socket)
    if (draining && connections.size === 0) onEmpty?.()
  }

  // An idle keep-alive connection is closed only once it has been idle for `settleMs`: a client
  // that received a keep-alive response just before the drain began may already have sent its
  // next request, still unread in our socket buffer. Closing then would reset that request;
  // waiting lets it arrive, and it is answered (with `Connection: close`).
  const closeWhenIdle = (socket: Socket, connection: Connection) => {
    clearTimeout(connection.idleTimer)
    const wait = Math.max(0, settleMs - (Date.now() - connection.idleSince))
    connection.idleTimer = setTimeout(() => {
      if (connection.active === 0) socket.destroy()
    }, wait)
  }

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { active: 0, idleSince: Date.now() })
    socket.once('close', () => forget(socket))
  })
  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => forget(socket))
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    const connection = connections.get(socket)
    if (connection) {
      connection.active += 1
      clearTimeout(connection.idleTimer)
    }
    inFlight.add(res)
    if (draining) res.setHeader('Connection', 'close')
    res.once('close', () => {
      inFlight.delete(res)
      if (!connection) return
      connection.active -= 1
      connection.idleSince = Date.now()
      if (draining && connection.active === 0) closeWhenIdle(socket, connection)
    })
  })

  return {
    get draining() {
      return draining
    },
    async drain(graceMs: number): Promise<DrainOutcome> {
      draining = true
      // net.Server#close stops accepting; http.Server#close would also destroy idle keep-alive
      // connections at once, with the race described at closeWhenIdle.
      net.Server.prototype.close.call(server)
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close')
      for (const [socket, connection] of connections) {
        if (connection.active === 0) closeWhenIdle(socket, connection)
      }
      if (connections.size === 0) return 'drained'
      let timer: NodeJS.Timeout | undefined
      const outcome = await Promise.race([
        new Promise<DrainOutcome>((resolve) => (onEmpty = () => resolve('drained'))),
        new Promise<DrainOutcome>((resolve) => (timer = setTimeout(() => resolve('forced'), graceMs))),
      ])
      clearTimeout(timer)
      if (outcome === 'forced') for (const socket of connections.keys()) socket.destroy()
      return outcome
    },
  }
}
