import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { webhookDeliveries } from '#db/schema.ts'
import { createWebhookEndpoint } from '#app/domain/webhooks.server.ts'
import type { WebhookEventType } from '#app/utils/webhook-schemas.ts'
import { parseEnv } from '#app/env.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { listenOnLoopback } from '#tests/helpers/loopback-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until } from '#tests/helpers/wait.ts'

// One workspace's receiver that never answers, with a backlog, must not hold back another
// workspace's deliveries (found from outside: 25 tickets to a black hole delayed another
// workspace's ticket.created by 26 s, linear in the backlog).

type Receiver = Awaited<ReturnType<typeof startReceiver>>

/**
 * A webhook receiver on loopback. While `hang` is on it never answers (a black hole): requests are
 * held open until the sender gives up. Counts the requests open at once, per path.
 */
function startReceiver() {
  const received: Array<{ at: number; path: string }> = []
  const open = new Map<string, number>()
  const maxOpen = new Map<string, number>()
  const state = { hang: false, openTotal: 0, maxOpenTotal: 0 }
  const server = http.createServer((req, res) => {
    const path = req.url ?? ''
    req.resume()
    req.on('end', () => {
      received.push({ at: performance.now(), path })
      if (!state.hang) {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end('ok')
        return
      }
      open.set(path, (open.get(path) ?? 0) + 1)
      maxOpen.set(path, Math.max(maxOpen.get(path) ?? 0, open.get(path)!))
      state.openTotal++
      state.maxOpenTotal = Math.max(state.maxOpenTotal, state.openTotal)
      res.on('close', () => {
        open.set(path, open.get(path)! - 1)
        state.openTotal--
      })
    })
  })
  return listenOnLoopback(server).then((listening) => ({ ...listening, received, maxOpen, state }))
}

let blackHole: Receiver
let healthy: Receiver
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }

beforeAll(async () => {
  blackHole = await startReceiver()
  healthy = await startReceiver()
  envStore.__switchboardEnv = parseEnv({
    ...process.env,
    WEBHOOKS_ALLOW_HTTP: 'true',
    WEBHOOKS_ALLOWED_HOSTS: `127.0.0.1:${blackHole.port},127.0.0.1:${healthy.port}`,
  })
  await startQueue(testDatabaseUrl, { listen: true, superviseIntervalSeconds: 1 })
  await startWorkers()
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
  await blackHole.close()
  await healthy.close()
  envStore.__switchboardEnv = undefined
})

async function endpoint(
  member: ReturnType<typeof asMember>,
  url: string,
  events: WebhookEventType[] = ['ticket.created'],
) {
  const created = await createWebhookEndpoint(member, { url, description: '', events, includeNotes: false })
  if (created.kind !== 'ok') throw new Error(`endpoint not created: ${JSON.stringify(created)}`)
  return created.id
}

function deliveriesOf(endpointIds: string[]) {
  return getDb()
    .select({
      endpointId: webhookDeliveries.endpointId,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
    })
    .from(webhookDeliveries)
    .then((rows) => rows.filter((r) => endpointIds.includes(r.endpointId)))
}

/** How long after its ticket's commit a healthy workspace's ticket.created arrives. */
async function healthyLatency(path: string) {
  const member = asMember(await createMember('owner'))
  await endpoint(member, `${healthy.url}${path}`)
  await createTicketFor({ workspace: { id: member.workspaceId } }, { subject: 'Healthy' })
  const committed = performance.now()
  const got = await until(
    () => healthy.received.filter((r) => r.path === path),
    (list) => list.length === 1,
    60_000,
  )
  return got[0]!.at - committed
}

describe('webhook fairness between workspaces', () => {
  it('a black hole with a backlog of 25 does not delay another workspace; its deliveries, one at a time, all go once it answers', async () => {
    blackHole.state.hang = true
    const attacker = asMember(await createMember('owner'))
    const hole = await endpoint(attacker, `${blackHole.url}/hole`)
    for (let i = 0; i < 25; i++) {
      await createTicketFor({ workspace: { id: attacker.workspaceId } }, { subject: `Backlog ${i}` })
    }
    await until(
      () => blackHole.received.filter((r) => r.path === '/hole').length,
      (n) => n >= 1,
      5000,
    )
    const latency = await healthyLatency('/beside-one-hole')
    console.info(
      `healthy workspace's delivery beside a black hole with a backlog of 25: ${latency.toFixed(0)} ms; ` +
        `black hole's POSTs open at once: ${blackHole.maxOpen.get('/hole')}`,
    )
    expect(latency).toBeLessThan(2000)
    // One attempt at a time per endpoint: the backlog waits its turn instead of taking loops.
    expect(blackHole.maxOpen.get('/hole')).toBe(1)
    // The receiver comes back: every delivery of the backlog is attempted and goes through.
    blackHole.state.hang = false
    const settled = await until(
      () => deliveriesOf([hole]),
      (rows) => rows.length === 25 && rows.every((r) => r.status === 'succeeded'),
      60_000,
    )
    expect(settled).toHaveLength(25)
  }, 120_000)

  it('a workspace with many black holes takes at most a few of the delivery loops', async () => {
    blackHole.state.hang = true
    blackHole.state.maxOpenTotal = 0
    const attacker = asMember(await createMember('owner'))
    for (let e = 0; e < 10; e++) await endpoint(attacker, `${blackHole.url}/many-${e}`)
    for (let i = 0; i < 3; i++) {
      await createTicketFor({ workspace: { id: attacker.workspaceId } }, { subject: `Fan-out ${i}` })
    }
    await until(
      () => blackHole.received.filter((r) => r.path.startsWith('/many-')).length,
      (n) => n >= 1,
      5000,
    )
    const latency = await healthyLatency('/beside-many-holes')
    console.info(
      `healthy workspace's delivery beside 10 black holes of one workspace (30 deliveries): ${latency.toFixed(0)} ms; ` +
        `POSTs open at once: ${blackHole.state.maxOpenTotal}`,
    )
    expect(latency).toBeLessThan(2000)
    expect(blackHole.state.maxOpenTotal).toBeLessThanOrEqual(4)
    blackHole.state.hang = false
  }, 120_000)

  it('one endpoint’s backlog to a receiver that answers drains back to back, one at a time', async () => {
    const member = asMember(await createMember('owner'))
    const id = await endpoint(member, `${healthy.url}/backlog`)
    const started = performance.now()
    for (let i = 0; i < 40; i++) {
      await createTicketFor({ workspace: { id: member.workspaceId } }, { subject: `Backlog ${i}` })
    }
    await until(
      () => deliveriesOf([id]),
      (rows) => rows.length === 40 && rows.every((r) => r.status === 'succeeded'),
      20_000,
    )
    const ms = performance.now() - started
    console.info(`40 tickets created and delivered to one endpoint: ${ms.toFixed(0)} ms`)
    expect(healthy.maxOpen.get('/backlog') ?? 0).toBe(0) // never held open: answered at once
    expect(ms).toBeLessThan(10_000)
  })
})
