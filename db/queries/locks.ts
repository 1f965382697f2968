import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'

/**
 * Serializes the transactions that take the same key until they end (a transaction-level
 * advisory lock): for "check there is none, then insert" rules that no unique index states, such
 * as one canned response per title in a workspace.
 */
export async function lockKeyForTransaction(db: DbOrTx, key: string) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`)
}
