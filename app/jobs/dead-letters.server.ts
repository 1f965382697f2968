import { sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { DEAD_LETTER_QUEUE } from './queue.server.ts'

/** Counting stops here, so the query stays cheap however many pile up: the cap means "at least". */
export const DEAD_LETTER_COUNT_CAP = 10_000

/**
 * Jobs that exhausted their retries and wait in the dead-letter queue for an operator. Read
 * straight from pg-boss's table on the app pool (an index scan on the queue's live jobs,
 * stopped at the cap), so it needs no running queue. `null` when the database does not answer
 * within `budgetMs`: a missing count never fails a health check.
 */
export async function countDeadLetters(budgetMs = 1000): Promise<number | null> {
  const count = getDb()
    .execute<{ n: number }>(
      sql`select count(*)::int as n from (
            select 1 from pgboss.job
            where name = ${DEAD_LETTER_QUEUE} and state < 'active'
            limit ${DEAD_LETTER_COUNT_CAP}
          ) dead`,
    )
    .then((result) => result.rows[0].n)
    // Settled even when it loses the race below, so a late failure is no unhandled rejection.
    .catch(() => null)
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), budgetMs)
  })
  try {
    return await Promise.race([count, late])
  } finally {
    clearTimeout(timer)
  }
}
