import { sql } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.ts'
import { asAnotherRequest } from '#db/pool.ts'
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
  let pid = 0
  const done = getDb().transaction(async (tx) => {
    const backend = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`)
    pid = backend.rows[0].pid
    await work(tx)
    opened()
    await gate
  })
  await Promise.race([ready, done])
  return {
    /** The held transaction's PostgreSQL backend: what `lockWaiters` counts the sessions behind. */
    pid,
    /** Lets the held transaction commit, and waits until it has. */
    async commit() {
      commit()
      await done
    },
  }
}

/**
 * Waits until `count` sessions wait, directly or in a queue, for a lock the `held` transaction
 * holds. Only those: counting every session of the file's database that waited for any lock let
 * something else's wait (a background job of an earlier test) pass for the operation under test,
 * and the held transaction committed before that operation reached its lock (a CI failure of
 * ai-insights-http: the click then won the claim instead of waiting on it).
 */
export async function lockWaiters(count: number, held: { pid: number }) {
  await until(
    async () => {
      // Behind it directly, or behind one that waits for it (a queue for the same row). An
      // observer from outside: often called inside the held transaction's callback.
      const result = await asAnotherRequest(() =>
        getDb().execute<{ n: number }>(sql`
        with recursive behind(pid) as (
          select pid from pg_stat_activity where ${held.pid}::int = any(pg_blocking_pids(pid))
          union
          select a.pid from pg_stat_activity a join behind b on b.pid = any(pg_blocking_pids(a.pid))
        )
        select count(*)::int as n from behind`),
      )
      return result.rows[0]!.n
    },
    (n) => n >= count,
    3_000,
  )
}
