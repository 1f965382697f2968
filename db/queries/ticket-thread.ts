import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import type { messages } from '../schema.ts'

// A page of the agent's thread, as the ticket page (getTicketPage) and its "Show N earlier
// messages" (getThreadPage) read it: keyset on `(created_at, id)` with LIMIT, never the whole
// thread (a 30 MB thread cost one full view 5.9 s and 430 MB). The parts are CTEs of the caller's
// statement, after its `t` (the ticket, found by workspace and number).

/** A timestamp as `Date#toISOString()` writes it, so the page needs no Date objects. */
export const iso = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

export type PageThreadMessage = {
  id: string
  kind: 'reply' | 'note'
  bodyText: string
  createdAt: string
  deliveryStatus: (typeof messages.$inferSelect)['deliveryStatus']
  /** Why a failed reply's email failed (the transport's answer); null unless it failed. */
  deliveryError: string | null
  /** Whether SendGrid may have accepted a failed reply's email (no answer); null unless it failed. */
  deliveryMaybeAccepted: boolean | null
  fromCustomer: boolean
  author: string
  hasHtml: boolean
  threadedBy: (typeof messages.$inferSelect)['threadedBy']
  notFromParticipant: boolean
  /** Mail software sent this inbound email on its own (an out-of-office reply). */
  automatic: boolean
  /**
   * The address a customer-side message came from (its contact's email: an inbound email's From),
   * shown beside the name, which the sender chose; null for the team's messages.
   */
  authorEmail: string | null
  attachments: Array<{ id: string; filename: string; contentType: string; size: number }>
  /** An inbound email's attachments that were not kept; null when none. */
  filesNotKept: (typeof messages.$inferSelect)['filesNotKept']
  /** The mailing list an inbound email came through (its label, '' when unnamed); null when none. */
  viaList: string | null
}

export type PageActivity = {
  id: string
  action: string
  data: unknown
  actorName: string | null
  createdAt: string
}

/** The `thread` column: one page, oldest → newest, with the counts around it. */
export type ThreadPageColumn = {
  /** Messages this agent sees on the ticket. */
  total: number
  /** The newest of them (the composer's collision check and the AI views need it on any page). */
  newestId: string | null
  /** Whether the page is the one before the cursor (else the newest page). */
  earlierPage: boolean
  /** Messages before the page's first. */
  earlier: number
  messages: PageThreadMessage[]
}

/**
 * Which page: the newest `newest` messages, or `earlier` messages before a cursor: the message
 * `beforeId` (the page before it), or the `afterNewest`-th newest (`?thread=all`, the page before
 * the newest page). A cursor that names no message this agent sees on this ticket (another
 * ticket's or workspace's, a teammate's held reply, a removed one) gives the newest page.
 */
export type ThreadPageRequest = {
  newest: number
  earlier: number
  cursor?: { beforeId: string } | { afterNewest: number }
}

/**
 * The page's CTEs, `cur` (the cursor's position), `page` (its messages, newest first) and
 * `earlier` (how many come before them), for a statement whose CTE `t` is the ticket. A
 * teammate's reply in its undo window may still be taken back: only its author sees it.
 */
export function threadPageCtes({
  workspaceId,
  userId,
  page,
}: {
  workspaceId: string
  userId: string
  page: ThreadPageRequest
}) {
  const seen = (m: SQL) =>
    sql`${m}.workspace_id = ${workspaceId} and ${m}.ticket_id = (select t.id from t)
      and (${m}.held_until is null or ${m}.author_user_id = ${userId})`
  const cursor = page.cursor
  const cur =
    cursor === undefined
      ? sql`select null::timestamptz as created_at, null::uuid as id where false`
      : 'beforeId' in cursor
        ? sql`select c.created_at, c.id from messages c where ${seen(sql`c`)} and c.id = ${cursor.beforeId}`
        : sql`select c.created_at, c.id from messages c where ${seen(sql`c`)}
            order by c.created_at desc, c.id desc offset ${cursor.afterNewest} limit 1`
  return sql`
    cur as (${cur}),
    page as (
      select m.id, m.kind, m.body_text, m.created_at, m.delivery_status, m.author_user_id,
        m.author_contact_id, m.body_html is not null as has_html, m.threaded_by, m.not_from_participant,
        m.files_not_kept, m.via_list, m.automatic
      from messages m
      where ${seen(sql`m`)}
        and (not exists (select 1 from cur) or (m.created_at, m.id) < (select cur.created_at, cur.id from cur))
      order by m.created_at desc, m.id desc
      limit (select case when exists (select 1 from cur) then ${page.earlier}::int else ${page.newest}::int end)),
    earlier as (
      select count(*)::int as n from messages e
      where ${seen(sql`e`)}
        and (e.created_at, e.id) < (select p.created_at, p.id from page p order by p.created_at, p.id limit 1))`
}

/** The `thread` column (ThreadPageColumn) of a statement with threadPageCtes. */
export function threadPageColumn({ workspaceId, userId }: { workspaceId: string; userId: string }) {
  return sql`(select json_build_object(
      'total', (select count(*) from messages mc
        where mc.workspace_id = ${workspaceId} and mc.ticket_id = t.id
          and (mc.held_until is null or mc.author_user_id = ${userId}))::int,
      'newestId', (select mn.id from messages mn
        where mn.workspace_id = ${workspaceId} and mn.ticket_id = t.id
          and (mn.held_until is null or mn.author_user_id = ${userId})
        order by mn.created_at desc, mn.id desc limit 1),
      'earlierPage', exists (select 1 from cur),
      'earlier', (select n from earlier),
      'messages', coalesce(json_agg(json_build_object(
        'id', m.id, 'kind', m.kind, 'bodyText', m.body_text, 'createdAt', ${iso(sql`m.created_at`)},
        'deliveryStatus', m.delivery_status,
        'deliveryError', case when m.delivery_status = 'failed' then (
          select e.error from emails e
          where e.message_id = m.id and e.workspace_id = ${workspaceId} and e.status = 'failed'
          order by e.created_at desc limit 1) end,
        'deliveryMaybeAccepted', case when m.delivery_status = 'failed' then (
          select e.maybe_accepted from emails e
          where e.message_id = m.id and e.workspace_id = ${workspaceId} and e.status = 'failed'
          order by e.created_at desc limit 1) end,
        'fromCustomer', m.author_user_id is null,
        'author', coalesce(u.name, case when coalesce(ac.name, '') <> '' then ac.name else ac.email end, 'Unknown'),
        'authorEmail', case when m.author_user_id is null then ac.email end,
        'hasHtml', m.has_html, 'threadedBy', m.threaded_by, 'notFromParticipant', m.not_from_participant,
        'filesNotKept', m.files_not_kept, 'viaList', m.via_list, 'automatic', m.automatic,
        'attachments', coalesce((
          select json_agg(json_build_object(
            'id', a.id, 'filename', a.filename, 'contentType', a.content_type, 'size', a.size) order by a.id)
          from attachments a where a.message_id = m.id and a.workspace_id = ${workspaceId}), '[]'::json)
      ) order by m.created_at, m.id), '[]'::json))
    from page m
    left join users u on u.id = m.author_user_id
    left join contacts ac on ac.id = m.author_contact_id) as thread`
}

/**
 * The `activity` column: the field changes the thread does not show itself (status, priority,
 * assignee, tags, opening; a customer reply only when it reopened the ticket) among the page's
 * messages: from its first message (from the start when none is earlier) to the cursor (the
 * newest page: to now), the newest `limit`.
 */
export function threadActivityColumn({ workspaceId, limit }: { workspaceId: string; limit: number }) {
  return sql`(select coalesce(json_agg(json_build_object(
      'id', ae.id, 'action', ae.action, 'data', ae.data, 'actorName', u.name,
      'createdAt', ${iso(sql`ae.created_at`)}) order by ae.created_at desc), '[]'::json)
    from (
      select ae.id, ae.action, ae.data, ae.created_at, ae.actor_user_id from audit_events ae
      where ae.workspace_id = ${workspaceId} and ae.target_id = t.id::text
        and (ae.action not like 'message.%'
          or (ae.action = 'message.customer-replied' and ae.data ? 'reopenedFrom'))
        and ae.created_at >= case when (select n from earlier) = 0 then '-infinity'
          else (select min(p.created_at) from page p) end
        and (not exists (select 1 from cur) or ae.created_at < (select cur.created_at from cur))
      order by ae.created_at desc
      limit ${limit}) ae
    left join users u on u.id = ae.actor_user_id) as activity`
}

/**
 * One page of the thread of ticket `number` for `userId` ("Show N earlier messages" with
 * JavaScript), with its field changes; undefined when the workspace has no such ticket. Nothing
 * is written (opening the ticket page marked it read).
 */
export async function getThreadPage(
  db: DbOrTx,
  params: {
    workspaceId: string
    number: number
    userId: string
    page: ThreadPageRequest
    activityLimit: number
  },
) {
  const { workspaceId, userId } = params
  const result = await executePrepared<{ id: string; thread: ThreadPageColumn; activity: PageActivity[] }>(
    db,
    sql`
    with t as (select t.id from tickets t where t.workspace_id = ${workspaceId} and t.number = ${params.number}),
    ${threadPageCtes({ workspaceId, userId, page: params.page })}
    select t.id, ${threadPageColumn({ workspaceId, userId })},
      ${threadActivityColumn({ workspaceId, limit: params.activityLimit })}
    from t`,
  )
  return result.rows[0]
}
