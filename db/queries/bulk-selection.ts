import { and, eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { tickets } from '../schema.ts'

/** Number and subject of these tickets of the workspace, by number (a confirmation names them). */
export async function listTicketSubjects(
  db: DbOrTx,
  { workspaceId, ticketIds }: { workspaceId: string; ticketIds: string[] },
) {
  if (ticketIds.length === 0) return []
  return db
    .select({ id: tickets.id, number: tickets.number, subject: tickets.subject })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), inArray(tickets.id, ticketIds)))
    .orderBy(tickets.number)
}
