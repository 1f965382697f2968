import type { Server, Socket } from 'socket.io'
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.ts'

/** A typing signal, valid until `until` (ms since the epoch) unless renewed. */
export type Typing = { ticketId: string; kind: 'reply' | 'note'; until: number }

/**
 * What a socket carries, set by the handshake (`typing` by the presence handlers). It travels
 * to other instances with fetchSockets(), so it holds only what presence needs there.
 */
export type SocketData = {
  userId: string
  name: string
  sessionId: string
  /** ms since the epoch: the per-user cap closes the oldest sockets first. */
  connectedAt: number
  /** The session's expiry when the socket connected (ms since the epoch). */
  expiresAt: number
  typing?: Typing
}

/**
 * Between instances (over the adapter): the rooms an event was just published to, so every
 * instance knows when each workspace and user last changed (hub.server.ts, `ready`).
 */
export type InterServerEvents = { changed: (rooms: unknown) => void }

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
