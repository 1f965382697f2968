import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import { getTicketByNumber } from '#db/queries/tickets.ts'
import {
  HIGHLIGHT_END,
  HIGHLIGHT_START,
  listQueue,
  listQueueOptions,
  QUEUE_SORTS,
  QUEUE_VIEWS,
  type QueueFilters,
  type QueueListingInput,
  type QueueSort,
  type QueueView,
} from '#db/queries/queue.ts'
import { TICKET_PRIORITIES, TICKET_STATUSES } from '#app/utils/vocabulary.ts'
import { CursorId, CursorTime, decodeCursor, encodeCursor } from './cursor.server.ts'
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

/** Read once: `keyof()` builds a new enum schema on every call (run for every queue request). */
const QUEUE_PARAM_NAMES = QueueParams.keyof().options

/** The shape of a sort key per sort: a cursor made for another sort reads as none. */
const CURSOR_SCHEMAS: Record<QueueSort, z.ZodType<Array<string | number>>> = {
  activity: z.tuple([CursorTime, CursorId]),
  created: z.tuple([CursorTime, CursorId]),
  priority: z.tuple([z.enum(TICKET_PRIORITIES), CursorTime, CursorId]),
  relevance: z.tuple([z.number().finite(), CursorTime, CursorId]),
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
  // NUL removed here, not only at the request's edge (searchParamsOf): a queue's query string also
  // arrives inside another parameter (`from`, Previous/Next and Send & next), decoded once more
  // here, and PostgreSQL refuses NUL in the search's text (a `q` with %2500 in `from` was a 500).
  const raw = Object.fromEntries(
    QUEUE_PARAM_NAMES.map((key) => [key, searchParams.get(key)?.replaceAll('\u0000', '') ?? undefined]),
  )
  const params = QueueParams.parse(raw)
  const q = params.q
  const view = params.view ?? (q ? 'all' : 'open')
  let sort: QueueSort = params.sort ?? (q ? 'relevance' : 'activity')
  if (sort === 'relevance' && !q) sort = 'activity'
  const after = decodeCursor(params.after, CURSOR_SCHEMAS[sort])
  const before = after ? undefined : decodeCursor(params.before, CURSOR_SCHEMAS[sort])
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

/** Whether the workspace has ticket `number` (the `#123` jump goes there only then). */
export async function hasTicketNumber(member: Pick<Member, 'workspaceId'>, number: number) {
  return (await getTicketByNumber(getDb(), { workspaceId: member.workspaceId, number })) !== undefined
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

type ListedRow = Awaited<ReturnType<typeof listQueue>>['rows'][number]

/** One inbox row in the loader data; absent optional fields mean empty (false, none). */
export type InboxRow = Pick<
  ListedRow,
  | 'id'
  | 'number'
  | 'subject'
  | 'status'
  | 'priority'
  | 'contactName'
  | 'contactEmail'
  | 'assigneeName'
  | 'tags'
> & {
  lastActivityAt: string
  unread?: true
  snippet?: SnippetPart[]
  gist?: string
  draft?: true
  preview?: string
  previewFromAgent?: true
  waitingSince?: string
  messageCount?: number
  hasAttachments?: true
  mailboxName?: string
}

/**
 * A row as the inbox shows it. Optional markers are left out when empty (no gist, draft,
 * attachments, waiting time, preview or snippet; read; the preview is the customer's), and the
 * table treats a missing one as empty: 25 rows of `false` and `null` were a measurable part of
 * turbo-stream's encoding of every queue page (docs/performance.md, session 4).
 */
function queueRow(row: ListedRow): InboxRow {
  const out: InboxRow = {
    id: row.id,
    number: row.number,
    subject: row.subject,
    status: row.status,
    priority: row.priority,
    lastActivityAt: row.lastActivityAt,
    contactName: row.contactName,
    contactEmail: row.contactEmail,
    assigneeName: row.assigneeName,
    tags: row.tags,
  }
  if (row.unread) out.unread = true
  const snippet = snippetParts(row.snippet)
  if (snippet) out.snippet = snippet
  // AI triage's one-line gist under the subject, and the member's own unsent draft.
  if (row.gist) out.gist = row.gist
  if (row.hasDraft) out.draft = true
  // The row's preview line and markers (issue 11 item 7): made when the message was written
  // (inbox_preview_line, migration 0045).
  const preview = row.lastMessage?.text
  if (preview) {
    out.preview = preview
    if (row.lastMessage?.fromAgent) out.previewFromAgent = true
  }
  if (row.waitingSince) out.waitingSince = row.waitingSince
  if (row.messageCount !== null) out.messageCount = row.messageCount
  if (row.hasAttachments) out.hasAttachments = true
  if (row.mailboxName !== null) out.mailboxName = row.mailboxName
  return out
}

/** What listQueue reads for a page of the inbox (the member's workspace and user aside). */
export function queueListingInputOf(query: QueueQuery): QueueListingInput {
  return {
    filters: query.filters,
    sort: query.sort,
    limit: PAGE_SIZE,
    rowExtras: true,
    cursor: query.cursor,
    direction: query.direction,
  }
}

export type ListedPage = Awaited<ReturnType<typeof listQueue>>

/**
 * One page of the queue for the member, with cursors for the pages around it. `carried`: the
 * same page, read with the request's identity (getIdentityWithLayout's `queuePage`).
 */
export async function loadQueue(member: Member, query: QueueQuery, carried?: Promise<ListedPage>) {
  const db = getDb()
  const input = { ...queueListingInputOf(query), workspaceId: member.workspaceId, userId: member.userId }
  let page = carried ? await carried : await listQueue(db, input)
  // Everything before the cursor is gone (deleted or moved): show the first page instead.
  if (query.direction === 'prev' && page.rows.length === 0) {
    page = await listQueue(db, { ...input, cursor: undefined, direction: 'next' })
  }
  const first = page.rows[0]
  const last = page.rows.at(-1)
  return {
    rows: page.rows.map(queueRow),
    nextCursor: page.hasNext && last ? encodeCursor(last.sortKey) : null,
    prevCursor: page.hasPrev && first ? encodeCursor(first.sortKey) : null,
  }
}

/** What the filter and bulk controls offer: the workspace's mailboxes, members and tags. */
export async function queueOptions(member: Member) {
  return listQueueOptions(getDb(), { workspaceId: member.workspaceId })
}

/** The workspace's active mailboxes, oldest first (the first is the default). */
export async function activeMailboxes(member: Member) {
  const rows = await listMailboxes(getDb(), { workspaceId: member.workspaceId })
  return rows.map((m) => ({ id: m.id, name: m.name }))
}
