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
