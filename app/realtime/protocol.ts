import { z } from 'zod'
import type { Role } from '#app/utils/roles.ts'
import type { TicketEvent } from './events.ts'

/** Client → server payloads, validated on arrival; shared with the browser for types. */
export const TicketRoomPayload = z.strictObject({ ticketId: z.uuid() })
export const WorkspacePayload = z.strictObject({ workspaceId: z.uuid() })
export const TypingPayload = z.strictObject({
  ticketId: z.uuid(),
  kind: z.enum(['reply', 'note']).nullable(),
})

/** An acknowledgement: `ok` with the answer's fields, or why not. */
export type AckResponse<T extends object = Record<never, never>> =
  ({ ok: true } & T) | { ok: false; error: string }
export type Ack<T extends object = Record<never, never>> = (response: AckResponse<T>) => void

export type Viewer = { userId: string; name: string; typing: 'reply' | 'note' | null }
export type PresencePayload = { ticketId: string; viewers: Viewer[] }
/** To the workspace room: who is viewing one ticket, for the queue's markers. */
export type ViewingPayload = { ticketId: string; viewers: string[] }
/** `workspace:viewing`'s answer: viewer names by ticket id. */
export type ViewingSnapshot = { viewing: Record<string, string[]> }

export type NotificationEvent = Extract<TicketEvent, { type: 'notification.created' }>
/**
 * `ready`'s payload. `lastChangeAt`: when this instance last saw an event for one of the socket's
 * workspaces or its user (ms since the epoch, null: none since `knownSince`), so a page can tell
 * whether something happened between reading its data and its socket joining the rooms (those
 * events reached no one on the page); see `missedWhileConnecting`.
 */
export type ReadyPayload = {
  workspaces: string[]
  lastChangeAt: number | null
  knownSince: number
  /** The server's clock as it sent this, to place the page's own times on it. */
  now: number
  /**
   * The user's role in each of their workspaces, by workspace id, as the socket joined its rooms:
   * a tab that was offline or disconnected when its role changed or its member was removed (the
   * live event reached no socket of it) learns it here (`roleAtReady`). Absent from an instance
   * of an older build, during a deploy.
   */
  roles?: Record<string, Role>
}

/**
 * What a tab of `workspaceId`, which believes the user's role there is `known`, makes of `ready`:
 * `removed` (no membership any more: as `workspace:removed`), a `role` it was not told of (as
 * `workspace:role`), or null (nothing new, or a `ready` without roles).
 */
export function roleAtReady(
  ready: Pick<ReadyPayload, 'roles'>,
  workspaceId: string,
  known: Role,
): { kind: 'removed' } | { kind: 'role'; role: Role } | null {
  if (!ready.roles) return null
  const role = ready.roles[workspaceId]
  if (role === undefined) return { kind: 'removed' }
  return role === known ? null : { kind: 'role', role }
}

/**
 * How far apart two instances' clocks may be (a page's data is read on one, its socket may be
 * served by another), and the page's reading of the server's clock (off by the time `ready` took
 * to arrive), before a missed event could go unnoticed. Err on the side of one more reload.
 */
export const CLOCK_MARGIN_MS = 1_000

/**
 * Whether events may have been published after the page read its data (`readAt`, on the server's
 * clock: LiveProvider takes when the page was requested, which is earlier) and before its socket
 * joined its rooms: then the page reloads its data once.
 */
export function missedWhileConnecting(
  ready: Pick<ReadyPayload, 'lastChangeAt' | 'knownSince'>,
  readAt: number,
) {
  const from = readAt - CLOCK_MARGIN_MS
  return ready.knownSince > from || (ready.lastChangeAt !== null && ready.lastChangeAt > from)
}

/** Every other event goes out as `ticket-event`. */
export type WorkspaceEvent = Exclude<TicketEvent, NotificationEvent>

/**
 * The events of our Socket.IO protocol, given to the library's generics on both ends
 * (`Server<ClientToServerEvents, ServerToClientEvents, …>` in app/realtime/io.server.ts,
 * `Socket<ServerToClientEvents, ClientToServerEvents>` in the browser), so emits and handlers
 * are checked by the compiler and need no casts.
 */
export type ServerToClientEvents = {
  /** Sent once per connection, after the socket joined its rooms. */
  ready: (payload: ReadyPayload) => void
  'ticket-event': (event: WorkspaceEvent) => void
  notification: (event: NotificationEvent) => void
  presence: (payload: PresencePayload) => void
  viewing: (payload: ViewingPayload) => void
  /** The workspace's whole viewing snapshot, replacing the queue's markers (after an instance died). */
  'viewing:all': (payload: ViewingSnapshot & { workspaceId: string }) => void
  /** To a member's own room: they were removed from the workspace (their tabs of it lose access). */
  /** `left`: the member left it themselves (another tab's Leave workspace), not removed. */
  'workspace:removed': (payload: { workspaceId: string; left?: true }) => void
  /** To a member's own room: their role in the workspace changed (their tabs of it follow). */
  'workspace:role': (payload: { workspaceId: string; role: Role }) => void
}

/**
 * What a well-behaved client emits. Anything can arrive, so the server's handlers take `unknown`
 * and parse with the schemas above (a handler of unknowns satisfies these signatures).
 */
export type ClientToServerEvents = {
  /** Answers when the ticket last changed (ticketChangedAt), to compare with the page's. */
  'ticket:join': (payload: z.infer<typeof TicketRoomPayload>, ack: Ack<{ changedAt: string }>) => void
  'ticket:leave': (payload: z.infer<typeof TicketRoomPayload>, ack: Ack) => void
  typing: (payload: z.infer<typeof TypingPayload>, ack: Ack) => void
  'workspace:viewing': (payload: z.infer<typeof WorkspacePayload>, ack: Ack<ViewingSnapshot>) => void
}

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
