import { and, count, eq } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import pg from 'pg'
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

/**
 * What `run` returned and how many rows PostgreSQL returned to this process meanwhile (every
 * client's queries, pool and transactions alike), and their size as JSON in bytes (a statement
 * that builds its answer as JSON, such as the ticket page's, returns one row however much it
 * read): a request's reads must not grow with a thread.
 */
export async function rowsReturnedBy<T>(run: () => Promise<T>) {
  let rows = 0
  let bytes = 0
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
    const count = (r: { rows?: unknown[] } | undefined) => {
      rows += r?.rows?.length ?? 0
      bytes += r?.rows ? Buffer.byteLength(JSON.stringify(r.rows)) : 0
    }
    // pool.query() passes a callback; transactions await the promise.
    const last = args.length - 1
    const callback = args[last]
    if (typeof callback === 'function') {
      args[last] = (error: unknown, r: { rows?: unknown[] }) => {
        count(r)
        ;(callback as (e: unknown, r: unknown) => void)(error, r)
      }
    }
    const result = (query as (...a: unknown[]) => unknown).apply(this, args)
    if (result instanceof Promise) void result.then(count).catch(() => {})
    return result
  } as typeof query
  try {
    const value = await run()
    return { value, rows, bytes }
  } finally {
    pg.Client.prototype.query = query
  }
}
