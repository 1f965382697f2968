import { and, desc, eq, isNotNull, lt, ne, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { messages, tickets, workspaces } from '../schema.ts'
import { selectMessagesWithAuthors } from './messages.ts'

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

/** The ticket's other messages that went by email, newest first, with whether the customer wrote them. */
export async function listEmailedMessageIds(
  db: DbOrTx,
  { ticketId, exceptMessageId, limit }: { ticketId: string; exceptMessageId: string; limit: number },
) {
  return db
    .select({
      emailMessageId: messages.emailMessageId,
      fromCustomer: sql<boolean>`${messages.authorUserId} is null`,
    })
    .from(messages)
    .where(
      and(
        eq(messages.ticketId, ticketId),
        isNotNull(messages.emailMessageId),
        ne(messages.id, exceptMessageId),
      ),
    )
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(limit)
}

/** The ticket's public replies before `message`, newest first, with their authors. */
export async function listRepliesBefore(
  db: DbOrTx,
  { ticketId, message, limit }: { ticketId: string; message: { id: string; createdAt: Date }; limit: number },
) {
  return selectMessagesWithAuthors(db)
    .where(
      and(
        eq(messages.ticketId, ticketId),
        eq(messages.kind, 'reply'),
        or(
          lt(messages.createdAt, message.createdAt),
          and(eq(messages.createdAt, message.createdAt), lt(messages.id, message.id)),
        ),
      ),
    )
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(limit)
}
