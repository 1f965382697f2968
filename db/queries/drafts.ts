import { and, desc, eq, inArray, ne } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { drafts, tickets, users } from '../schema.ts'

export type DraftValues = { body: string; kind: 'reply' | 'note' }

/** The ticket's id by number, within the workspace, or undefined. */
export async function ticketIdByNumber(
  db: DbOrTx,
  { workspaceId, number }: { workspaceId: string; number: number },
) {
  const [row] = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.number, number)))
  return row?.id
}

/** One draft per ticket and agent: the newest text replaces the stored one. */
export async function upsertDraft(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    userId,
    body,
    kind,
  }: { workspaceId: string; ticketId: string; userId: string } & DraftValues,
) {
  const updatedAt = new Date()
  await db
    .insert(drafts)
    .values({ workspaceId, ticketId, userId, body, kind, updatedAt })
    .onConflictDoUpdate({
      target: [drafts.ticketId, drafts.userId],
      set: { body, kind, updatedAt },
    })
}

export async function deleteDraft(
  db: DbOrTx,
  key: { workspaceId: string; ticketId: string; userId: string },
) {
  await db
    .delete(drafts)
    .where(
      and(
        eq(drafts.workspaceId, key.workspaceId),
        eq(drafts.ticketId, key.ticketId),
        eq(drafts.userId, key.userId),
      ),
    )
}

/** Every draft on the ticket, newest first, with its author's name. */
export async function listTicketDrafts(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  return db
    .select({
      userId: drafts.userId,
      name: users.name,
      body: drafts.body,
      kind: drafts.kind,
      updatedAt: drafts.updatedAt,
    })
    .from(drafts)
    .innerJoin(users, eq(users.id, drafts.userId))
    .where(and(eq(drafts.workspaceId, workspaceId), eq(drafts.ticketId, ticketId), ne(drafts.body, '')))
    .orderBy(desc(drafts.updatedAt))
}

/** Which of these tickets the agent has a draft on (the queue's markers). */
export async function ticketsWithDraft(
  db: DbOrTx,
  { workspaceId, userId, ticketIds }: { workspaceId: string; userId: string; ticketIds: string[] },
) {
  if (ticketIds.length === 0) return []
  const rows = await db
    .select({ ticketId: drafts.ticketId })
    .from(drafts)
    .where(
      and(
        eq(drafts.workspaceId, workspaceId),
        eq(drafts.userId, userId),
        inArray(drafts.ticketId, ticketIds),
      ),
    )
  return rows.map((r) => r.ticketId)
}
