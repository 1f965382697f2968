import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { mailboxes, messages, tickets, workspaces } from '../schema.ts'

// Where an inbound email goes: by a reply token, a forwarding address, a mailbox's public
// address, and the ticket its In-Reply-To / References name.

const routeColumns = {
  workspaceId: workspaces.id,
  workspaceSlug: workspaces.slug,
  mailboxId: mailboxes.id,
  mailboxAddress: mailboxes.address,
}

/** The ticket with this reply token, with its workspace and mailbox. */
export async function findRouteByReplyToken(db: DbOrTx, { token }: { token: string }) {
  const [row] = await db
    .select({ ticketId: tickets.id, ...routeColumns })
    .from(tickets)
    .innerJoin(workspaces, eq(workspaces.id, tickets.workspaceId))
    .innerJoin(mailboxes, eq(mailboxes.id, tickets.mailboxId))
    .where(eq(tickets.replyToken, token))
  return row
}

/** The active mailbox of the forwarding address `<slug>.<key>@…`. */
export async function findRouteByForwardingAddress(db: DbOrTx, { slug, key }: { slug: string; key: string }) {
  const [row] = await db
    .select(routeColumns)
    .from(mailboxes)
    .innerJoin(workspaces, eq(workspaces.id, mailboxes.workspaceId))
    .where(and(eq(workspaces.slug, slug), eq(mailboxes.key, key), isNull(mailboxes.archivedAt)))
  return row
}

/** Active mailboxes whose public address is `address` (lower case), at most `limit`. */
export async function listRoutesByPublicAddress(
  db: DbOrTx,
  { address, limit }: { address: string; limit: number },
) {
  return db
    .select(routeColumns)
    .from(mailboxes)
    .innerJoin(workspaces, eq(workspaces.id, mailboxes.workspaceId))
    .where(and(sql`lower(${mailboxes.address}) = ${address}`, isNull(mailboxes.archivedAt)))
    .limit(limit)
}

/** The workspace's messages and ticket roots carrying any of these Message-IDs. */
export async function findTicketsByMessageIds(
  db: DbOrTx,
  { workspaceId, messageIds }: { workspaceId: string; messageIds: string[] },
) {
  const found = await db
    .select({ ticketId: messages.ticketId, messageId: messages.emailMessageId })
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.emailMessageId, messageIds)))
  const roots = await db
    .select({ ticketId: tickets.id, messageId: tickets.threadMessageId })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), inArray(tickets.threadMessageId, messageIds)))
  return { found, roots }
}
