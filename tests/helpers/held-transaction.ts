import { sql } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.ts'
import { until } from './wait.ts'

/**
 * Races made deterministic: a teammate's change runs in a real transaction that stays open (its
 * row locks held) until `commit()`, so a test can start the operation under test, wait until
 * PostgreSQL shows it blocked (`lockWaiters`), and only then let the teammate's change commit.
 * An operation that read the rows before taking their lock then acts on a value that is gone.
 */
export async function holdTransaction(work: (tx: Tx) => Promise<unknown>) {
  let commit!: () => void
  const gate = new Promise<void>((resolve) => (commit = resolve))
  let opened!: () => void
  const ready = new Promise<void>((resolve) => (opened = resolve))
  const done = getDb().transaction(async (tx) => {
    await work(tx)
    opened()
    await gate
  })
  await Promise.race([ready, done])
  return {
    /** Lets the held transaction commit, and waits until it has. */
    async commit() {
      commit()
      await done
    },
  }
}

/** Waits until `count` sessions of this test file's database are waiting for a lock. */
export async function lockWaiters(count: number) {
  await until(
    async () => {
      const result = await getDb().execute<{ n: number }>(sql`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`)
      return result.rows[0].n
    },
    (n) => n >= count,
    3_000,
  )
}
