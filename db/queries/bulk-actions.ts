import { and, eq, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { auditEvents, users } from '../schema.ts'

// A bulk action's undo record is its audit row ('tickets.bulk-changed', target type 'bulk', the
// batch id as target id): it holds what each affected ticket had before. Its undo writes
// 'tickets.bulk-undone' with the same target id, which is also what makes a second undo a no-op.

export const BULK_CHANGED = 'tickets.bulk-changed'
export const BULK_UNDONE = 'tickets.bulk-undone'

/** Serializes undos of one batch (two clicks, two tabs) for the rest of the transaction. */
export async function lockBulkBatch(db: DbOrTx, { batchId }: { batchId: string }) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`bulk-undo:${batchId}`}, 0))`)
}

/** The batch's record and, when it was undone, the undo's record; within the workspace. */
export async function getBulkBatch(
  db: DbOrTx,
  { workspaceId, batchId }: { workspaceId: string; batchId: string },
) {
  const rows = await db
    .select({
      action: auditEvents.action,
      actorUserId: auditEvents.actorUserId,
      data: auditEvents.data,
      createdAt: auditEvents.createdAt,
    })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.workspaceId, workspaceId),
        eq(auditEvents.targetType, 'bulk'),
        eq(auditEvents.targetId, batchId),
        inArray(auditEvents.action, [BULK_CHANGED, BULK_UNDONE]),
      ),
    )
  return {
    changed: rows.find((r) => r.action === BULK_CHANGED),
    undone: rows.find((r) => r.action === BULK_UNDONE),
  }
}

/** A user's display name (the toast names the teammate tickets were assigned to). */
export async function getUserName(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db.select({ name: users.name }).from(users).where(eq(users.id, userId))
  return row?.name
}
