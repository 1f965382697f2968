import { createHash } from 'node:crypto'
import type pg from 'pg'
import { searchQuery, ticketNumberSearched } from './search-query.ts'

// GET /api/v1/tickets: one statement that filters, pages and writes the page's JSON. Plain
// TypeScript with no imports beyond node:crypto and types, so the bench's bare node:http + pg
// server (scripts/bench-baseline-server.js) imports this very builder and runs the same statement.

export type ApiTicketFilters = {
  status?: string
  priority?: string
  /** A member's user id, or 'none' for unassigned. */
  assigneeId?: string
  mailboxId?: string
  tagId?: string
  /** Tickets changed at or after this ISO 8601 time. */
  updatedSince?: string
  /**
   * Tickets whose row a transaction wrote that the page which gave out this mark could not see
   * (its `changesMark`, a transaction id in decimal): what a poller asks for next (CHANGED_AFTER).
   */
  changedAfter?: string
  q?: string
}

export type ApiTicketListInput = {
  workspaceId: string
  filters: ApiTicketFilters
  /** The sort key (created_at with microseconds, id) of the row to continue after. */
  after?: readonly [string, string]
  limit: number
}

export type ApiTicketListPage = {
  /** The page as a JSON array of ticket summaries (the TicketSummary schema), newest first. */
  data: string
  /** The sort key of the page's last row when more rows follow, else null. */
  next: [string, string] | null
  /**
   * The oldest transaction still running when the page was read (its snapshot's xmin, decimal):
   * every change the page could not see was written by it or a later one (CHANGED_AFTER).
   */
  changesMark: string
}

/**
 * `changedAfter` without a clock. A time a change takes before it commits (updated_at) cannot say
 * what a poll missed: a change may commit after a poll that read a later time. A transaction id
 * can: every transaction a page's snapshot could not see (still running, or begun after it) has
 * an id at or above the snapshot's xmin, and so does each ticket row it wrote (the row's xmin;
 * a later writer of the row has a later id still). So rows with `xmin >= mark` are every change
 * since the page that gave the mark, plus a few it did see (those of transactions it found done
 * among the ones still running). Compared as ages from one base (age() of the statement), which
 * reads the 32-bit xmin correctly within 2^31 transactions; a mark older than 2 billion
 * transactions, or above the current one (a database restored from a dump), lists every ticket
 * rather than none.
 */
const CHANGED_AFTER = (mark: string) => `age(t.xmin) <= (select case
      when ${mark} between s.next - 2000000000 and s.next then age(xid(${mark}::text::xid8)) else 2147483647 end
    from (select pg_snapshot_xmax(pg_current_snapshot())::text::bigint as next) s)`

/** Statement names by text: one per filter shape (at most 2^9 × with/without a cursor). */
const names = new Map<string, string>()

/** ISO 8601 in UTC with milliseconds, as Date.prototype.toISOString writes it (the API's times). */
const isoMillis = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
/** With microseconds: the cursor's key, exact enough to compare with the column again. */
const isoMicros = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** What JavaScript's String#trim removes, of the characters an address can hold (ASCII). */
const TRIM = `E' \\t\\n\\x0B\\f\\r'`
/**
 * The row's CC list as GET /tickets/{number} gives it (distinctAddresses in ticketJson): trimmed,
 * the first of each address in any case, no empty one, the customer's address left out. Computed
 * from the row's own array (no table is read), so a page costs no more statements or probes; the
 * subquery runs only for a ticket that has a CC list (measured in PostgreSQL, 25 rows: about
 * +0.25 ms on a ~0.7 ms statement when every row has one, docs/performance.md).
 */
const CC_JSON = `case when cardinality(s.cc) = 0 then '[]'::json
           else coalesce((select array_to_json(array_agg(d.address order by d.ord))
             from (select distinct on (lower(a.address)) a.address, a.ord
                   from (select btrim(e.raw, ${TRIM}) as address, e.ord
                         from unnest(s.cc) with ordinality as e(raw, ord)) a
                   where a.address <> '' and lower(a.address) <> lower(btrim(c.email, ${TRIM}))
                   order by lower(a.address), a.ord) d), '[]') end`

/** Escapes LIKE wildcards so user input matches literally (as the queue's search does). */
function likePattern(q: string) {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * The statement for one page: the queue's filters (db/queries/queue.ts, sort 'created'), newest
 * first by (created_at, id), which never changes, so pages are stable under inserts.
 *
 * Each row's JSON is built here (row_to_json keeps the column order and writes no spaces), so
 * the server passes the text through without parsing rows, making Dates or stringifying. Its shape
 * is ticketSummaryJson's (app/domain/serializers.server.ts); tests/integration/api-tickets-list
 * compares the two. Named by its text: PostgreSQL parses and plans each shape once per connection.
 */
export function apiTicketListStatement(input: ApiTicketListInput): pg.QueryConfig {
  const { filters } = input
  const values: unknown[] = [input.workspaceId]
  const param = (value: unknown, cast: string) => {
    values.push(value)
    return `$${values.length}::${cast}`
  }
  const where = ['t.workspace_id = $1::uuid']
  if (filters.status) where.push(`t.status = ${param(filters.status, 'ticket_status')}`)
  if (filters.priority) where.push(`t.priority = ${param(filters.priority, 'ticket_priority')}`)
  if (filters.mailboxId) where.push(`t.mailbox_id = ${param(filters.mailboxId, 'uuid')}`)
  if (filters.assigneeId === 'none') where.push('t.assignee_id is null')
  else if (filters.assigneeId) where.push(`t.assignee_id = ${param(filters.assigneeId, 'uuid')}`)
  if (filters.updatedSince) where.push(`t.updated_at >= ${param(filters.updatedSince, 'timestamptz')}`)
  if (filters.changedAfter) where.push(CHANGED_AFTER(param(filters.changedAfter, 'bigint')))
  if (filters.tagId) {
    where.push(
      `exists (select 1 from ticket_tags tt where tt.ticket_id = t.id and tt.tag_id = ${param(filters.tagId, 'uuid')})`,
    )
  }
  const search = searchQuery(filters.q)
  if (search) {
    const q = search.text
    const query = `websearch_to_tsquery('english', ${param(search.tsText, 'text')})`
    // As in the queue: from 3 characters, a customer's name or email matches too.
    const partial =
      q.length >= 3
        ? ` or t.contact_id = any(array(select c.id from contacts c where c.workspace_id = $1::uuid
             and (c.email ilike ${param(likePattern(q), 'text')} or c.name ilike $${values.length}::text) limit 500))`
        : ''
    // `#123` or `123`: ticket 123 too (the inbox opens `#123`, the palette both), and whatever else
    // matches. A bare number only adds a ticket to the list, so it is read as one here.
    const number = ticketNumberSearched(q) ?? ticketNumberSearched(`#${q}`)
    const byNumber = number === undefined ? '' : ` or t.number = ${param(number, 'int')}`
    where.push(`(t.search @@ ${query}${partial}${byNumber})`)
  }
  if (input.after) {
    where.push(
      `(t.created_at, t.id) < (${param(input.after[0], 'timestamptz')}, ${param(input.after[1], 'uuid')})`,
    )
  }
  const limit = param(input.limit, 'int')
  const text = `
    with page as (
      select t.id, t.number, t.subject, t.status, t.priority, t.created_at, t.last_activity_at,
        t.contact_id, t.assignee_id, t.cc
      from tickets t
      where ${where.join(' and ')}
      order by t.created_at desc nulls last, t.id desc nulls last
      limit ${limit} + 1
    ), shown as (
      select * from page order by created_at desc nulls last, id desc nulls last limit ${limit}
    )
    select
      (select coalesce(array_to_json(array_agg(row_to_json(j) order by s.created_at desc, s.id desc)), '[]')
       from shown s
       join contacts c on c.id = s.contact_id
       left join users u on u.id = s.assignee_id
       cross join lateral (
         select s.id, s.number, s.subject, s.status, s.priority,
           (select row_to_json(x) from (select c.name, c.email) x) as contact,
           ${CC_JSON} as cc,
           case when s.assignee_id is null then null
             else (select row_to_json(x) from (select s.assignee_id as id, coalesce(u.name, '') as name) x) end
             as assignee,
           coalesce((select array_to_json(array_agg(row_to_json(x) order by x.name))
             from (select tg.id, tg.name from ticket_tags tt join tags tg on tg.id = tt.tag_id
                   where tt.ticket_id = s.id) x), '[]') as tags,
           ${isoMillis('s.created_at')} as created_at,
           ${isoMillis('s.last_activity_at')} as last_activity_at
       ) j)::text as data,
      (select count(*) from page) > ${limit} as has_more,
      (select ${isoMicros('s.created_at')} from shown s order by s.created_at, s.id limit 1) as last_created,
      (select s.id from shown s order by s.created_at, s.id limit 1) as last_id,
      pg_snapshot_xmin(pg_current_snapshot())::text as changes_mark`
  let name = names.get(text)
  if (!name) {
    name = `api_tickets_${createHash('sha1').update(text).digest('base64url').slice(0, 16)}`
    names.set(text, name)
  }
  return { name, text, values }
}

/** Runs the statement on `client` (the app's pool, or the bench's bare one). */
export async function listApiTicketsPage(
  client: Pick<pg.Pool, 'query'>,
  input: ApiTicketListInput,
): Promise<ApiTicketListPage> {
  const result = await client.query<{
    data: string
    has_more: boolean
    last_created: string | null
    last_id: string | null
    changes_mark: string
  }>(apiTicketListStatement(input))
  const row = result.rows[0]!
  return {
    data: row.data,
    next: row.has_more && row.last_created && row.last_id ? [row.last_created, row.last_id] : null,
    changesMark: row.changes_mark,
  }
}
