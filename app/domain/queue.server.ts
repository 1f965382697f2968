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
  snippetText,
  type QueueFilters,
  type QueueListingInput,
  type QueueSort,
  type QueueView,
} from '#db/queries/queue.ts'
import { searchQuery, ticketNumberSearched } from '#db/queries/search-query.ts'
import { TICKET_PRIORITIES, TICKET_STATUSES } from '#app/utils/vocabulary.ts'
import {
  CursorId,
  CursorListName,
  CursorTime,
  decodeCursor,
  encodeCursor,
  listName,
} from './cursor.server.ts'
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

/**
 * A page link's cursor per sort: the name of its list (queueListName), then the sort key of the
 * row it continues from. A cursor of another shape does not decode.
 */
const CURSOR_SCHEMAS: Record<QueueSort, z.ZodType<[string, ...Array<string | number>]>> = {
  activity: z.tuple([CursorListName, CursorTime, CursorId]),
  created: z.tuple([CursorListName, CursorTime, CursorId]),
  priority: z.tuple([CursorListName, z.enum(TICKET_PRIORITIES), CursorTime, CursorId]),
  relevance: z.tuple([CursorListName, z.number().finite(), CursorTime, CursorId]),
}

/** Every filter names the list (a new one too: the compiler asks for it here). */
const LIST_FIELDS = Object.keys({
  view: true,
  mailboxId: true,
  status: true,
  priority: true,
  assigneeId: true,
  tagId: true,
  q: true,
  updatedSince: true,
  contactId: true,
} satisfies Record<keyof QueueFilters, true>) as Array<keyof QueueFilters>

/**
 * The list a queue cursor belongs to: its filters (the customer page's contact included) and
 * sort. A cursor read on another list was a position in it (another sort of the same shape, a
 * view's cursor in another view): now it does not fit, as the API's cursors (listKey).
 */
export function queueListName(filters: QueueFilters, sort: QueueSort) {
  return listName('queue', [sort, ...LIST_FIELDS.map((field) => filters[field] ?? null)])
}

export type QueueQuery = {
  filters: QueueFilters
  /** The view as the URL gave it (undefined: the default, which depends on the search). */
  explicitView: QueueView | undefined
  sort: QueueSort
  explicitSort: QueueSort | undefined
  /** The page link's sort key, and the list its cursor names (checked against the filters where they are final). */
  cursor?: Array<string | number>
  cursorList?: string
  /** The query string had a cursor (`after` or `before`), whether or not it decoded. */
  cursorGiven: boolean
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
  const [cursorList, ...cursor] = after ?? before ?? []
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
    cursor: cursorList === undefined ? undefined : cursor,
    cursorList,
    cursorGiven: Boolean(raw.after || raw.before),
    direction: before ? 'prev' : 'next',
  }
}

/** The query's cursor when it names this list (its filters and sort as they are now), else undefined. */
function cursorOfList(query: QueueQuery) {
  if (!query.cursor || query.cursorList !== queueListName(query.filters, query.sort)) return undefined
  return query.cursor
}

/**
 * A page link whose cursor is not one of this list's pages: forged, cut short, or given out by
 * another view, filter, sort or search (the queue answers 400 and shows the first page saying so).
 */
export function cursorRefused(query: QueueQuery) {
  return query.cursorGiven && cursorOfList(query) === undefined
}

/** `#123` in the search box jumps to ticket 123. */
export const ticketNumberInQuery = ticketNumberSearched

/**
 * The part of a search's text it used, when that is not all of it (over SEARCH_QUERY_CHARS): the
 * results say so.
 */
export function searchUsedOnly(q: string | undefined) {
  const search = searchQuery(q)
  return search?.cut ? search.text : null
}

/** Whether the workspace has ticket `number` (the `#123` jump goes there only then). */
export async function hasTicketNumber(member: Pick<Member, 'workspaceId'>, number: number) {
  return (await getTicketByNumber(getDb(), { workspaceId: member.workspaceId, number })) !== undefined
}

export type SnippetPart = { text: string; highlight: boolean }

/**
 * Splits ts_headline output on its markers so the browser renders <mark> without raw HTML; each
 * part is the customer's text again (`snippetText`: a marker character or `<` of theirs is theirs).
 */
export function snippetParts(snippet: string | null): SnippetPart[] | null {
  if (!snippet) return null
  const parts: SnippetPart[] = []
  const push = (text: string, highlight: boolean) => {
    if (text) parts.push({ text: snippetText(text), highlight })
  }
  for (const [i, chunk] of snippet.split(HIGHLIGHT_START).entries()) {
    const end = i === 0 ? -1 : chunk.indexOf(HIGHLIGHT_END)
    if (end === -1) {
      push(chunk, false)
      continue
    }
    push(chunk.slice(0, end), true)
    push(chunk.slice(end + HIGHLIGHT_END.length), false)
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
  // A cursor of another list reads as none: the first page.
  const cursor = cursorOfList(query)
  return {
    filters: query.filters,
    sort: query.sort,
    limit: PAGE_SIZE,
    rowExtras: true,
    cursor,
    direction: cursor ? query.direction : 'next',
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
  if (input.direction === 'prev' && page.rows.length === 0) {
    page = await listQueue(db, { ...input, cursor: undefined, direction: 'next' })
  }
  const first = page.rows[0]
  const last = page.rows.at(-1)
  const list = page.hasNext || page.hasPrev ? queueListName(query.filters, query.sort) : ''
  return {
    rows: page.rows.map(queueRow),
    nextCursor: page.hasNext && last ? encodeCursor([list, ...last.sortKey]) : null,
    prevCursor: page.hasPrev && first ? encodeCursor([list, ...first.sortKey]) : null,
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
