import { sql } from 'drizzle-orm'
import { PgBoss, fromDrizzle } from 'pg-boss'
import type { DbOrTx } from '#db/client.ts'
import { logger } from '#app/logger.server.ts'

/** Every queue the app knows, with the payload each carries. */
export type JobPayloads = {
  'sessions.cleanup': Record<string, never>
  'email.send': { emailId: string }
  'files.cleanup': Record<string, never>
}
export type JobName = keyof JobPayloads
export const JOB_NAMES: JobName[] = ['sessions.cleanup', 'email.send', 'files.cleanup']

const store = globalThis as unknown as { __switchboardBoss?: PgBoss }

/** Starts pg-boss (creating its schema and our queues on first run). One per process. */
export async function startQueue(databaseUrl: string) {
  if (store.__switchboardBoss) return store.__switchboardBoss
  const boss = new PgBoss({ connectionString: databaseUrl, max: 4, schema: 'pgboss' })
  boss.on('error', (error) => logger().error({ err: error }, 'job queue error'))
  await boss.start()
  for (const name of JOB_NAMES) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name)
  }
  store.__switchboardBoss = boss
  return boss
}

export function queue() {
  if (!store.__switchboardBoss) throw new Error('Job queue not started: call startQueue() first')
  return store.__switchboardBoss
}

export async function stopQueue() {
  const boss = store.__switchboardBoss
  store.__switchboardBoss = undefined
  if (boss) await boss.stop({ graceful: true, timeout: 10_000 })
}

/**
 * Enqueues a job on the given transaction: the job exists exactly when the transaction
 * commits, so a rolled-back write never leaves a side effect behind.
 */
export async function enqueue<N extends JobName>(tx: DbOrTx, name: N, data: JobPayloads[N]) {
  return queue().send(name, data, { db: fromDrizzle(tx, sql) })
}
