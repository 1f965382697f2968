import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import { ticketAiStateColumns, ticketAiStateFrom, type TicketAiStateRow } from './ai-assist.ts'
import { customerCardColumn, type CustomerCardRow } from './contacts.ts'
import { composerStateColumns, composerStateFrom, type ComposerStateRow } from './drafts.ts'
import type { messages, tickets } from '../schema.ts'

// The ticket page's reads in one statement (one round trip, one plan per connection): the ticket by
// its number with its contact and mailbox, the thread's newest messages as JSON built by
// PostgreSQL, the pick lists, the field changes among those messages, the AI state, the composer
// state, the customer card, and the viewer's read marker (a conditional insert in the same
// statement). Every part is filtered by the workspace; no row means no such ticket there.

/** A timestamp as `Date#toISOString()` writes it, so the page needs no Date objects. */
const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

type TicketRow = typeof tickets.$inferSelect

/**
 * When the ticket last changed, fields or thread (`greatest` of its `updated_at` and
 * `last_activity_at`), as an ISO text: the page reads it, and a socket's `ticket:join` answers it,
 * so a page whose socket connected after a change it never heard of reloads (use-presence.ts).
 */
export const ticketChangedAt = (t: SQL) => iso(sql`greatest(${t}.updated_at, ${t}.last_activity_at)`)

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
  attachments: Array<{ id: string; filename: string; contentType: string; size: number }>
}

export type PageActivity = {
  id: string
  action: string
  data: unknown
  actorName: string | null
  createdAt: string
}

type TicketPageRow = {
  id: string
  number: number
  subject: string
  status: TicketRow['status']
  priority: TicketRow['priority']
  channel: TicketRow['channel']
  assigneeId: string | null
  createdAt: string
  /** When the ticket or its thread last changed (ticketChangedAt): what a live join compares. */
  changedAt: string
  contactName: string
  contactEmail: string
  mailboxName: string
  mailboxAddress: string
  cc: string[]
  thread: { total: number; messages: PageThreadMessage[] }
  lists: {
    tags: Array<{ id: string; name: string; onTicket: boolean }>
    members: Array<{ userId: string; name: string }>
    canned: Array<{ id: string; title: string; body: string }>
  }
  activity: PageActivity[]
  customer: CustomerCardRow
} & TicketAiStateRow &
  ComposerStateRow

/**
 * The ticket page of ticket `number` for `userId`, or undefined when the workspace has no such
 * ticket. `newest`: how many of the newest messages (the earlier ones are only counted); the field
 * changes are those since the oldest of them, `activityLimit` at most. Marks the ticket read for
 * `userId` at `readAt` when it had activity since their marker.
 */
export async function getTicketPage(
  db: DbOrTx,
  params: {
    workspaceId: string
    number: number
    userId: string
    language: string
    newest: number
    activityLimit: number
    othersLimit: number
    readAt: Date
  },
) {
  const { workspaceId, number, userId, newest } = params
  const ticketId = sql`t.id`
  const result = await executePrepared<TicketPageRow>(
    db,
    sql`
    with t as (
      select t.id, t.number, t.subject, t.status, t.priority, t.channel, t.assignee_id,
        t.contact_id, t.workspace_id, t.created_at, t.last_activity_at, t.updated_at, t.cc,
        c.name as contact_name, c.email as contact_email, mb.name as mailbox_name, mb.address as mailbox_address
      from tickets t
      join contacts c on c.id = t.contact_id
      join mailboxes mb on mb.id = t.mailbox_id
      where t.workspace_id = ${workspaceId} and t.number = ${number}
    ),
    read_marker as (
      insert into ticket_reads (user_id, ticket_id, read_at)
      select ${userId}::uuid, t.id, ${params.readAt}::timestamptz from t
      where not exists (
        select 1 from ticket_reads r
        where r.user_id = ${userId} and r.ticket_id = t.id and r.read_at >= t.last_activity_at)
      on conflict (user_id, ticket_id) do update set read_at = excluded.read_at
    )
    select t.id, t.number, t.subject, t.status, t.priority, t.channel, t.assignee_id as "assigneeId",
      ${iso(sql`t.created_at`)} as "createdAt", ${ticketChangedAt(sql`t`)} as "changedAt",
      t.contact_name as "contactName",
      t.contact_email as "contactEmail", t.mailbox_name as "mailboxName",
      t.mailbox_address as "mailboxAddress", t.cc,
      (select json_build_object(
          'total', (select count(*) from messages mc
            where mc.workspace_id = ${workspaceId} and mc.ticket_id = t.id
              and (mc.held_until is null or mc.author_user_id = ${userId}))::int,
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
            'hasHtml', m.has_html, 'threadedBy', m.threaded_by, 'notFromParticipant', m.not_from_participant,
            'attachments', coalesce((
              select json_agg(json_build_object(
                'id', a.id, 'filename', a.filename, 'contentType', a.content_type, 'size', a.size) order by a.id)
              from attachments a where a.message_id = m.id and a.workspace_id = ${workspaceId}), '[]'::json)
          ) order by m.created_at, m.id), '[]'::json))
        from (
          select m.id, m.kind, m.body_text, m.created_at, m.delivery_status, m.author_user_id,
            m.author_contact_id, m.body_html is not null as has_html, m.threaded_by, m.not_from_participant
          from messages m
          -- A teammate's reply in its undo window may still be taken back: only its author sees it.
          where m.workspace_id = ${workspaceId} and m.ticket_id = t.id
            and (m.held_until is null or m.author_user_id = ${userId})
          order by m.created_at desc, m.id desc
          limit ${newest}) m
        left join users u on u.id = m.author_user_id
        left join contacts ac on ac.id = m.author_contact_id) as thread,
      (select json_build_object(
        'tags', (select coalesce(json_agg(json_build_object('id', tg.id, 'name', tg.name, 'onTicket', exists (
            select 1 from ticket_tags tt where tt.ticket_id = t.id and tt.tag_id = tg.id))
          order by tg.name), '[]'::json)
          from tags tg where tg.workspace_id = ${workspaceId}),
        'members', (select coalesce(json_agg(json_build_object('userId', u.id, 'name', u.name) order by u.name), '[]'::json)
          from memberships ms join users u on u.id = ms.user_id where ms.workspace_id = ${workspaceId}),
        'canned', (select coalesce(json_agg(json_build_object('id', cr.id, 'title', cr.title, 'body', cr.body)
            order by cr.title), '[]'::json)
          from canned_responses cr where cr.workspace_id = ${workspaceId}))) as lists,
      -- The field changes the thread does not show itself (status, priority, assignee, tags,
      -- opening; a customer reply only when it reopened the ticket), since the oldest message shown.
      (select coalesce(json_agg(json_build_object(
          'id', ae.id, 'action', ae.action, 'data', ae.data, 'actorName', u.name,
          'createdAt', ${iso(sql`ae.created_at`)}) order by ae.created_at desc), '[]'::json)
        from (
          select ae.id, ae.action, ae.data, ae.created_at, ae.actor_user_id from audit_events ae
          where ae.workspace_id = ${workspaceId} and ae.target_id = t.id::text
            and (ae.action not like 'message.%'
              or (ae.action = 'message.customer-replied' and ae.data ? 'reopenedFrom'))
            and ae.created_at >= coalesce((
              select m.created_at from messages m
              where m.workspace_id = ${workspaceId} and m.ticket_id = t.id
                and (m.held_until is null or m.author_user_id = ${userId})
              order by m.created_at desc, m.id desc
              offset ${newest - 1} limit 1), '-infinity')
          order by ae.created_at desc
          limit ${params.activityLimit}) ae
        left join users u on u.id = ae.actor_user_id) as activity,
      ${ticketAiStateColumns({ workspaceId, ticketId, language: params.language })},
      ${composerStateColumns({ workspaceId, ticketId, userId })},
      ${customerCardColumn({ ticketId, othersLimit: params.othersLimit })} as customer
    from t`,
  )
  const row = result.rows[0]
  if (!row) return undefined
  return { ...row, ai: ticketAiStateFrom(row), composer: composerStateFrom(row) }
}
