import { and, count, eq } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import { getDb } from '#db/client.ts'
import { auditEvents } from '#db/schema.ts'

/**
 * How many rows each table holds, keyed as given: take it before and after a refused request
 * to assert that nothing was written.
 */
export async function rowCounts<T extends Record<string, PgTable>>(
  tables: T,
): Promise<{ [K in keyof T]: number }> {
  const db = getDb()
  const entries = await Promise.all(
    Object.entries(tables).map(async ([name, table]) => {
      const [row] = await db.select({ n: count() }).from(table)
      return [name, row.n] as const
    }),
  )
  return Object.fromEntries(entries) as { [K in keyof T]: number }
}

/** A workspace's audit rows for one action: who did it, to what, with which data. */
export function auditFor(workspaceId: string, action: string) {
  return getDb()
    .select({ actorUserId: auditEvents.actorUserId, targetId: auditEvents.targetId, data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.workspaceId, workspaceId), eq(auditEvents.action, action)))
}
