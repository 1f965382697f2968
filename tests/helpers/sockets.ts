import { io, type Socket } from 'socket.io-client'
import type { ReadyPayload } from '#app/realtime/protocol.ts'

/**
 * Sockets opened by a test file, closed by closeSockets() (in afterEach or afterAll).
 * One list per process is enough: Vitest runs each test file in its own worker.
 */
const open: Socket[] = []

/**
 * A Socket.IO client as the browser opens it: WebSocket only, no reconnection, and by default
 * `Origin` = `url` (a browser always sends Origin on a WebSocket handshake). `headers` may
 * replace Origin and add Host or Cookie.
 */
export function openSocket(url: string, headers: Record<string, string> = {}) {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { origin: url, ...headers },
  })
  open.push(socket)
  return socket
}

export type HandshakeOutcome =
  { ok: true; workspaces: string[]; ready: ReadyPayload } | { ok: false; error: string }

/** How the handshake ended: `ready` (signed in, rooms joined), the connect_error's message, or a close. */
export function handshakeOutcome(socket: Socket) {
  return new Promise<HandshakeOutcome>((resolve) => {
    socket.once('ready', (payload: ReadyPayload) =>
      resolve({ ok: true, workspaces: payload.workspaces, ready: payload }),
    )
    socket.once('connect_error', (error) => resolve({ ok: false, error: error.message }))
    // Closed before `ready` (the per-user cap closing the oldest of many sockets opened at once).
    socket.once('disconnect', (reason) =>
      resolve({ ok: false, error: `disconnected before ready: ${reason}` }),
    )
  })
}

/** A signed-in socket and its `ready`; rejects if the handshake is refused. */
export async function connectSocketReady(url: string, cookie: string) {
  const socket = openSocket(url, { cookie })
  const outcome = await handshakeOutcome(socket)
  if (!outcome.ok) throw new Error(`socket handshake refused: ${outcome.error}`)
  return { socket, ready: outcome.ready }
}

/** A signed-in socket, once the server has said `ready`; rejects if the handshake is refused. */
export async function connectSocket(url: string, cookie: string) {
  return (await connectSocketReady(url, cookie)).socket
}

export function closeSockets() {
  for (const socket of open.splice(0)) socket.disconnect()
}

/** The next `event` on `socket` whose payload passes `match`. */
export function nextEvent<T>(socket: Socket, event: string, match: (payload: T) => boolean = () => true) {
  return new Promise<T>((resolve) => {
    const handler = (payload: T) => {
      if (!match(payload)) return
      socket.off(event, handler)
      resolve(payload)
    }
    socket.on(event, handler)
  })
}

/** Emits `event` with any payload (well-formed or not) and waits up to 5 s for the ack. */
export function emitWithAck(socket: Socket, event: string, payload: unknown) {
  return socket.timeout(5000).emitWithAck(event, payload) as Promise<{ ok: boolean; error?: string }>
}
