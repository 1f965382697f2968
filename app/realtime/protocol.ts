import { z } from 'zod'

/** Client → server payloads, validated on arrival; shared with the browser for types. */
export const TicketRoomPayload = z.object({ ticketId: z.uuid() })
export const WorkspacePayload = z.object({ workspaceId: z.uuid() })
export const TypingPayload = z.object({ ticketId: z.uuid(), kind: z.enum(['reply', 'note']).nullable() })

export type Ack = (response: { ok: true } | { ok: false; error: string }) => void

export type Viewer = { userId: string; name: string; typing: 'reply' | 'note' | null }
export type PresencePayload = { ticketId: string; viewers: Viewer[] }

/** How long a "typing" signal lasts without being renewed. */
export const TYPING_TTL_MS = 5_000
/** Clients send at most one typing event per this interval. */
export const TYPING_THROTTLE_MS = 2_000
/** Sockets one user may hold open; the oldest are closed beyond it. */
export const MAX_SOCKETS_PER_USER = 20

/**
 * The hidden form field in which a tab posts its socket id, so the events its change causes
 * skip that one socket (the tab reloads its own data from the action's response) and still
 * reach the same user's other tabs. Without JavaScript there is no socket and no field.
 */
export const LIVE_SOCKET_FIELD = 'liveSocketId'

/** A Socket.IO socket id (20 url-safe characters). Never one of our room names, which all contain ':'. */
export const SocketId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)

/** The publish options for a change posted with `form`: skip the posting tab's socket, if valid. */
export function exceptPostingSocket(form: FormData): { exceptSocketId?: string } {
  const parsed = SocketId.safeParse(form.get(LIVE_SOCKET_FIELD))
  return parsed.success ? { exceptSocketId: parsed.data } : {}
}
