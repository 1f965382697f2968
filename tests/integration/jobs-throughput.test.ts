import { and, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { queueEmail } from '#app/domain/email.server.ts'
import { queue, registerDueWaker, startQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { captureAppWarnings, testEmail as outboxEmail } from '#tests/helpers/outbox.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until } from '#tests/helpers/wait.ts'

// How fast the outbox sends (a speed check: this file runs in the 'timed' project, alone).
// Recovery (idempotency, dead letters, a killed worker) is in jobs-recovery.test.ts.
const logLines = captureAppWarnings()

let workspaceId: string

beforeAll(async () => {
  // Supervision and monitoring every second, as when the figures in docs/data-flow.md were taken.
  await startQueue(testDatabaseUrl, { listen: true, superviseIntervalSeconds: 1 })
  workspaceId = (await createWorkspace()).id
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
})

const testEmail = (n: number) => outboxEmail(workspaceId, n)

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

describe('email outbox throughput', () => {
  it('sends a backlog of 500 emails at 50 or more per second from one instance', async () => {
    // The backlog: 50 transactions of 10 emails, committed side by side before any worker runs.
    const batches = await Promise.all(
      Array.from({ length: 50 }, (_, batch) =>
        getDb().transaction(async (tx) => {
          const queued: string[] = []
          for (let i = 0; i < 10; i++) queued.push(await queueEmail(tx, testEmail(batch * 10 + i)))
          return queued
        }),
      ),
    )
    const ids = batches.flat()
    const started = Date.now()
    await startWorkers()
    const sent = await until(
      async () => {
        const [row] = await getDb()
          .select({ n: sql<number>`count(*)::int`, last: sql<string>`max(${emails.sentAt})` })
          .from(emails)
          .where(and(inArray(emails.id, ids), eq(emails.status, 'sent')))
        return row
      },
      (row) => row.n === ids.length,
      30_000,
    )
    expect(sent.n).toBe(500)
    const seconds = (new Date(sent.last).getTime() - started) / 1000
    const perSecond = 500 / seconds
    console.info(`email.send throughput: 500 emails in ${seconds.toFixed(2)} s = ${perSecond.toFixed(0)}/s`)
    expect(perSecond).toBeGreaterThanOrEqual(50)
  })

  it('sends an email committed to an idle queue within a second (median of 15)', async () => {
    const lags: number[] = []
    for (let n = 0; n < 15; n++) {
      const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(1000 + n)))
      const committed = Date.now()
      const [row] = await until(
        () => getDb().select({ sentAt: emails.sentAt }).from(emails).where(eq(emails.id, id)),
        (rows) => rows[0].sentAt !== null,
        5000,
      )
      expect(row.sentAt).not.toBeNull()
      lags.push(row.sentAt!.getTime() - committed)
    }
    console.info(`email.send idle lag from commit: median ${median(lags)} ms, max ${Math.max(...lags)} ms`)
    expect(median(lags)).toBeLessThan(1000)
  })

  it('sends a held email (undo send) within a second of the end of its hold, not before (5 of them)', async () => {
    // The hold ends while the queue is idle: no NOTIFY comes then (it came at commit, when the
    // job was not ready); this process's worker is woken by the timer its enqueue started.
    const lags = await heldEmailLags(1100, [2000, 2300, 2600, 2900, 3200])
    console.info(`email.send lag after the hold: ${lags.join(', ')} ms`)
    expect(Math.min(...lags)).toBeGreaterThan(-100)
    expect(Math.max(...lags)).toBeLessThan(400)
  })

  it('sends an email held by another process within about a second of its hold (the backstop poll)', async () => {
    // Another process's enqueue starts no timer here: only the worker's poll finds the job due.
    const own = registerDueWaker('email.send', () => {})
    const lags = await heldEmailLags(1200, [1500, 1750, 2000, 2250]).finally(() => {
      if (own) registerDueWaker('email.send', own)
    })
    console.info(`email.send lag after another process's hold: ${lags.join(', ')} ms`)
    expect(Math.min(...lags)).toBeGreaterThan(-100)
    expect(Math.max(...lags)).toBeLessThan(1500)
  })
})

/**
 * Queues one email per hold, one after the other without waiting (each hold ends on an idle queue: the holds are 250 ms or
 * more apart and a send takes milliseconds), and waits for them together rather than one after the
 * other (23 s → 6 s). How late each was sent after its hold ended (ms).
 */
async function heldEmailLags(firstNumber: number, holdsMs: number[]) {
  const held: Array<{ id: string; due: number }> = []
  for (const [n, holdMs] of holdsMs.entries()) {
    const id = await getDb().transaction((tx) =>
      queueEmail(tx, testEmail(firstNumber + n), { startAfterSeconds: holdMs / 1000 }),
    )
    held.push({ id, due: Date.now() + holdMs })
  }
  const ids = held.map((h) => h.id)
  const rows = await until(
    () =>
      getDb().select({ id: emails.id, sentAt: emails.sentAt }).from(emails).where(inArray(emails.id, ids)),
    (rows) => rows.length === ids.length && rows.every((row) => row.sentAt !== null),
    10_000,
  )
  const sentAt = new Map(rows.map((row) => [row.id, row.sentAt!.getTime()]))
  return held.map(({ id, due }) => sentAt.get(id)! - due)
}

describe('LISTEN connection', () => {
  it('survives its LISTEN connection being terminated, and wakes workers again once it reconnects', async () => {
    const listener = () =>
      getDb().execute<{ pid: number }>(
        sql`select pid from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()
              and (query ilike 'LISTEN%' or query ilike '%pg_listening_channels%')`,
      )
    const [{ pid }] = (await listener()).rows
    await getDb().execute(sql`select pg_terminate_backend(${pid})`)
    const reconnected = await until(
      listener,
      (result) => result.rows.length === 1 && result.rows[0].pid !== pid,
      10_000,
    )
    expect(reconnected.rows[0].pid).not.toBe(pid)
    // Logged as the database going away (warn, code and message), not as a fault with a stack.
    const lost = logLines.filter((line) => line.msg === 'job queue lost its database connection')
    expect(lost.length).toBeGreaterThan(0)
    expect(lost[0]).toMatchObject({ level: 40, pool: 'jobs' })
    expect(logLines.some((line) => line.msg === 'job queue error')).toBe(false)
    const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(1500)))
    const committed = Date.now()
    const [row] = await until(
      () => getDb().select({ sentAt: emails.sentAt }).from(emails).where(eq(emails.id, id)),
      (rows) => rows[0].sentAt !== null,
      5000,
    )
    expect(row.sentAt!.getTime() - committed).toBeLessThan(1000)
  })
})
