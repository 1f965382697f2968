import http from 'node:http'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { webhookDeliveries } from '#db/schema.ts'
import { updateApiTicket } from '#app/domain/api-resources.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { deliverWebhook } from '#app/domain/webhook-delivery.server.ts'
import { takeTurn } from '#app/domain/webhook-fairness.server.ts'
import { createWebhookEndpoint } from '#app/domain/webhooks.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { parseEnv } from '#app/env.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { listenOnLoopback } from '#tests/helpers/loopback-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Found from outside: a reply that set `pending`, then at once a PATCH to `open`: the endpoint got
// message.created, the PATCH's ticket.updated (open), then ~400 ms later the reply's ticket.updated
// (pending), 4 runs of 4. The reply's second job had found the endpoint busy (its first delivery in
// flight) and was put back 500 ms later, behind the PATCH's job, which sent its own delivery. And
// the reply's message.created showed the ticket's status before the reply set it.

type Payload = { type: string; data: { ticket: Record<string, any>; changes?: Record<string, unknown> } }

let received: Payload[] = []
let receiverUrl: string
let closeReceiver: () => Promise<void>
let member: Member

const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }

beforeAll(async () => {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString()) as Payload)
      res.end('ok')
    })
  })
  const listening = await listenOnLoopback(server)
  receiverUrl = listening.url
  closeReceiver = listening.close
  envStore.__switchboardEnv = parseEnv({
    ...process.env,
    WEBHOOKS_ALLOW_HTTP: 'true',
    WEBHOOKS_ALLOWED_HOSTS: `127.0.0.1:${listening.port}`,
  })
  // The queue without its workers: the test runs the jobs itself, in the order it picks.
  await startQueue(testDatabaseUrl)
  member = asMember(await createMember('owner'))
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
  await closeReceiver()
  envStore.__switchboardEnv = undefined
})

async function endpoint() {
  const created = await createWebhookEndpoint(member, {
    url: `${receiverUrl}/hook-${Date.now()}`,
    description: '',
    events: ['ticket.updated', 'message.created'],
    includeNotes: true,
  })
  if (created.kind !== 'ok') throw new Error('endpoint not created')
  return created.id
}

/** The endpoint's deliveries in the order they were recorded. */
async function deliveriesOf(endpointId: string) {
  const rows = await getDb()
    .select({ id: webhookDeliveries.id, payload: webhookDeliveries.payload })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(webhookDeliveries.createdAt, webhookDeliveries.id)
  return rows.map((r) => ({ id: r.id, ...(JSON.parse(r.payload) as Payload) }))
}

/** The data of the queued `webhook.deliver` jobs of these deliveries, as the worker gets it. */
async function jobsOf(deliveryIds: string[]) {
  const { rows } = await getDb().execute<{ data: { deliveryId: string; first?: boolean } }>(
    sql`select data from pgboss.job where name = 'webhook.deliver'
      and data->>'deliveryId' in (${sql.join(
        deliveryIds.map((id) => sql`${id}`),
        sql`, `,
      )})`,
  )
  return rows.map((r) => r.data)
}

/** A reply that sets `pending`, then a PATCH to `open` with a new subject and tags. */
async function replyThenPatch(endpointId: string) {
  const ticket = await createTicketFor({ workspace: { id: member.workspaceId } })
  const sent = await replyToTicket({ ...member, user: { name: 'Agent' } }, ticket.number, {
    kind: 'reply',
    body: 'On its way',
    status: 'pending',
  })
  expect(sent.kind).toBe('sent')
  const patched = await updateApiTicket(member, ticket.number, {
    status: 'open',
    priority: 'urgent',
    subject: 'S2',
    tags: ['x', 'y'],
  })
  expect(patched.kind).toBe('updated')
  const deliveries = await deliveriesOf(endpointId)
  expect(deliveries.map((d) => [d.type, d.data.changes?.status])).toEqual([
    ['message.created', undefined],
    ['ticket.updated', 'pending'],
    ['ticket.updated', 'open'],
  ])
  return deliveries
}

describe('an endpoint’s deliveries go out in the order their changes were recorded', () => {
  it('a job put back while the endpoint was busy does not let the next change’s delivery pass', async () => {
    const endpointId = await endpoint()
    const [created, replyUpdate, patchUpdate] = await replyThenPatch(endpointId)
    const jobs = await jobsOf([created!.id, replyUpdate!.id, patchUpdate!.id])
    expect(jobs).toHaveLength(3)
    for (const job of jobs) expect(job.first).toBe(true)
    received = []
    // Another loop's attempt is in flight: the reply's second job is put back for later.
    const inFlight = takeTurn({ endpointId, workspaceId: member.workspaceId, test: false })
    expect(inFlight.kind).toBe('go')
    expect(await deliverWebhook(replyUpdate!.id, { first: true })).toBe('deferred')
    if (inFlight.kind === 'go') inFlight.release()
    // Then the reply's first job, the PATCH's job, and the one put back, as pg-boss fetches them.
    expect(await deliverWebhook(created!.id, { first: true })).toBe('succeeded')
    expect(await deliverWebhook(patchUpdate!.id, { first: true })).toBe('succeeded')
    expect(await deliverWebhook(replyUpdate!.id, { first: true })).toBe('succeeded')
    expect(received.map((p) => [p.type, p.data.changes?.status])).toEqual([
      ['message.created', undefined],
      ['ticket.updated', 'pending'],
      ['ticket.updated', 'open'],
    ])
    // A receiver applying them in order ends with the ticket as it is.
    expect(received.at(-1)!.data.ticket).toMatchObject({ status: 'open', subject: 'S2' })
    const after = await getDb()
      .select({ status: webhookDeliveries.status })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpointId))
    expect(after.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
  })

  it('every job sends one delivery, whichever order they run in, and none is sent twice', async () => {
    const endpointId = await endpoint()
    const deliveries = await replyThenPatch(endpointId)
    received = []
    for (const d of [...deliveries].reverse()) {
      expect(await deliverWebhook(d.id, { first: true })).toBe('succeeded')
    }
    expect(received.map((p) => p.data.changes?.status)).toEqual([undefined, 'pending', 'open'])
    // One job more than deliveries (a duplicate fetch) finds nothing left to send.
    expect(await deliverWebhook(deliveries[0]!.id, { first: true })).toBe('skipped')
    expect(received).toHaveLength(3)
  })

  it('a retry goes to its own delivery, not the oldest unsent one', async () => {
    const endpointId = await endpoint()
    const [created, replyUpdate] = await replyThenPatch(endpointId)
    await getDb().execute(sql`update webhook_deliveries set attempts = 1 where id = ${replyUpdate!.id}`)
    received = []
    expect(await deliverWebhook(replyUpdate!.id)).toBe('succeeded')
    expect(received.map((p) => p.data.changes?.status)).toEqual(['pending'])
    expect(await deliverWebhook(created!.id, { first: true })).toBe('succeeded')
    expect(received.map((p) => p.type)).toEqual(['ticket.updated', 'message.created'])
  })
})

describe('a first attempt’s job run again after an interruption', () => {
  it('sends the delivery it had claimed again, not the next unsent one', async () => {
    const endpointId = await endpoint()
    const [created, replyUpdate] = await replyThenPatch(endpointId)
    // Job J (the reply's second job) claimed the oldest, message.created, and the worker stopped.
    const jobId = '01a251d5-0000-7000-8000-000000000001'
    await getDb().execute(
      sql`update webhook_deliveries set attempts = 1, attempt_job_id = ${jobId} where id = ${created!.id}`,
    )
    received = []
    const rerun = { id: jobId, rerun: true }
    expect(await deliverWebhook(replyUpdate!.id, { first: true, job: rerun })).toBe('succeeded')
    expect(received.map((p) => p.type)).toEqual(['message.created'])
    const [row] = await getDb()
      .select({ attempts: webhookDeliveries.attempts, status: webhookDeliveries.status })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.id, created!.id))
    expect(row).toEqual({ attempts: 2, status: 'succeeded' })
  })
})

describe('message.created shows the ticket as its transaction committed it', () => {
  it('a reply that sets a status: its message.created carries the new status', async () => {
    const endpointId = await endpoint()
    const [created] = await replyThenPatch(endpointId)
    expect(created!.data.ticket).toMatchObject({ status: 'pending' })
  })
})
