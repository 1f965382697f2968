import { and, asc, eq, gt, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import { contacts, customerLinks, mailboxes, messages, tickets, users, workspaces } from '../schema.ts'

// Messages on a ticket: the agent's reply or note and the customer's reply (app/domain/messages.server.ts
// opens the transaction and passes `tx`). The thread's reads are in tickets.ts.

/**
 * Messages with who wrote them: the agent's name, or the customer's name and email (the collision
 * check's list and the quoted history below an emailed reply). The caller adds where and order.
 */
export function selectMessagesWithAuthors(db: DbOrTx) {
  return db
    .select({
      id: messages.id,
      kind: messages.kind,
      bodyText: messages.bodyText,
      createdAt: messages.createdAt,
      userName: users.name,
      contactName: contacts.name,
      contactEmail: contacts.email,
    })
    .from(messages)
    .leftJoin(users, eq(users.id, messages.authorUserId))
    .leftJoin(contacts, eq(contacts.id, messages.authorContactId))
}

/**
 * Messages of the ticket newer than `messageId` (oldest first) with their authors; none when that
 * message is not on the ticket (the comparison with no row is null). One statement.
 */
export async function listMessagesSince(
  db: DbOrTx,
  { ticketId, messageId }: { ticketId: string; messageId: string },
) {
  return (
    selectMessagesWithAuthors(db)
      // Row comparison with the id (UUIDv7) as tie-breaker: a message in the same millisecond counts.
      .where(
        and(
          eq(messages.ticketId, ticketId),
          sql`(${messages.createdAt}, ${messages.id}) > (select m.created_at, m.id from messages m
            where m.id = ${messageId} and m.ticket_id = ${ticketId})`,
        ),
      )
      .orderBy(asc(messages.createdAt))
  )
}

/**
 * The ticket an agent replies to, by number, locked FOR UPDATE (the ticket row only), with what
 * the reply and its email need that no concurrent message changes: the contact's address, the
 * ticket's mailbox (same workspace), the workspace's slug, and the replying agent's undo-send
 * delay and signature. One statement.
 */
export async function lockTicketForReply(
  db: DbOrTx,
  { workspaceId, number, userId }: { workspaceId: string; number: number; userId: string },
) {
  const [row] = await db
    .select({
      id: tickets.id,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      resolvedAt: tickets.resolvedAt,
      firstResponseAt: tickets.firstResponseAt,
      mailboxId: tickets.mailboxId,
      threadMessageId: tickets.threadMessageId,
      replyToken: tickets.replyToken,
      cc: tickets.cc,
      contactEmail: contacts.email,
      mailboxKey: mailboxes.key,
      mailboxAddress: mailboxes.address,
      mailboxFromName: mailboxes.fromName,
      mailboxSignature: mailboxes.signature,
      workspaceSlug: sql<string>`(select w.slug from workspaces w where w.id = ${tickets.workspaceId})`,
      undoSendSeconds: sql<number>`coalesce((select u.undo_send_seconds from users u where u.id = ${userId}), 0)`,
      authorSignature: sql<string>`coalesce((select u.signature from users u where u.id = ${userId}), '')`,
    })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .innerJoin(
      mailboxes,
      and(eq(mailboxes.id, tickets.mailboxId), eq(mailboxes.workspaceId, tickets.workspaceId)),
    )
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.number, number)))
    .for('update', { of: tickets })
  return row
}

/**
 * After an agent's reply, in its transaction, one statement: the agent's read marker moves to
 * now and their saved draft of the ticket is deleted (it has done its job).
 */
export async function markReadAndClearDraft(
  db: DbOrTx,
  { workspaceId, ticketId, userId }: { workspaceId: string; ticketId: string; userId: string },
) {
  await executePrepared(
    db,
    sql`
    with read as (
      insert into ticket_reads (user_id, ticket_id, read_at) values (${userId}, ${ticketId}, ${new Date()})
      on conflict (user_id, ticket_id) do update set read_at = excluded.read_at)
    delete from drafts where workspace_id = ${workspaceId} and ticket_id = ${ticketId} and user_id = ${userId}`,
  )
}

/** The ticket a customer replies to, locked FOR UPDATE, with whether its assignee is still a member. */
export async function lockTicketForCustomerReply(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [row] = await db
    .select({
      number: tickets.number,
      status: tickets.status,
      resolvedAt: tickets.resolvedAt,
      assigneeId: tickets.assigneeId,
      // A removed member can stay assignee; they must not be notified about this workspace.
      assigneeIsMember: sql<boolean>`exists (select 1 from memberships m
          where m.workspace_id = ${tickets.workspaceId} and m.user_id = ${tickets.assigneeId})`,
    })
    .from(tickets)
    .where(and(eq(tickets.id, ticketId), eq(tickets.workspaceId, workspaceId)))
    .for('update')
  return row
}

/**
 * A new message on the ticket: sets the given fields, counts the message and appends its body to
 * the search document, bounded so it never exceeds PostgreSQL's limit.
 */
export async function recordTicketMessage(
  db: DbOrTx,
  { ticketId, body, set }: { ticketId: string; body: string; set: Partial<typeof tickets.$inferInsert> },
) {
  await db
    .update(tickets)
    .set({
      ...set,
      messageCount: sql`${tickets.messageCount} + 1`,
      search: sql`case when pg_column_size(${tickets.search}) < 600000
    then ${tickets.search} || setweight(to_tsvector('english', left(${body}, 200000)), 'B')
    else ${tickets.search} end`,
    })
    .where(eq(tickets.id, ticketId))
}

/** The ticket behind a customer's private link (by the token's hash), unless the link expired. */
export async function findTicketByCustomerTokenHash(db: DbOrTx, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
    .select({
      ticketId: tickets.id,
      workspaceId: tickets.workspaceId,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      createdAt: tickets.createdAt,
      contactId: tickets.contactId,
      contactName: contacts.name,
      workspaceName: workspaces.name,
    })
    .from(customerLinks)
    .innerJoin(tickets, eq(tickets.id, customerLinks.ticketId))
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .innerJoin(workspaces, eq(workspaces.id, tickets.workspaceId))
    .where(and(eq(customerLinks.tokenHash, tokenHash), gt(customerLinks.expiresAt, new Date())))
  return row
}
