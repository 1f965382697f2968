import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { recordDeliveryEvents } from '#app/domain/delivery-events.server.ts'
import { queueEmail } from '#app/domain/email.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { FakeSendGrid } from '#tests/fakes/sendgrid.ts'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { jobState, testEmail } from '#tests/helpers/outbox.ts'
import { killServers, signalAndWait, startServer } from '#tests/helpers/server-process.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until, waitFor } from '#tests/helpers/wait.ts'

// SIGTERM while an email.send job is in its SendGrid call: the production build as a process of
// its own, with its worker, on this file's database, sending to the fake SendGrid.
const fake = new FakeSendGrid()
const dirs: string[] = []
let workspaceId: string

beforeAll(async () => {
  await fake.start()
  await startQueue(testDatabaseUrl)
  workspaceId = (await createWorkspace()).id
})
afterAll(async () => {
  killServers()
  await stopQueue()
  await fake.stop()
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

function server() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-email-shutdown-'))
  dirs.push(dataDir)
  return startServer({
    databaseUrl: testDatabaseUrl,
    dataDir,
    env: { RUN_WORKER: 'true', SENDGRID_API_KEY: fake.apiKey, SENDGRID_API_BASE_URL: fake.url },
  })
}

async function queued(n: number) {
  const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(workspaceId, n)))
  const [email] = await getDb().select().from(emails).where(eq(emails.id, id))
  return email!
}

const emailRow = async (id: string) => (await getDb().select().from(emails).where(eq(emails.id, id)))[0]!
const requestsFor = (id: string) =>
  fake.requests.filter(
    (r) => (r.body as { custom_args?: { email_id?: string } })?.custom_args?.email_id === id,
  )

describe('an email in its SendGrid call at SIGTERM', () => {
  it('is waited for when SendGrid answers within the grace, and recorded sent before the exit', async () => {
    const instance = await server()
    fake.failNext({ status: 202, delayMs: 1_500 })
    const email = await queued(1)
    await waitFor(() => requestsFor(email.id).length === 1, 10_000)
    const { code, ms } = await signalAndWait(instance)
    expect(code).toBe(0)
    expect(ms).toBeLessThan(8_000)
    expect(requestsFor(email.id)[0]!.abandonedAt).toBeUndefined()
    expect(await emailRow(email.id)).toMatchObject({ status: 'sent', error: null })
  })

  it('is aborted at the end of the grace, noted on its row, and not sent again once a delivery event says SendGrid had it', async () => {
    const first = await server()
    // SendGrid holds the call far past the shutdown's grace.
    fake.failNext({ status: 202, delayMs: 60_000 })
    const email = await queued(2)
    await waitFor(() => requestsFor(email.id).length === 1, 10_000)
    const signalled = Date.now()
    const { code, ms } = await signalAndWait(first)
    expect(code).toBe(0)
    expect(ms).toBeLessThan(8_000)
    // The call was cut off by the shutdown itself (at the grace's end), not by the exit.
    const abandonedAt = requestsFor(email.id)[0]!.abandonedAt
    expect(abandonedAt).toBeDefined()
    expect(abandonedAt! - signalled).toBeLessThan(ms)
    // Kept claimed (SendGrid may have it), with why: the rerun waits for the lease.
    const row = await emailRow(email.id)
    expect(row).toMatchObject({
      status: 'sending',
      error: 'Interrupted by a shutdown before SendGrid answered',
    })
    expect(row.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now())
    expect((await jobState('email.send', row.jobId!))?.state).toBe('retry')

    // SendGrid did have it: its delivered event arrives before the lease ends.
    await recordDeliveryEvents([
      {
        sg_event_id: `delivered-${email.id}`,
        event: 'delivered',
        timestamp: Math.floor(Date.now() / 1000),
        email_id: email.id,
      },
    ])
    const second = await server()
    const job = await until(
      () => jobState('email.send', row.jobId!),
      (state) => state?.state === 'completed',
      30_000,
    )
    expect(job?.output).toMatchObject({ outcome: 'already-sent' })
    expect(requestsFor(email.id)).toHaveLength(1)
    expect((await emailRow(email.id)).status).toBe('delivered')
    await signalAndWait(second)
  })
})

describe('a backlog of emails at SIGTERM', () => {
  it('begins no new send once the shutdown began: those under way finish, the rest stay queued and go once after the restart', async () => {
    const first = await server()
    // Each send takes SendGrid a second, well within the shutdown's 3 s grace.
    fake.failNext({ status: 202, delayMs: 1_000 }, 40)
    const ids = await getDb().transaction(async (tx) => {
      const queuedIds: string[] = []
      for (let n = 100; n < 140; n++) queuedIds.push(await queueEmail(tx, testEmail(workspaceId, n)))
      return queuedIds
    })
    await waitFor(() => ids.some((id) => requestsFor(id).length > 0), 10_000)
    const { code } = await signalAndWait(first)
    expect(code).toBe(0)
    // Before: the worker went on beginning sends from the 40 jobs it had fetched, and the grace's
    // end cut the last ones off (noted "maybe accepted", sent again after the restart), while
    // others it had not yet begun were marked interrupted too.
    const requested = ids.filter((id) => requestsFor(id).length > 0)
    expect(requested.length).toBeLessThan(ids.length)
    expect(ids.flatMap((id) => requestsFor(id)).filter((r) => r.abandonedAt !== undefined)).toEqual([])
    const rows = await getDb().select().from(emails).where(inArray(emails.id, ids))
    for (const row of rows) {
      if (requested.includes(row.id)) expect(row).toMatchObject({ status: 'sent', maybeAccepted: false })
      else expect(row).toMatchObject({ status: 'queued', maybeAccepted: false, error: null })
    }
    const second = await server()
    await until(
      () => getDb().select({ status: emails.status }).from(emails).where(inArray(emails.id, ids)),
      (all) => all.every((row) => row.status === 'sent'),
      30_000,
    )
    for (const id of ids) expect(requestsFor(id)).toHaveLength(1)
    await signalAndWait(second)
    // Two server starts and 40 sends of a second each, 8 at a time.
  }, 90_000)
})

describe('npm run worker (the standalone worker) at SIGTERM', () => {
  it('waits for the email in its SendGrid call, records it sent, and exits 0', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-worker-shutdown-'))
    dirs.push(dataDir)
    const worker = await startServer({
      command: ['npm', 'run', 'worker'],
      waitReady: false,
      databaseUrl: testDatabaseUrl,
      dataDir,
      env: { LOG_LEVEL: 'info', SENDGRID_API_KEY: fake.apiKey, SENDGRID_API_BASE_URL: fake.url },
    })
    await waitFor(() => worker.output().includes('"msg":"worker started"'), 30_000)
    fake.failNext({ status: 202, delayMs: 1_500 })
    const email = await queued(3)
    await waitFor(() => requestsFor(email.id).length === 1, 10_000)
    // As a process manager stops it: SIGTERM to npm, which passes it on.
    const { code, ms } = await signalAndWait(worker)
    const log = worker.output()
    expect(code, log.split('\n').slice(-15).join('\n')).toBe(0)
    expect(ms).toBeLessThan(8_000)
    expect(requestsFor(email.id)[0]!.abandonedAt).toBeUndefined()
    expect(await emailRow(email.id)).toMatchObject({ status: 'sent', error: null })
    expect(log).toContain('"msg":"worker shutting down"')
    expect(log).toMatch(/"forced":\[\].*"msg":"worker stopped"/)
  })
})
