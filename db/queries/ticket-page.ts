import { sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import { ticketAiStateColumns, ticketAiStateFrom, type TicketAiStateRow } from './ai-assist.ts'
import { customerCardColumn, type CustomerCardRow } from './contacts.ts'
import { composerStateColumns, composerStateFrom, type ComposerStateRow } from './drafts.ts'
import type { tickets } from '../schema.ts'
import {
  iso,
  threadActivityColumn,
  threadPageColumn,
  threadPageCtes,
  type PageActivity,
  type ThreadPageColumn,
  type ThreadPageRequest,
} from './ticket-thread.ts'

// The ticket page's reads in one statement (one round trip, one plan per connection): the ticket by
// its number with its contact and mailbox, a page of the thread (ticket-thread.ts) as JSON built
// by PostgreSQL, the pick lists, the field changes among those messages, the AI state, the composer
// state, the customer card, and the viewer's read marker (a conditional insert in the same
// statement). Every part is filtered by the workspace; no row means no such ticket there.

type TicketRow = typeof tickets.$inferSelect

/**
 * When the ticket last changed, fields or thread (`greatest` of its `updated_at` and
 * `last_activity_at`), as an ISO text: the page reads it, and a socket's `ticket:join` answers it,
 * so a page whose socket connected after a change it never heard of reloads (use-presence.ts).
 */
export const ticketChangedAt = (t: SQL) => iso(sql`greatest(${t}.updated_at, ${t}.last_activity_at)`)

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
  /**
   * The mailing list the customer's latest message came through (messages.via_list; '' for an
   * unnamed one), null when it came through none: an agent's reply goes to the customer only.
   */
  latestCustomerViaList: string | null
  thread: ThreadPageColumn
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
 * ticket. `page`: which page of the thread (the newest messages, or those before a cursor; the
 * earlier ones are only counted); the field changes are those among them, `activityLimit` at
 * most. Marks the ticket read for `userId` at `readAt` when it had activity since their marker.
 */
export async function getTicketPage(
  db: DbOrTx,
  params: {
    workspaceId: string
    number: number
    userId: string
    language: string
    page: ThreadPageRequest
    activityLimit: number
    othersLimit: number
    readAt: Date
  },
) {
  const { workspaceId, number, userId } = params
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
    ),
    ${threadPageCtes({ workspaceId, userId, page: params.page })}
    select t.id, t.number, t.subject, t.status, t.priority, t.channel, t.assignee_id as "assigneeId",
      ${iso(sql`t.created_at`)} as "createdAt", ${ticketChangedAt(sql`t`)} as "changedAt",
      t.contact_name as "contactName",
      t.contact_email as "contactEmail", t.mailbox_name as "mailboxName",
      t.mailbox_address as "mailboxAddress", t.cc,
      (select lm.via_list from messages lm
        where lm.workspace_id = ${workspaceId} and lm.ticket_id = t.id and lm.kind = 'reply'
          and lm.author_user_id is null and lm.author_contact_id is not null
        order by lm.created_at desc, lm.id desc limit 1) as "latestCustomerViaList",
      ${threadPageColumn({ workspaceId, userId })},
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
      ${threadActivityColumn({ workspaceId, limit: params.activityLimit })},
      ${ticketAiStateColumns({ workspaceId, ticketId, language: params.language })},
      ${composerStateColumns({ workspaceId, ticketId, userId })},
      ${customerCardColumn({ ticketId, othersLimit: params.othersLimit })} as customer
    from t`,
  )
  const row = result.rows[0]
  if (!row) return undefined
  return { ...row, ai: ticketAiStateFrom(row), composer: composerStateFrom(row) }
}
