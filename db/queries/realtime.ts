import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { ticketChangedAt } from './ticket-page.ts'

/** The ticket's workspace (and when it last changed), only when the user is a member of it. */
export async function ticketForMember(
  db: DbOrTx,
  { userId, ticketId }: { userId: string; ticketId: string },
) {
  const result = await db.execute<{ workspace_id: string; number: number; changed_at: string }>(sql`
    select t.workspace_id, t.number, ${ticketChangedAt(sql`t`)} as changed_at from tickets t
    join memberships m on m.workspace_id = t.workspace_id and m.user_id = ${userId}
    where t.id = ${ticketId}`)
  const row = result.rows[0]
  return row ? { workspaceId: row.workspace_id, number: row.number, changedAt: row.changed_at } : undefined
}
