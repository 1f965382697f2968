import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { auditEvents } from '../schema.ts'

export type AuditEventValues = {
  workspaceId: string | null
  actorUserId: string | null
  action: string
  targetType: string
  targetId?: string | null
  data?: Record<string, unknown>
}

/**
 * Stamped when the row is written (`clock_timestamp()`), not when its transaction began (the
 * column's default, `now()`): a change audits after it has locked what it changes, so this time
 * orders concurrent changes as they were applied. A transaction that began first and waited for
 * a teammate's change sorted before it, and the ticket's activity showed the older value newest.
 */
export async function insertAuditEvent(db: DbOrTx, entry: AuditEventValues) {
  await db.insert(auditEvents).values({
    ...entry,
    targetId: entry.targetId ?? null,
    data: entry.data ?? {},
    createdAt: sql`clock_timestamp()`,
  })
}
