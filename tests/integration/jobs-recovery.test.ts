import { spawn } from 'node:child_process'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { eq, sql } from 'drizzle-orm'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { queueEmail } from '#app/domain/email.server.ts'
import { readyz } from '#app/http/health.server.ts'
import { countDeadLetters } from '#app/jobs/dead-letters.server.ts'
import { DEAD_LETTER_QUEUE, QUEUE_SETTINGS, queue, startQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { captureAppWarnings, jobState, testEmail as outboxEmail } from '#tests/helpers/outbox.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until } from '#tests/helpers/wait.ts'

// The outbox recovering: a job whose email an earlier attempt sent, a job that always fails, a
// worker killed while holding a job. (Its speed is in jobs-throughput.test.ts.)
const logLines = captureAppWarnings()

let workspaceId: string

beforeAll(async () => {
  // Supervision every second, so a crashed worker's job is found as soon as its heartbeat lapses.
  await startQueue(testDatabaseUrl, { listen: true, superviseIntervalSeconds: 1 })
  await startWorkers()
  workspaceId = (await createWorkspace()).id
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
})

const testEmail = (n: number) => outboxEmail(workspaceId, n)

describe('email job idempotency', () => {
  it('sends nothing for an email an earlier attempt already sent, and completes the job', async () => {
    const sentEarlier = new Date(Date.now() - 60_000)
    const id = await getDb().transaction(async (tx) => {
      const emailId = await queueEmail(tx, testEmail(2000))
      // Delivered by an attempt whose job was never marked done.
      await tx
        .update(emails)
        .set({ status: 'sent', sentAt: sentEarlier, providerId: 'earlier-attempt' })
        .where(eq(emails.id, emailId))
      return emailId
    })
    const { rows } = await getDb().execute<{ id: string }>(
      sql`select id from pgboss.job where name = 'email.send' and data->>'emailId' = ${id}`,
    )
    const job = await until(
      () => jobState('email.send', rows[0].id),
      (state) => state.state === 'completed',
      5000,
    )
    expect(job).toMatchObject({ state: 'completed', output: { outcome: 'already-sent' } })
    const [email] = await getDb().select().from(emails).where(eq(emails.id, id))
    expect(email).toMatchObject({ status: 'sent', providerId: 'earlier-attempt', sentAt: sentEarlier })
  })

  it('keeps the Message-ID it was queued with', async () => {
    const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(2001)))
    const [queued] = await getDb().select({ headers: emails.headers }).from(emails).where(eq(emails.id, id))
    expect(queued.headers['Message-ID']).toMatch(/^<email-[0-9a-f-]{36}@localhost>$/)
    const [sent] = await until(
      () =>
        getDb()
          .select({ status: emails.status, headers: emails.headers })
          .from(emails)
          .where(eq(emails.id, id)),
      (r) => r[0].status === 'sent',
      5000,
    )
    expect(sent.headers['Message-ID']).toBe(queued.headers['Message-ID'])
  })
})

describe('dead letters', () => {
  it('moves a job that fails every attempt to the dead-letter queue, logs it, and counts it on /readyz', async () => {
    expect(QUEUE_SETTINGS['email.send'].deadLetter).toBe(DEAD_LETTER_QUEUE)
    const before = await countDeadLetters()
    // Not a uuid: every attempt fails in the database. Two attempts, no delay, to be quick.
    const jobId = await queue().send(
      'email.send',
      { emailId: 'not-an-id' },
      { retryLimit: 1, retryDelay: 0, retryBackoff: false },
    )
    const failed = await until(
      () => jobState('email.send', jobId!),
      (state) => state.state === 'failed',
      15_000,
    )
    expect(failed.state).toBe('failed')
    const { rows } = await getDb().execute<{ state: string; data: unknown }>(
      sql`select state, data from pgboss.job where name = ${DEAD_LETTER_QUEUE} and source_id = ${jobId}`,
    )
    expect(rows).toEqual([{ state: 'created', data: { emailId: 'not-an-id' } }])
    expect(await countDeadLetters()).toBe((before ?? 0) + 1)

    const lines = logLines.filter((line) => line.jobId === jobId && 'attempt' in line)
    expect(lines.map((line) => [line.level, line.attempt])).toEqual([
      [40, 1],
      [50, 2],
    ])
    expect(lines[1]).toMatchObject({ job: 'email.send', deadLetter: DEAD_LETTER_QUEUE })
    expect(JSON.stringify(lines)).not.toContain('emailId')

    const app = express().get('/readyz', readyz)
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`)
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ jobs: { deadLetters: (before ?? 0) + 1 } })
    } finally {
      server.close()
    }
  })
})

describe('crashed worker', () => {
  it('runs a job again in another worker after the process holding it is killed with SIGKILL', async () => {
    // This process's email workers step aside, so the stuck worker is the one that takes the job.
    await queue().offWork('email.send')
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/stuck-email-worker.ts'], {
      env: { ...process.env, STUCK_WORKER_DATABASE_URL: testDatabaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const messages: Record<string, string | boolean>[] = []
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) messages.push(JSON.parse(line))
      })
      await until(
        async () => messages,
        (m) => m.some((message) => message.ready),
        20_000,
      )
      const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(3000)))
      const picked = await until(
        async () => messages.find((message) => message.picked),
        (message) => message !== undefined,
        5000,
      )
      expect(picked).toBeDefined()
      child.kill('SIGKILL')
      await once(child, 'exit')
      const killed = Date.now()
      await startWorkers()
      const [row] = await until(
        () => getDb().select({ sentAt: emails.sentAt }).from(emails).where(eq(emails.id, id)),
        (rows) => rows[0].sentAt !== null,
        60_000,
      )
      expect(row.sentAt).not.toBeNull()
      const seconds = (row.sentAt!.getTime() - killed) / 1000
      console.info(`email.send job of a killed worker sent again after ${seconds.toFixed(1)} s`)
      expect(seconds).toBeLessThan(60)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }, 90_000)
})
