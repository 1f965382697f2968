import { eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import { tickets, workspaces } from '../schema.ts'

// What an outgoing reply's threading reads and writes: the ticket's reply token (Reply-To),
// the Message-IDs of its earlier emails (References) and the public messages quoted below it.

export async function setTicketReplyToken(
  db: DbOrTx,
  { ticketId, token }: { ticketId: string; token: string },
) {
  await db.update(tickets).set({ replyToken: token }).where(eq(tickets.id, ticketId))
}

export async function getWorkspaceSlug(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const [row] = await db
    .select({ slug: workspaces.slug })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
  return row?.slug
}

/**
 * What an agent reply's email threads with, in one statement: the Message-IDs of the ticket's
 * other emails (newest first, `referencesLimit`, with whether the customer wrote each) and its
 * last `quotedLimit` public replies before `message` with their authors (newest first).
 */
export async function getReplyThreadContext(
  db: DbOrTx,
  {
    ticketId,
    message,
    referencesLimit,
    quotedLimit,
  }: {
    ticketId: string
    message: { id: string; createdAt: Date }
    referencesLimit: number
    quotedLimit: number
  },
) {
  const result = await executePrepared<{
    emailed: Array<{ emailMessageId: string; fromCustomer: boolean }>
    quoted: Array<{
      bodyText: string
      createdAt: string
      userName: string | null
      contactName: string | null
      contactEmail: string | null
    }>
  }>(
    db,
    sql`
    select
      (select coalesce(json_agg(json_build_object('emailMessageId', e.email_message_id, 'fromCustomer', e.from_customer)
          order by e.created_at desc, e.id desc), '[]'::json)
        from (select m.id, m.created_at, m.email_message_id, m.author_user_id is null as from_customer
          from messages m
          where m.ticket_id = ${ticketId} and m.email_message_id is not null and m.id <> ${message.id}
          order by m.created_at desc, m.id desc limit ${referencesLimit}) e) as emailed,
      (select coalesce(json_agg(json_build_object('bodyText', q.body_text, 'createdAt', q.created_at,
            'userName', q.user_name, 'contactName', q.contact_name, 'contactEmail', q.contact_email)
          order by q.created_at desc, q.id desc), '[]'::json)
        from (select m.id, m.created_at, m.body_text, u.name as user_name, c.name as contact_name, c.email as contact_email
          from messages m
          left join users u on u.id = m.author_user_id
          left join contacts c on c.id = m.author_contact_id
          where m.ticket_id = ${ticketId} and m.kind = 'reply'
            and (m.created_at, m.id) < (${message.createdAt}::timestamptz, ${message.id}::uuid)
          order by m.created_at desc, m.id desc limit ${quotedLimit}) q) as quoted`,
  )
  const row = result.rows[0]!
  return {
    emailed: row.emailed,
    quoted: row.quoted.map((q) => ({ ...q, createdAt: new Date(q.createdAt) })),
  }
}
