import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'

/**
 * What each row of a queue page shows besides the ticket's own columns, for one page of ids (a
 * few index lookups per ticket): the last message visible to the customer (internal notes and
 * replies still in their undo window are skipped), when the customer's unanswered message
 * arrived, how many messages the ticket has, whether any carries a file, and the mailbox.
 */
export async function listQueueRowDetails(
  db: DbOrTx,
  { workspaceId, ticketIds }: { workspaceId: string; ticketIds: string[] },
) {
  if (ticketIds.length === 0) return []
  const result = await db.execute<{
    id: string
    mailbox_name: string
    preview: string | null
    preview_from_agent: boolean | null
    waiting_since: string | null
    message_count: number
    has_attachments: boolean
  }>(sql`
    select t.id, mb.name as mailbox_name,
      last.preview, last.from_agent as preview_from_agent,
      case when t.status in ('open', 'pending') and t.last_customer_message_at is not null
             and not exists (select 1 from messages r where r.ticket_id = t.id and r.kind = 'reply'
                             and r.author_user_id is not null and r.held_until is null
                             and r.created_at > t.last_customer_message_at)
           then t.last_customer_message_at end as waiting_since,
      (select count(*)::int from messages m where m.ticket_id = t.id and m.held_until is null) as message_count,
      exists (select 1 from messages m join attachments a on a.message_id = m.id
              where m.ticket_id = t.id and m.held_until is null) as has_attachments
    from tickets t
    join mailboxes mb on mb.id = t.mailbox_id
    left join lateral (
      select left(m.body_text, 600) as preview, m.author_user_id is not null as from_agent
      from messages m
      where m.ticket_id = t.id and m.kind = 'reply' and m.held_until is null
      order by m.created_at desc, m.id desc
      limit 1
    ) last on true
    where t.workspace_id = ${workspaceId} and t.id in (${sql.join(
      ticketIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`)
  return result.rows.map((row) => ({
    id: row.id,
    mailboxName: row.mailbox_name,
    preview: row.preview,
    previewFromAgent: Boolean(row.preview_from_agent),
    waitingSince: row.waiting_since ? new Date(row.waiting_since) : null,
    messageCount: Number(row.message_count),
    hasAttachments: row.has_attachments,
  }))
}
