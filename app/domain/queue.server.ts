import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import {
  HIGHLIGHT_END,
  HIGHLIGHT_START,
  listQueue,
  listQueueOptions,
  QUEUE_SORTS,
  QUEUE_VIEWS,
  type QueueFilters,
  type QueueSort,
  type QueueView,
} from '#db/queries/tickets.ts'
import { TICKET_PRIORITIES, TICKET_STATUSES } from '#app/utils/vocabulary.ts'
import type { Member } from './workspaces.server.ts'

export type { QueueSort, QueueView }

export const PAGE_SIZE = 25
/** Longer queries are cut here; listQueue searches with the first 200 characters. */
export const MAX_QUERY_CHARS = 1000

/** A value that fails its schema is dropped (shown as "All"), never a 400 or a 500. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined)

const QueueParams = z.object({
  view: lenient(z.enum(QUEUE_VIEWS)),
  mailbox: lenient(z.uuid()),
  status: lenient(z.enum(TICKET_STATUSES)),
  priority: lenient(z.enum(TICKET_PRIORITIES)),
  assignee: lenient(z.union([z.uuid(), z.literal('none')])),
  tag: lenient(z.uuid()),
  sort: lenient(z.enum(QUEUE_SORTS)),
  q: lenient(
    z
      .string()
      .transform((q) => q.slice(0, MAX_QUERY_CHARS).trim())
      .pipe(z.string().min(1)),
  ),
  after: lenient(z.string().max(400)),
  before: lenient(z.string().max(400)),
})

/** Timestamps as listQueue writes them into sort keys; parseable by PostgreSQL and in range. */
const CursorTime = z
  .string()
  .regex(/^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/)
  .refine((s) => {
    const ms = Date.parse(s.replace(/(\.\d{3})\d+Z$/, '$1Z'))
    return Number.isFinite(ms) && s.startsWith(new Date(ms).toISOString().slice(0, 19))
  })
const CursorId = z.uuid()

/** The shape of a sort key per sort, so a forged cursor can never reach a SQL cast. */
const CURSOR_SCHEMAS: Record<QueueSort, z.ZodType<Array<string | number>>> = {
  activity: z.tuple([CursorTime, CursorId]),
  created: z.tuple([CursorTime, CursorId]),
  priority: z.tuple([z.enum(TICKET_PRIORITIES), CursorTime, CursorId]),
  relevance: z.tuple([z.number().finite(), CursorTime, CursorId]),
}

export function encodeCursor(sortKey: Array<string | number>) {
  return Buffer.from(JSON.stringify(sortKey)).toString('base64url')
}

/** A cursor from the query string, or undefined when it is garbage or made for another sort. */
export function decodeCursor(cursor: string | undefined, sort: QueueSort) {
  if (!cursor) return undefined
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  const parsed = CURSOR_SCHEMAS[sort].safeParse(json)
  return parsed.success ? parsed.data : undefined
}

export type QueueQuery = {
  filters: QueueFilters
  /** The view as the URL gave it (undefined: the default, which depends on the search). */
  explicitView: QueueView | undefined
  sort: QueueSort
  explicitSort: QueueSort | undefined
  cursor?: Array<string | number>
  direction: 'next' | 'prev'
}

/**
 * Reads the queue's query string. Unknown or malformed values are dropped; ids of another
 * workspace pass here and simply match nothing, because every query is scoped by workspace.
 */
export function parseQueueQuery(searchParams: URLSearchParams): QueueQuery {
  const raw = Object.fromEntries(
    [...QueueParams.keyof().options].map((key) => [key, searchParams.get(key) ?? undefined]),
  )
  const params = QueueParams.parse(raw)
  const q = params.q
  const view = params.view ?? (q ? 'all' : 'open')
  let sort: QueueSort = params.sort ?? (q ? 'relevance' : 'activity')
  if (sort === 'relevance' && !q) sort = 'activity'
  const after = decodeCursor(params.after, sort)
  const before = after ? undefined : decodeCursor(params.before, sort)
  return {
    filters: {
      view,
      mailboxId: params.mailbox,
      status: params.status,
      priority: params.priority,
      assigneeId: params.assignee,
      tagId: params.tag,
      q,
    },
    explicitView: params.view,
    sort,
    explicitSort: params.sort,
    cursor: after ?? before,
    direction: before ? 'prev' : 'next',
  }
}

/** `#123` in the search box jumps to ticket 123. */
export function ticketNumberInQuery(q: string | undefined) {
  const match = q?.match(/^#(\d{1,9})$/)
  return match ? Number(match[1]) : undefined
}

export type SnippetPart = { text: string; highlight: boolean }

/** Splits ts_headline output on its markers so the browser renders <mark> without raw HTML. */
export function snippetParts(snippet: string | null): SnippetPart[] | null {
  if (!snippet) return null
  const parts: SnippetPart[] = []
  for (const [i, chunk] of snippet.split(HIGHLIGHT_START).entries()) {
    if (i === 0) {
      if (chunk) parts.push({ text: chunk, highlight: false })
      continue
    }
    const end = chunk.indexOf(HIGHLIGHT_END)
    if (end === -1) {
      parts.push({ text: chunk, highlight: false })
      continue
    }
    parts.push({ text: chunk.slice(0, end), highlight: true })
    const rest = chunk.slice(end + HIGHLIGHT_END.length)
    if (rest) parts.push({ text: rest, highlight: false })
  }
  return parts
}

/** One page of the queue for the member, with cursors for the pages around it. */
export async function loadQueue(member: Member, query: QueueQuery) {
  const db = getDb()
  const input = {
    workspaceId: member.workspaceId,
    userId: member.userId,
    filters: query.filters,
    sort: query.sort,
    limit: PAGE_SIZE,
  }
  let page = await listQueue(db, { ...input, cursor: query.cursor, direction: query.direction })
  // Everything before the cursor is gone (deleted or moved): show the first page instead.
  if (query.direction === 'prev' && page.rows.length === 0) page = await listQueue(db, input)
  const first = page.rows[0]
  const last = page.rows.at(-1)
  return {
    rows: page.rows.map((row) => ({
      id: row.id,
      number: row.number,
      subject: row.subject,
      status: row.status,
      priority: row.priority,
      lastActivityAt: row.lastActivityAt.toISOString(),
      contactName: row.contactName,
      contactEmail: row.contactEmail,
      assigneeName: row.assigneeName,
      unread: row.unread,
      tags: row.tags,
      snippet: snippetParts(row.snippet),
    })),
    nextCursor: page.hasNext && last ? encodeCursor(last.sortKey) : null,
    prevCursor: page.hasPrev && first ? encodeCursor(first.sortKey) : null,
  }
}

/** What the filter and bulk controls offer: the workspace's mailboxes, members and tags. */
export async function queueOptions(member: Member) {
  return listQueueOptions(getDb(), member.workspaceId)
}

/** The workspace's active mailboxes, oldest first (the first is the default). */
export async function activeMailboxes(member: Member) {
  const rows = await listMailboxes(getDb(), member.workspaceId)
  return rows.map((m) => ({ id: m.id, name: m.name }))
}
