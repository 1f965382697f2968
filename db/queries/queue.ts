import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { type TicketPriority, type TicketStatus } from '../schema.ts'
import { executePrepared } from '../prepared.ts'
import { searchQuery } from './search-query.ts'

// The queue: listing, search, counts and the filters' options. One ticket's reads are in tickets.ts.

export const QUEUE_VIEWS = ['mine', 'unassigned', 'open', 'pending', 'resolved', 'all'] as const
export type QueueView = (typeof QUEUE_VIEWS)[number]
export const QUEUE_SORTS = ['activity', 'created', 'priority', 'relevance'] as const
export type QueueSort = (typeof QUEUE_SORTS)[number]
/** How many of the most recently active matches a search ranks by relevance. */
export const RELEVANCE_CANDIDATES = 1000

export type QueueFilters = {
  view: QueueView
  mailboxId?: string
  status?: TicketStatus
  priority?: TicketPriority
  /** A member's user id, or 'none' for unassigned. */
  assigneeId?: string
  tagId?: string
  q?: string
  /** Tickets changed at or after this ISO 8601 time (the API's `updated_since`). */
  updatedSince?: string
  /** One customer's tickets (the customer page; tickets_contact_idx). */
  contactId?: string
}

export type QueueRow = {
  id: string
  number: number
  subject: string
  status: TicketStatus
  priority: TicketPriority
  /** ISO 8601 in UTC to the millisecond, as `Date#toISOString` writes it. */
  lastActivityAt: string
  createdAt: string
  contactName: string
  contactEmail: string
  assigneeId: string | null
  assigneeName: string | null
  unread: boolean
  tags: Array<{ id: string; name: string }>
  snippet: string | null
  /** With `rowExtras`: AI triage's one-line gist ('' or null when none), and the user's draft. */
  gist: string | null
  hasDraft: boolean
  /**
   * With `rowExtras`, the inbox row's details: the last message the customer can see (internal
   * notes and replies in their undo window skipped; its preview line, and whether an
   * agent wrote it; null on a search row with a snippet, which shows the snippet instead), when
   * the customer's still-unanswered message arrived (open and pending only), how many messages,
   * whether any has a file, and the mailbox's name.
   */
  lastMessage: { text: string; fromAgent: boolean } | null
  /** ISO 8601 in UTC to the millisecond. */
  waitingSince: string | null
  messageCount: number | null
  hasAttachments: boolean
  mailboxName: string | null
  sortKey: Array<string | number>
}

export const HIGHLIGHT_START = '\u27e6'
export const HIGHLIGHT_END = '\u27e7'

/**
 * A snippet's text is the customer's, and only ts_headline's markers may mark it: the text goes
 * into ts_headline with the marker characters and `<` written as SNIPPET_ESCAPE and a second
 * character (the escape itself too), and `snippetText` turns them back. A body holding
 * "⟦spoofed⟧" showed "spoofed" highlighted, and ts_headline read `<b>` or `<script>…</script>` in
 * a plain-text body as tags and left them out.
 */
const SNIPPET_ESCAPE = '\ue000'
const SNIPPET_ESCAPED: Record<string, string> = {
  '\ue001': HIGHLIGHT_START,
  '\ue002': HIGHLIGHT_END,
  '\ue003': '<',
  '\ue004': SNIPPET_ESCAPE,
}
/** The escaping in SQL around `text` (the escape itself first, so it can be told apart). */
function snippetEscaped(text: SQL) {
  let escaped = sql`replace(${text}, ${sql.raw(`'${SNIPPET_ESCAPE}'`)}, ${sql.raw(`'${SNIPPET_ESCAPE}\ue004'`)})`
  for (const [code, char] of Object.entries(SNIPPET_ESCAPED)) {
    if (char === SNIPPET_ESCAPE) continue
    escaped = sql`replace(${escaped}, ${sql.raw(`'${char}'`)}, ${sql.raw(`'${SNIPPET_ESCAPE}${code}'`)})`
  }
  return escaped
}
/** A part of ts_headline's output as the customer wrote it (see SNIPPET_ESCAPE). */
export function snippetText(part: string) {
  return part.includes(SNIPPET_ESCAPE)
    ? part.replace(/\ue000([\ue001-\ue004])/g, (escaped, code: string) => SNIPPET_ESCAPED[code] ?? escaped)
    : part
}

/** Escapes LIKE wildcards so user input matches literally. */
function likePattern(q: string) {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

function viewCondition(view: QueueView, userId: Ref): SQL | undefined {
  switch (view) {
    case 'mine':
      return sql`t.assignee_id = ${userId} and t.status in ('open', 'pending')`
    case 'unassigned':
      return sql`t.assignee_id is null and t.status in ('open', 'pending')`
    case 'open':
    case 'pending':
    case 'resolved':
      return sql`t.status = ${view}`
    case 'all':
      return undefined
  }
}

/** A value, or a column of a statement around this one (the identity's, in getIdentityWithLayout). */
export type Ref = string | SQL

export type ListQueueInput = {
  workspaceId: string
  userId: string
  filters: QueueFilters
  sort: QueueSort
  /** The sort key of the row to continue after (next) or before (prev). */
  cursor?: Array<string | number>
  direction?: 'next' | 'prev'
  limit?: number
  /**
   * The inbox's extras in the same statement (no second and third round trip): each row's triage
   * gist and whether `userId` has a draft on it. The API's list does not need them.
   */
  rowExtras?: boolean
}

/**
 * One page of the queue with keyset pagination (never OFFSET): rows stay put while new tickets
 * arrive. Every view + sort has an index that returns rows already ordered.
 */
export async function listQueue(db: DbOrTx, input: ListQueueInput) {
  const listing = queueListing(input)
  // A search's plan depends on its words: planned each time. Every other shape is a prepared
  // statement (one per shape and connection), planned once. The LIMIT is written into the text:
  // as a parameter, PostgreSQL's generic plan assumes a large result and hashes whole tables
  // (measured: 195 ms instead of 0.7 ms).
  const result = listing.prepared
    ? await executePrepared<QueueListingRow>(db, listing.statement)
    : await db.execute<QueueListingRow>(listing.statement)
  return listing.page(result.rows)
}

/** A listing's query without whose it is (the statement around it may supply them). */
export type QueueListingInput = Omit<ListQueueInput, 'workspaceId' | 'userId'>

/**
 * A prepared listing as one json column (`queue_page`: its rows as an array) of a statement
 * around it whose columns `workspaceId` and `userId` are, with `page` to make a page of them.
 * Each row travels as an array of its values in LISTING_COLUMNS' order, not as an object: the
 * keys of 26 rows were ~7 KB of the column's ~20 KB, which PostgreSQL wrote and the server parsed
 * on every inbox and queue request (docs/performance.md, session 32).
 */
export function queueListingColumn(input: QueueListingInput, refs: { workspaceId: SQL; userId: SQL }) {
  const listing = queueListing({ ...input, ...refs })
  if (!listing.prepared) throw new Error('queueListingColumn: a search is planned per statement, not carried')
  return {
    column: sql`(select coalesce(json_agg(json_build_array(${LISTING_VALUES})), '[]'::json) from (${listing.statement}) qp) as queue_page`,
    // Each value is what the statement wrote for that column (QueueListingRow's types).
    page: (found: unknown[][]) => listing.page(found.map((values) => listingRow(values as never[]))),
  }
}

/** A row of queueListing's statement, as PostgreSQL names its columns (also as JSON). */
export type QueueListingRow = {
  id: string
  number: number
  subject: string
  status: TicketStatus
  priority: TicketPriority
  assignee_id: string | null
  rank: number
  snippet: string | null
  contact_name: string
  contact_email: string
  assignee_name: string | null
  activity_key: string
  created_key: string
  gist: string | null
  has_draft: boolean
  last_message_text: string | null
  last_message_from_agent: boolean
  waiting_since: string | null
  message_count: number | null
  has_attachments: boolean
  mailbox_name: string | null
  unread: boolean
  tags: Array<{ id: string; name: string }>
}

/**
 * A QueueListingRow from its values as queueListingColumn's arrays carry them: each column's
 * position here is its place in the array, and LISTING_COLUMNS (the order the statement writes
 * them in) is read from this literal, so the two cannot disagree. `never` values: the compiler
 * checks that every column of the row is here. An object literal, not a loop over the names: V8
 * builds it at once in its final shape (21 µs for a page's 26 rows, parse included, against 41 µs
 * for the same rows parsed as objects and 48 µs built key by key).
 */
function listingRow(v: readonly never[]): QueueListingRow {
  return {
    id: v[0],
    number: v[1],
    subject: v[2],
    status: v[3],
    priority: v[4],
    assignee_id: v[5],
    rank: v[6],
    snippet: v[7],
    contact_name: v[8],
    contact_email: v[9],
    assignee_name: v[10],
    activity_key: v[11],
    created_key: v[12],
    gist: v[13],
    has_draft: v[14],
    last_message_text: v[15],
    last_message_from_agent: v[16],
    waiting_since: v[17],
    message_count: v[18],
    has_attachments: v[19],
    mailbox_name: v[20],
    unread: v[21],
    tags: v[22],
  }
}

/** listingRow's columns by position; every position from 0 up used once, or the module fails. */
const LISTING_COLUMNS = (() => {
  const positions = Object.entries(listingRow(Array.from({ length: 100 }, (_, i) => i) as never[])) as Array<
    [string, number]
  >
  const columns: string[] = []
  for (const [column, position] of positions) {
    if (columns[position] !== undefined) throw new Error(`listingRow: position ${position} used twice`)
    columns[position] = column
  }
  if (columns.length !== positions.length) throw new Error('listingRow: a position is skipped')
  return columns
})()
const LISTING_VALUES = sql.raw(LISTING_COLUMNS.map((column) => `qp.${column}`).join(', '))

/**
 * listQueue's statement and what makes a page of its rows. `workspaceId` and `userId` may be
 * columns of a statement around it: the identity's lookup carries the inbox's page as one more
 * column (`queueListingColumn`), so an inbox request runs one statement instead of two.
 * `prepared`: false for a search (its plan depends on the words).
 */
export function queueListing(input: QueueListingInput & { workspaceId: Ref; userId: Ref }) {
  const { workspaceId, userId, filters } = input
  const limit = input.limit ?? 25
  // Written into the statement's text (see below): only a small whole number gets there.
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`listQueue: bad limit ${limit}`)
  const direction = input.direction ?? 'next'
  const search = searchQuery(filters.q)
  const q = search?.text
  const sort: QueueSort = input.sort === 'relevance' && !q ? 'activity' : input.sort
  const tsquery = search ? sql`websearch_to_tsquery('english', ${search.tsText})` : undefined

  const where: SQL[] = [sql`t.workspace_id = ${workspaceId}`]
  const view = viewCondition(filters.view, userId)
  if (view) where.push(view)
  if (filters.status) where.push(sql`t.status = ${filters.status}`)
  if (filters.priority) where.push(sql`t.priority = ${filters.priority}`)
  if (filters.mailboxId) where.push(sql`t.mailbox_id = ${filters.mailboxId}`)
  if (filters.assigneeId === 'none') where.push(sql`t.assignee_id is null`)
  else if (filters.assigneeId) where.push(sql`t.assignee_id = ${filters.assigneeId}`)
  if (filters.contactId) where.push(sql`t.contact_id = ${filters.contactId}`)
  if (filters.updatedSince) where.push(sql`t.updated_at >= ${filters.updatedSince}::timestamptz`)
  if (filters.tagId) {
    where.push(
      sql`exists (select 1 from ticket_tags tt where tt.ticket_id = t.id and tt.tag_id = ${filters.tagId})`,
    )
  }
  if (q && tsquery) {
    const partial =
      q.length >= 3
        ? // `= any(array(...))` (an InitPlan) rather than `in (subquery)`: PostgreSQL can then
          // OR the GIN bitmap with tickets_contact_idx instead of scanning every ticket.
          sql` or t.contact_id = any(array(select c.id from contacts c where c.workspace_id = ${workspaceId}
                 and (c.email ilike ${likePattern(q)} or c.name ilike ${likePattern(q)}) limit 500))`
        : sql``
    where.push(sql`(t.search @@ ${tsquery}${partial})`)
  }

  // Sort keys: the ORDER BY columns and the row comparison that continues after a cursor.
  const rank = tsquery ? sql`ts_rank(t.search, ${tsquery})::float8` : sql`0::float8`
  const keys: { expr: SQL; cast: string }[] =
    sort === 'created'
      ? [
          { expr: sql`t.created_at`, cast: 'timestamptz' },
          { expr: sql`t.id`, cast: 'uuid' },
        ]
      : sort === 'priority'
        ? [
            { expr: sql`t.priority`, cast: 'ticket_priority' },
            { expr: sql`t.last_activity_at`, cast: 'timestamptz' },
            { expr: sql`t.id`, cast: 'uuid' },
          ]
        : sort === 'relevance'
          ? [
              { expr: rank, cast: 'float8' },
              { expr: sql`t.last_activity_at`, cast: 'timestamptz' },
              { expr: sql`t.id`, cast: 'uuid' },
            ]
          : [
              { expr: sql`t.last_activity_at`, cast: 'timestamptz' },
              { expr: sql`t.id`, cast: 'uuid' },
            ]
  // Ranking every match of a common word (hundreds of thousands of tickets) takes seconds:
  // relevance ranks the most recently active RELEVANCE_CANDIDATES matches.
  const source =
    sort === 'relevance'
      ? sql`(select * from tickets t where ${sql.join(where, sql` and `)}
           order by t.last_activity_at desc nulls last, t.id desc nulls last limit ${RELEVANCE_CANDIDATES}) t`
      : sql`tickets t`
  if (sort === 'relevance') where.splice(0, where.length, sql`true`)
  if (input.cursor && input.cursor.length === keys.length) {
    const left = sql.join(
      keys.map((k) => k.expr),
      sql`, `,
    )
    const right = sql.join(
      keys.map((k, i) => sql`${input.cursor![i]}::${sql.raw(k.cast)}`),
      sql`, `,
    )
    where.push(direction === 'next' ? sql`(${left}) < (${right})` : sql`(${left}) > (${right})`)
  }
  const order = sql.join(
    keys.map((k) => (direction === 'next' ? sql`${k.expr} desc nulls last` : sql`${k.expr} asc nulls first`)),
    sql`, `,
  )
  const snippet =
    q && tsquery
      ? sql`ts_headline('english',
            ${snippetEscaped(sql`coalesce((select left(m.body_text, 3000) from messages m
                      where m.ticket_id = t.id and m.held_until is null
                        and m.search @@ regexp_replace((${tsquery})::text, ' & ', ' | ', 'g')::tsquery
                      order by m.created_at limit 1), t.subject)`)},
            ${tsquery},
            ${`StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_END}, MaxWords=24, MinWords=8, MaxFragments=1`})`
      : sql`null`

  const statement = sql`
    select page.id, page.number, page.subject, page.status, page.priority, page.assignee_id, page.rank,
      page.snippet, ${
        input.rowExtras
          ? // Kept on the row by triggers on contacts and tickets.contact_id (migration 0044); a
            // ticket without a row (no message yet) reads its contact itself.
            sql`case when ms.ticket_id is not null then ms.contact_name
        else (select c.name from contacts c where c.id = page.contact_id) end as contact_name,
      case when ms.ticket_id is not null then ms.contact_email
        else (select c.email from contacts c where c.id = page.contact_id) end as contact_email,`
          : sql`c.name as contact_name, c.email as contact_email,`
      } u.name as assignee_name,
      (page.last_activity_at at time zone 'UTC')::text as activity_key,
      (page.created_at at time zone 'UTC')::text as created_key,
      ${
        input.rowExtras
          ? sql`ms.gist as gist,
      exists (select 1 from drafts d where d.ticket_id = page.id and d.user_id = ${userId}
              and d.workspace_id = ${workspaceId} and d.body <> '') as has_draft,
      ${
        q
          ? // A search row shows its snippet instead of the last message's line (as
            // `snippetParts` reads it): only a row without one gets the preview.
            sql`case when coalesce(page.snippet, '') = '' then ms.last_reply_preview end as last_message_text,
      coalesce(case when coalesce(page.snippet, '') = '' then ms.last_reply_from_agent end, false) as last_message_from_agent,`
          : sql`ms.last_reply_preview as last_message_text, coalesce(ms.last_reply_from_agent, false) as last_message_from_agent,`
      }
      case when page.status in ('open', 'pending') and page.last_customer_message_at is not null
             and (ms.last_agent_reply_at is null or ms.last_agent_reply_at <= page.last_customer_message_at)
           then (page.last_customer_message_at at time zone 'UTC')::text end as waiting_since,
      coalesce(ms.message_count, 0) as message_count,
      coalesce(ms.has_attachments, false) as has_attachments,
      mb.name as mailbox_name,`
          : sql`null::text as gist, false as has_draft, null::text as last_message_text,
      false as last_message_from_agent, null::text as waiting_since, null::int as message_count,
      false as has_attachments, null::text as mailbox_name,`
      }
      -- A scalar subquery stays a key lookup per row (a join was planned as a hash of all of the
      -- user's reads). Unread: never opened, or a customer wrote since.
      coalesce((select (r.read_at < page.last_customer_message_at) is true from ticket_reads r
        where r.user_id = ${userId} and r.ticket_id = page.id), true) as unread,
      ${
        input.rowExtras
          ? // Kept by triggers on ticket_tags and tags (migration 0042_ticket_row_details).
            sql`coalesce(ms.tags, '[]'::json) as tags`
          : sql`(select coalesce(json_agg(json_build_object('id', tg.id, 'name', tg.name) order by tg.name), '[]'::json)
         from ticket_tags tt join tags tg on tg.id = tt.tag_id where tt.ticket_id = page.id) as tags`
      }
    from (
      select t.id, t.number, t.subject, t.status, t.priority, t.last_activity_at, t.created_at,
        t.contact_id, t.assignee_id, t.mailbox_id, t.last_customer_message_at, ${rank} as rank, ${snippet} as snippet
      from ${source}
      where ${sql.join(where, sql` and `)}
      order by ${order}
      limit ${sql.raw(String(limit + 1))}
    ) page
    ${input.rowExtras ? sql`` : sql`join contacts c on c.id = page.contact_id`}
    left join users u on u.id = page.assignee_id
    ${
      input.rowExtras
        ? // The row's message details, last reply preview, tags, gist and contact, kept by triggers
          // on messages, attachments, ticket_tags, tags, ticket_triage and contacts (migrations
          // 0023_ticket_message_stats, 0042–0044): one lookup instead of one per table.
          // The mailbox as a join, not a scalar subquery: PostgreSQL memoizes a join's lookups, and a
          // page's 25 rows share a few mailboxes (4 lookups instead of 26 on the bench's page).
          sql`left join ticket_message_stats ms on ms.ticket_id = page.id
    left join mailboxes mb on mb.id = page.mailbox_id`
        : sql``
    }
  `
  return {
    statement,
    prepared: !q,
    /** The page of the statement's rows (fetched as limit + 1, unordered) and its neighbours. */
    page: (found: QueueListingRow[]) => queuePage(found, { sort, limit, direction, cursor: input.cursor }),
  }
}

function queuePage(
  found: QueueListingRow[],
  {
    sort,
    limit,
    direction,
    cursor,
  }: {
    sort: QueueSort
    limit: number
    direction: 'next' | 'prev'
    cursor: Array<string | number> | undefined
  },
) {
  // The outer joins do not keep the inner order: restore it from the sort keys.
  const rows = found.map((row) => {
    const activity = utcIso(row.activity_key)
    const created = utcIso(row.created_key)
    const sortKey: Array<string | number> =
      sort === 'created'
        ? [created, row.id]
        : sort === 'priority'
          ? [row.priority, activity, row.id]
          : sort === 'relevance'
            ? [Number(row.rank), activity, row.id]
            : [activity, row.id]
    return {
      id: row.id,
      number: row.number,
      subject: row.subject,
      status: row.status,
      priority: row.priority,
      lastActivityAt: isoMillis(activity),
      createdAt: isoMillis(created),
      contactName: row.contact_name,
      contactEmail: row.contact_email,
      assigneeId: row.assignee_id,
      assigneeName: row.assignee_name,
      unread: row.unread,
      tags: row.tags,
      snippet: row.snippet,
      gist: row.gist,
      hasDraft: row.has_draft,
      lastMessage:
        row.last_message_text === null
          ? null
          : { text: row.last_message_text, fromAgent: row.last_message_from_agent },
      waitingSince: row.waiting_since ? isoMillis(utcIso(row.waiting_since)) : null,
      messageCount: row.message_count === null ? null : Number(row.message_count),
      hasAttachments: row.has_attachments,
      mailboxName: row.mailbox_name,
      sortKey,
    } satisfies QueueRow
  })
  const byPriority = sort === 'priority'
  rows.sort((a, b) => compareKeys(b.sortKey, a.sortKey, byPriority))
  const hasMore = rows.length > limit
  if (direction === 'next') {
    const page = rows.slice(0, limit)
    return { rows: page, hasNext: hasMore, hasPrev: Boolean(cursor) }
  }
  // Fetched ascending from the cursor: the rows nearest the cursor are the last `limit`.
  const page = rows.slice(Math.max(0, rows.length - limit))
  return { rows: page, hasNext: true, hasPrev: hasMore }
}

/**
 * ISO 8601 in UTC with PostgreSQL's full microsecond precision, from `(ts at time zone 'UTC')::text`
 * ("2026-12-02 06:05:09.1234": ISO DateStyle, PostgreSQL's default, trailing zeros dropped). A JS
 * Date (milliseconds) as a cursor would skip rows whose timestamps differ only below the
 * millisecond. Cheaper than to_char in the statement (two per row), and cut from the text by
 * position rather than matched with a regular expression (three per row: their match arrays were
 * ~18 KB of a queue answer's garbage).
 */
export function utcIso(text: string) {
  const fraction = text.length > 19 ? text.slice(20) : ''
  if (
    text.length < 19 ||
    text.length > 26 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    text[10] !== ' ' ||
    text[13] !== ':' ||
    text[16] !== ':' ||
    (text.length > 19 && (text[19] !== '.' || fraction.length === 0))
  ) {
    throw new Error(`unexpected timestamp text from PostgreSQL: ${text}`)
  }
  // Always six digits, as to_char's US gave: sort keys compare as strings.
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction.padEnd(6, '0')}Z`
}

/** utcIso's text cut to the millisecond: what `new Date(text).toISOString()` gives, without the Date. */
function isoMillis(iso: string) {
  return `${iso.slice(0, 23)}Z`
}

const PRIORITY_RANK: Record<string, number> = { low: 0, normal: 1, high: 2, urgent: 3 }

/**
 * Orders two sort keys as PostgreSQL did. `byPriority`: the first key is a priority's name, ranked
 * as the enum is (low < urgent), not as text. Only then is a key looked up in PRIORITY_RANK: an
 * `in` test of every activity time and id made V8 hash and look each one up as a property name.
 */
function compareKeys(a: Array<string | number>, b: Array<string | number>, byPriority: boolean) {
  for (let i = 0; i < a.length; i++) {
    const x = byPriority && i === 0 ? PRIORITY_RANK[a[i]!]! : a[i]!
    const y = byPriority && i === 0 ? PRIORITY_RANK[b[i]!]! : b[i]!
    if (x < y) return -1
    if (x > y) return 1
  }
  return 0
}

/** Counts stop at this number: the navigation shows "999+" and never scans a huge backlog. */
export const COUNT_CAP = 1000

export type QueueOptionsRow = {
  mailboxes: Array<{ id: string; name: string }>
  members: Array<{ userId: string; name: string }>
  tags: Array<{ id: string; name: string }>
}

/**
 * The queue filters' options as three columns of a select list (active mailboxes, members, tags
 * of one workspace): listQueueOptions runs them alone, the layout's statement can carry them
 * (loadLayoutRow's `withQueueOptions`) so the inbox makes one round trip fewer.
 */
export function queueOptionsColumns(workspaceId: string | SQL) {
  return sql`(select coalesce(json_agg(json_build_object('id', m.id, 'name', m.name) order by m.created_at), '[]'::json)
         from mailboxes m where m.workspace_id = ${workspaceId} and m.archived_at is null) as mailboxes,
      (select coalesce(json_agg(json_build_object('userId', u.id, 'name', u.name) order by u.name), '[]'::json)
         from memberships ms join users u on u.id = ms.user_id where ms.workspace_id = ${workspaceId}) as members,
      (select coalesce(json_agg(json_build_object('id', t.id, 'name', t.name) order by t.name), '[]'::json)
         from tags t where t.workspace_id = ${workspaceId}) as tags`
}

/** Everything the queue's filters offer, in one round trip: active mailboxes, members, tags. */
export async function listQueueOptions(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const result = await executePrepared<QueueOptionsRow>(db, sql`select ${queueOptionsColumns(workspaceId)}`)
  return result.rows[0]
}
