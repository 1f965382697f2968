import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared, executePreparedText, queryOf } from '../prepared.ts'
import { checklistColumns, type ChecklistRow } from './onboarding.ts'
import {
  queueListingColumn,
  queueOptionsColumns,
  type QueueListingInput,
  type QueueOptionsRow,
  type Ref,
} from './queue.ts'

export type LayoutRow = {
  workspaces: Array<{ id: string; name: string; slug: string }>
  mine: number
  unassigned: number
  unread: number
  notifications: Array<{
    id: string
    kind: 'assigned' | 'customer-replied' | 'webhook-disabled'
    read_at: string | null
    // null for a workspace notice (webhook-disabled): subject is then the endpoint's URL
    number: number | null
    subject: string
    actor_name: string | null
  }>
}

/**
 * Everything the workspace layout shows on every page, as the select list of one statement: the
 * user's workspaces, the Mine/Unassigned counts and the latest notifications. The counts are exact
 * and cost two index lookups: they read queue_counts, which triggers on tickets keep up to date in
 * the same transaction as every change (migration 0021_queue_counts). `withQueueOptions` adds
 * the queue filters' options (the inbox page), `withChecklist` the getting-started checklist's
 * columns (the home page), scoped by the same workspace id and user id as the counts.
 */
function layoutColumns({
  workspaceId,
  userId,
  withQueueOptions = false,
  withChecklist = false,
  extra,
}: {
  workspaceId: Ref
  userId: Ref
  withQueueOptions?: boolean
  withChecklist?: boolean
  /** One more column (the inbox's page: getIdentityWithLayout's `queuePage`). */
  extra?: SQL
}) {
  return sql`
      (select coalesce(json_agg(json_build_object('id', w.id, 'name', w.name, 'slug', w.slug) order by w.name), '[]'::json)
         from memberships m join workspaces w on w.id = m.workspace_id where m.user_id = ${userId}) as workspaces,
      (select coalesce(sum(q.n), 0)::int from queue_counts q where q.workspace_id = ${workspaceId}
         and q.assignee_id = ${userId} and q.status in ('open', 'pending')) as mine,
      (select coalesce(sum(q.n), 0)::int from queue_counts q where q.workspace_id = ${workspaceId}
         and q.assignee_id is null and q.status in ('open', 'pending')) as unassigned,
      (select count(*)::int from notifications n where n.workspace_id = ${workspaceId}
         and n.user_id = ${userId} and n.read_at is null) as unread,
      (select coalesce(json_agg(x), '[]'::json) from (
         select n.id, n.kind, n.read_at, t.number, coalesce(t.subject, we.url, '') as subject, a.name as actor_name
         from notifications n
         left join tickets t on t.id = n.ticket_id
         left join webhook_endpoints we on we.id = n.webhook_endpoint_id
         left join users a on a.id = n.actor_user_id
         where n.workspace_id = ${workspaceId} and n.user_id = ${userId}
         order by n.created_at desc limit 30) x) as notifications${
           withQueueOptions ? sql`, ${queueOptionsColumns(workspaceId)}` : sql``
         }${withChecklist ? sql`, ${checklistColumns({ workspaceId, userId })}` : sql``}${
           extra ? sql`, ${extra}` : sql``
         }`
}

export type LayoutColumnsRow = LayoutRow & Partial<QueueOptionsRow> & Partial<ChecklistRow>

/** The layout's row (see layoutColumns) in one round trip. */
export async function loadLayoutRow(
  db: DbOrTx,
  options: { workspaceId: string; userId: string; withQueueOptions?: boolean; withChecklist?: boolean },
) {
  const result = await executePrepared<LayoutColumnsRow>(db, sql`select ${layoutColumns(options)}`)
  return result.rows[0]
}

export type IdentityRow = {
  session_id: string
  user_id: string
  expires_at: string
  email: string
  name: string
  time_zone: string | null
  email_verified_at: string | null
  role: 'owner' | 'admin' | 'agent' | null
  workspace_id: string | null
  workspace_name: string | null
  workspace_slug: string | null
}

/**
 * The live session's user and their membership of the workspace `slug` (as getIdentity), and,
 * when they are a member, the layout's row for that workspace and user (as loadLayoutRow), in
 * one statement: a page request's first two round trips in one. No membership, no layout
 * columns (all null): nothing of a workspace is read for someone who is not its member.
 * `queuePage` (the inbox, not a search): the queue's page for that member too, as listQueue
 * reads it; `page` on the result makes it a page (rows, hasNext, hasPrev), as listQueue returns.
 */
type IdentityWithLayoutInput = {
  sessionId: string
  slug: string
  withQueueOptions?: boolean
  withChecklist?: boolean
  queuePage?: QueueListingInput | null
}

export async function getIdentityWithLayout(db: DbOrTx, input: IdentityWithLayoutInput) {
  const { sql: text, params, page } = identityWithLayoutQuery(input)
  const result = await executePreparedText<
    IdentityRow & Partial<LayoutColumnsRow> & { queue_page?: unknown[][] | null }
  >(db, { sql: text, params })
  const row = result.rows[0]
  if (!row) return undefined
  const found = row.queue_page
  return { row, queuePage: page && found ? page(found) : null }
}

/** The statement of getIdentityWithLayout, built from its drizzle fragments. */
function buildIdentityWithLayout({
  sessionId,
  slug,
  withQueueOptions = false,
  withChecklist = false,
  queuePage,
}: IdentityWithLayoutInput) {
  const refs = { workspaceId: sql`i.workspace_id`, userId: sql`i.user_id` }
  const listing = queuePage ? queueListingColumn(queuePage, refs) : undefined
  const layout = layoutColumns({ ...refs, withQueueOptions, withChecklist, extra: listing?.column })
  const statement = sql`
    select i.*, l.* from (
      select s.id as session_id, s.user_id, s.expires_at, u.email, u.name, u.time_zone, u.email_verified_at,
        m.role, m.workspace_id, w.name as workspace_name, w.slug as workspace_slug
      from sessions s
      join users u on u.id = s.user_id
      left join workspaces w on w.slug = ${slug}
      left join memberships m on m.workspace_id = w.id and m.user_id = s.user_id
      where s.id = ${sessionId} and s.expires_at > now()
    ) i left join lateral (select ${layout}) l on i.workspace_id is not null`
  return { ...queryOf(statement), page: listing?.page }
}

/**
 * The statement is the same text for every request of one shape (which layout columns, the
 * queue's view, sort, direction, page size, cursor length and which filters are set); what
 * differs are its parameters (the slug, the session id, the filters' values, the cursor). Built
 * from drizzle's fragments on every page and `.data` request it was about a tenth of the queue
 * data path's allocation, so it is built once per shape with a marker in place of each value,
 * and a request puts its values where the markers are. A value the builder reads rather than
 * passes through (the view, an unassigned filter, whether there is a cursor) is part of the shape.
 * In tests and development every call is also checked against a fresh build.
 */
type Template = {
  sql: string
  params: unknown[]
  /** For each parameter, the input value it takes, if it is one of the markers. */
  slots: Array<string | undefined>
  page: ReturnType<typeof buildIdentityWithLayout>['page']
}
const templates = new Map<string, Template>()
const MARK = '\u0000value:'
// Tests and development check every call; a production server (whatever its NODE_ENV) does not.
const CHECK_TEMPLATES = process.env.NODE_ENV === 'test' || process.env.NODE_ENV === 'development'

function identityWithLayoutQuery(input: IdentityWithLayoutInput) {
  const { sessionId, slug, queuePage, ...rest } = input
  const values: Record<string, unknown> = { sessionId, slug }
  let marked: IdentityWithLayoutInput = { ...input, sessionId: `${MARK}sessionId`, slug: `${MARK}slug` }
  // Everything but the values is the shape, so a field added to the input later is part of it.
  let shape = JSON.stringify(rest)
  if (queuePage) {
    const { filters, cursor, ...listing } = queuePage
    if (filters.q !== undefined) return buildIdentityWithLayout(input) // a search: never carried here
    // Every filter but the view (and an unassigned filter, which is SQL of its own) is a value,
    // a filter added later included.
    const markedFilters: Record<string, unknown> = { ...filters }
    for (const [name, value] of Object.entries(filters)) {
      if (name === 'view' || value === undefined || (name === 'assigneeId' && value === 'none')) continue
      values[name] = value
      markedFilters[name] = `${MARK}${name}`
    }
    const markedCursor = cursor?.map((value, i) => {
      values[`cursor${i}`] = value
      return `${MARK}cursor${i}`
    })
    marked = {
      ...marked,
      queuePage: {
        ...queuePage,
        filters: markedFilters as QueueListingInput['filters'],
        cursor: markedCursor,
      },
    }
    shape += JSON.stringify([
      listing,
      filters.view,
      filters.assigneeId === 'none',
      Object.keys(values),
      cursor === undefined ? -1 : cursor.length,
    ])
  }
  let template = templates.get(shape)
  if (!template) {
    const built = buildIdentityWithLayout(marked)
    const slots = built.params.map((param) =>
      typeof param === 'string' && param.startsWith(MARK) ? param.slice(MARK.length) : undefined,
    )
    template = { sql: built.sql, params: built.params, slots, page: built.page }
    if (templates.size >= 500) templates.clear()
    templates.set(shape, template)
  }
  const { slots } = template
  const params = template.params.map((param, i) => (slots[i] === undefined ? param : values[slots[i]!]))
  const query = { sql: template.sql, params, page: template.page }
  if (CHECK_TEMPLATES) {
    const fresh = buildIdentityWithLayout(input)
    if (fresh.sql !== query.sql || JSON.stringify(fresh.params) !== JSON.stringify(query.params)) {
      throw new Error(`getIdentityWithLayout's template of shape ${shape} differs from its statement`)
    }
  }
  return query
}
