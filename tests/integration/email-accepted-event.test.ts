import { generateKeyPairSync, sign } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import {
  CLAIM_LEASE_SECONDS,
  ClaimHeldError,
  deliverEmail,
  InterruptedDeliveryError,
  queueEmail,
  TransientDeliveryError,
} from '#app/domain/email.server.ts'
import { parseEnv } from '#app/env.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { FakeSendGrid } from '#tests/fakes/sendgrid.ts'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testEmail } from '#tests/helpers/outbox.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { waitFor } from '#tests/helpers/wait.ts'

// An email.send cut off by a shutdown before SendGrid answered keeps its claim under a lease; the
// retry after the lease sends again unless an event said SendGrid had accepted it. `processed`
// (sent by SendGrid as soon as it accepts a request) is that event.
const fake = new FakeSendGrid()
// SendGrid's timeout, 20 s in production: the unanswered sends below wait it out.
const SENDGRID_TIMEOUT_MS = 5_000
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
let server: Awaited<ReturnType<typeof startTestServer>>
let workspaceId: string
let n = 0

beforeAll(async () => {
  await fake.start()
  process.env.SENDGRID_API_KEY = fake.apiKey
  process.env.SENDGRID_API_BASE_URL = fake.url
  process.env.SENDGRID_TIMEOUT_MS = String(SENDGRID_TIMEOUT_MS)
  process.env.SENDGRID_WEBHOOK_PUBLIC_KEY = publicKey
    .export({ format: 'der', type: 'spki' })
    .toString('base64')
  envStore.__switchboardEnv = undefined
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  workspaceId = (await createWorkspace()).id
})
afterAll(async () => {
  await server?.close()
  await queue().stop({ graceful: false, timeout: 1000 })
  await fake.stop()
  delete process.env.SENDGRID_WEBHOOK_PUBLIC_KEY
  delete process.env.SENDGRID_TIMEOUT_MS
  envStore.__switchboardEnv = undefined
})

const emailRow = async (id: string) => (await getDb().select().from(emails).where(eq(emails.id, id)))[0]!
const requestsFor = (id: string) =>
  fake.requests.filter(
    (r) => (r.body as { custom_args?: { email_id?: string } })?.custom_args?.email_id === id,
  )

/** A queued email whose job's SendGrid call a shutdown aborted before SendGrid answered. */
async function interruptedSend() {
  const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(workspaceId, ++n)))
  const { jobId } = await emailRow(id)
  fake.failNext({ status: 202, delayMs: 60_000 })
  const abort = new AbortController()
  const attempt = deliverEmail(id, jobId!, abort.signal)
  await waitFor(() => requestsFor(id).length === 1, 10_000)
  abort.abort()
  await expect(attempt).rejects.toBeInstanceOf(InterruptedDeliveryError)
  expect(await emailRow(id)).toMatchObject({ status: 'sending' })
  return { id, jobId: jobId! }
}

/** The lease of the interrupted attempt runs out (60 s in real time). */
async function leaseRunsOut(id: string) {
  await getDb().execute(
    sql`update emails set lease_expires_at = now() - interval '1 second' where id = ${id}`,
  )
}

async function postSigned(events: unknown[]) {
  const body = JSON.stringify(events)
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = sign(
    'sha256',
    Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]),
    privateKey,
  ).toString('base64')
  return fetch(`${server.url}/webhooks/sendgrid/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    },
    body,
  })
}

const now = () => Math.floor(Date.now() / 1000)

describe('an email send interrupted before SendGrid answered', () => {
  it('is marked sent by SendGrid’s processed event and never sent again by the retry', async () => {
    const { id, jobId } = await interruptedSend()
    const response = await postSigned([
      {
        sg_event_id: `p-${id}`,
        event: 'processed',
        timestamp: now(),
        email_id: id,
        sg_message_id: `sgp${n}.filter1.0`,
      },
    ])
    expect(await response.json()).toMatchObject({ recorded: 1, ignored: 0 })
    expect(await emailRow(id)).toMatchObject({ status: 'sent', providerId: `sgp${n}`, error: null })

    await leaseRunsOut(id)
    const retry = await deliverEmail(id, jobId)
    expect(retry.outcome).toBe('already-sent')
    expect(requestsFor(id)).toHaveLength(1)

    // Its later events find it by SendGrid's id, and go forward from there.
    const later = await postSigned([
      { sg_event_id: `d-${id}`, event: 'delivered', timestamp: now(), sg_message_id: `sgp${n}.filter1.1` },
    ])
    expect(await later.json()).toMatchObject({ recorded: 1 })
    expect((await emailRow(id)).status).toBe('delivered')
  })

  it('is settled by a deferred event too (SendGrid accepted it and is retrying the recipient)', async () => {
    const { id, jobId } = await interruptedSend()
    await postSigned([{ sg_event_id: `df-${id}`, event: 'deferred', timestamp: now(), email_id: id }])
    await leaseRunsOut(id)
    expect((await deliverEmail(id, jobId)).outcome).toBe('already-sent')
    expect(requestsFor(id)).toHaveLength(1)
    expect((await emailRow(id)).status).toBe('sent')
  })

  it('is sent again after the lease when no event says SendGrid had it (at least once)', async () => {
    const { id, jobId } = await interruptedSend()
    await leaseRunsOut(id)
    expect((await deliverEmail(id, jobId)).outcome).toBe('sent')
    expect(requestsFor(id)).toHaveLength(2)
  })
})

/** A queued email whose SendGrid call got no answer after the request was read (`hang`: a timeout). */
async function unansweredSend(drop: 'hang' | 'reset') {
  const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(workspaceId, ++n)))
  const { jobId } = await emailRow(id)
  fake.dropNext(drop)
  const claimedAt = Date.now() // the claim's lease starts here (deliverEmail claims first)
  await expect(deliverEmail(id, jobId!)).rejects.toBeInstanceOf(InterruptedDeliveryError)
  expect(requestsFor(id)).toHaveLength(1)
  return { id, jobId: jobId!, claimedAt }
}

const processed = (id: string) => ({
  sg_event_id: `p-${id}`,
  event: 'processed',
  timestamp: now(),
  email_id: id,
  sg_message_id: `sgu-${id}.filter1.0`,
})

describe('an email send that SendGrid did not answer after reading it', () => {
  // Two sends that time out (SENDGRID_TIMEOUT_MS), side by side to wait only once.
  let timedOut: Array<{ id: string; jobId: string; claimedAt: number }>
  beforeAll(async () => {
    timedOut = await Promise.all([unansweredSend('hang'), unansweredSend('hang')])
  })

  it('keeps a timed-out send claimed, and its processed event settles it: one send in total', async () => {
    const { id, jobId, claimedAt } = timedOut[0]!
    const row = await emailRow(id)
    expect(row).toMatchObject({ status: 'sending', jobId, maybeAccepted: true })
    expect(row.error).toMatch(/SendGrid did not answer: timeout.*may have reached SendGrid/)
    // The lease is a whole one from the end of the attempt (the claim + the timeout), not what was
    // left of it since the claim: an event has all of it before a retry may send again.
    const lease = row.leaseExpiresAt!.getTime()
    expect(lease - claimedAt).toBeGreaterThan(CLAIM_LEASE_SECONDS * 1000 + SENDGRID_TIMEOUT_MS / 2)
    expect(lease - Date.now()).toBeGreaterThan((CLAIM_LEASE_SECONDS - 5) * 1000)
    // The job's retry (pg-boss, about 2 s later) sends nothing while the lease holds.
    await expect(deliverEmail(id, jobId)).rejects.toBeInstanceOf(ClaimHeldError)

    await postSigned([processed(id)])
    expect(await emailRow(id)).toMatchObject({ status: 'sent', providerId: `sgu-${id}`, error: null })
    await leaseRunsOut(id)
    expect((await deliverEmail(id, jobId)).outcome).toBe('already-sent')
    expect(requestsFor(id)).toHaveLength(1)
  })

  it('sends a timed-out email again only once the lease ran out without any event', async () => {
    const { id, jobId } = timedOut[1]!
    await expect(deliverEmail(id, jobId)).rejects.toBeInstanceOf(ClaimHeldError)
    expect(requestsFor(id)).toHaveLength(1)
    await leaseRunsOut(id)
    expect((await deliverEmail(id, jobId)).outcome).toBe('sent')
    expect(requestsFor(id)).toHaveLength(2)
    expect(await emailRow(id)).toMatchObject({ status: 'sent', error: null })
  })

  it('keeps a send whose connection was reset after the request claimed, until its event', async () => {
    const { id, jobId } = await unansweredSend('reset')
    expect((await emailRow(id)).error).toMatch(/SendGrid did not answer: .*ECONNRESET/)
    await expect(deliverEmail(id, jobId)).rejects.toBeInstanceOf(ClaimHeldError)
    await postSigned([processed(id)])
    await leaseRunsOut(id)
    expect((await deliverEmail(id, jobId)).outcome).toBe('already-sent')
    expect(requestsFor(id)).toHaveLength(1)
  })

  it('still releases a refused connection (nothing was sent) and retries at once', async () => {
    const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(workspaceId, ++n)))
    const { jobId } = await emailRow(id)
    const saved = envStore.__switchboardEnv
    envStore.__switchboardEnv = parseEnv({ ...process.env, SENDGRID_API_BASE_URL: 'http://127.0.0.1:1' })
    try {
      await expect(deliverEmail(id, jobId!)).rejects.toThrow(TransientDeliveryError)
    } finally {
      envStore.__switchboardEnv = saved
    }
    expect(await emailRow(id)).toMatchObject({ status: 'queued', leaseExpiresAt: null })
    expect((await deliverEmail(id, jobId!)).outcome).toBe('sent')
    expect(requestsFor(id)).toHaveLength(1)
  })
})

describe('processed and deferred events', () => {
  it('never move an email back: a delivered or failed email stays so', async () => {
    for (const status of ['delivered', 'failed'] as const) {
      const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(workspaceId, ++n)))
      await getDb().update(emails).set({ status }).where(eq(emails.id, id))
      const response = await postSigned([
        { sg_event_id: `late-p-${id}`, event: 'processed', timestamp: now(), email_id: id },
        { sg_event_id: `late-d-${id}`, event: 'deferred', timestamp: now(), email_id: id },
      ])
      expect(await response.json()).toMatchObject({ recorded: 2 })
      expect((await emailRow(id)).status).toBe(status)
    }
  })

  it('arriving while the send still waits on SendGrid keep their status, and the answer’s id is stored', async () => {
    const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(workspaceId, ++n)))
    const { jobId } = await emailRow(id)
    fake.failNext({ status: 202, delayMs: 1_000 })
    const attempt = deliverEmail(id, jobId!)
    await waitFor(() => requestsFor(id).length === 1, 10_000)
    await postSigned([
      { sg_event_id: `early-p-${id}`, event: 'processed', timestamp: now(), email_id: id },
      { sg_event_id: `early-d-${id}`, event: 'delivered', timestamp: now(), email_id: id },
    ])
    expect((await attempt).outcome).toBe('sent')
    const row = await emailRow(id)
    expect(row.status).toBe('delivered')
    // Later events that name only SendGrid's id still find it.
    expect(row.providerId).toBe(requestsFor(id)[0]!.messageId)
  })
})
