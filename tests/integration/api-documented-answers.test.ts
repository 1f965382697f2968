import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { memberships } from '#db/schema.ts'
import { claimIdempotencyKey, requestFingerprint } from '#app/domain/api-idempotency.server.ts'
import { sendTestEvent } from '#app/domain/webhooks.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { undocumented } from '#tests/helpers/documented-response.ts'
import { asMember, createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/**
 * Every kind of answer /api/v1 gives, checked against the OpenAPI document it serves: the status is
 * listed for the operation, the body fits that response's schema (problem extension members
 * included), and the headers it sends (Location, Link, Retry-After, Idempotent-Replayed,
 * WWW-Authenticate, X-Request-Id, RateLimit-*) are the response's. The document is generated from
 * the operations, so this is what keeps it from drifting from what the server does.
 */

const RATE_LIMIT = 40
let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>
let doc: any

beforeAll(async () => {
  // env() is parsed once per process: parse it again with small limits to reach the 429s.
  process.env.API_RATE_LIMIT_PER_MINUTE = String(RATE_LIMIT)
  process.env.OUTBOUND_EMAILS_PER_HOUR = '1'
  process.env.OUTBOUND_EMAILS_PER_HOUR_UNVERIFIED = '1'
  delete (globalThis as { __switchboardEnv?: unknown }).__switchboardEnv
  // A reply queues its email.
  await startQueue(testDatabaseUrl, { listen: false })
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
  doc = (await call('GET', '/api/v1/openapi.json')).json
})
afterAll(async () => {
  await server.close()
  await stopQueue()
  delete process.env.API_RATE_LIMIT_PER_MINUTE
  delete process.env.OUTBOUND_EMAILS_PER_HOUR
  delete process.env.OUTBOUND_EMAILS_PER_HOUR_UNVERIFIED
})

type Answer = Awaited<ReturnType<typeof call>>

/** The answer is `status` (with problem `type`, if given) and exactly as the served document says. */
function expectDocumented(method: string, template: string, res: Answer, status: number, type?: string) {
  expect(res.status, res.text).toBe(status)
  if (type) expect(res.json.type).toBe(`https://switchboard.dev/problems/${type}`)
  expect(undocumented(doc, method, template, res)).toEqual([])
}

async function workspace() {
  const owner = await createMember('owner')
  const created = await apiTokenFor(owner)
  const token = created.token
  const ticket = await call('POST', '/api/v1/tickets', {
    token,
    body: { subject: 'Documented', body: 'First', customer: { email: 'doc@example.net' } },
  })
  expect(ticket.status, ticket.text).toBe(201)
  return { owner, token, tokenId: created.id, number: ticket.json.number as number, ticket }
}

const TICKETS = '/tickets'
const TICKET = '/tickets/{number}'
const MESSAGES = '/tickets/{number}/messages'
const CONTACTS = '/contacts'
const WEBHOOKS = '/webhooks'
const WEBHOOK = '/webhooks/{id}'
const ROTATE = '/webhooks/{id}/rotate-secret'
const REDELIVER = '/webhooks/{id}/deliveries/{delivery_id}/redeliver'

describe('answers as the served OpenAPI document says', () => {
  it('successes: 201 with Location, a list page with Link, a replay with Idempotent-Replayed, bodiless POSTs and DELETE', async () => {
    const { token, ticket } = await workspace()
    expectDocumented('POST', TICKETS, ticket, 201)
    expect(ticket.headers.get('location')).toMatch(/^\/api\/v1\/tickets\/\d+$/)
    await call('POST', '/api/v1/tickets', {
      token,
      body: { subject: 'Second', body: 'Two', customer: { email: 'two@example.net' } },
    })
    const page = await call('GET', '/api/v1/tickets?limit=1', { token })
    expectDocumented('GET', TICKETS, page, 200)
    expect(page.headers.get('link')).toMatch(/rel="next"/)

    const headers = { 'idempotency-key': crypto.randomUUID() }
    const contact = { email: 'replayed@example.net' }
    expectDocumented(
      'POST',
      CONTACTS,
      await call('POST', '/api/v1/contacts', { token, body: contact, headers }),
      201,
    )
    const replay = await call('POST', '/api/v1/contacts', { token, body: contact, headers })
    expectDocumented('POST', CONTACTS, replay, 201)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')

    const hook = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/documented', events: ['ticket.created'] },
    })
    expectDocumented('POST', WEBHOOKS, hook, 201)
    const rotated = await call('POST', `/api/v1/webhooks/${hook.json.id}/rotate-secret`, { token, body: {} })
    expectDocumented('POST', ROTATE, rotated, 200)
    expectDocumented(
      'DELETE',
      WEBHOOK,
      await call('DELETE', `/api/v1/webhooks/${hook.json.id}`, { token }),
      200,
    )
  })

  it('400: validation, bad-request, invalid-cursor, a malformed Idempotency-Key, an unknown query parameter', async () => {
    const { token, number } = await workspace()
    const bad = await call('POST', '/api/v1/tickets', { token, body: { subject: '', is_admin: true } })
    expectDocumented('POST', TICKETS, bad, 400, 'validation')
    const notJson = await call('POST', '/api/v1/tickets', { token, body: '{"subject":' })
    expectDocumented('POST', TICKETS, notJson, 400, 'bad-request')
    const cursor = await call('GET', '/api/v1/tickets?cursor=x', { token })
    expectDocumented('GET', TICKETS, cursor, 400, 'invalid-cursor')
    const key = await call('POST', '/api/v1/contacts', {
      token,
      body: { email: 'k@example.net' },
      headers: { 'idempotency-key': 'with space' },
    })
    expectDocumented('POST', CONTACTS, key, 400, 'validation')
    const query = await call('GET', `/api/v1/tickets/${number}?expand=all`, { token })
    expectDocumented('GET', TICKET, query, 400, 'validation')
  })

  it('401 without a token and with a bad one, with WWW-Authenticate', async () => {
    expectDocumented('GET', TICKETS, await call('GET', '/api/v1/tickets'), 401, 'unauthorized')
    const bad = await call('POST', '/api/v1/tickets', { token: 'sb_pat_nope', body: {} })
    expectDocumented('POST', TICKETS, bad, 401, 'unauthorized')
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token')
  })

  it('403: a missing scope, and a creator without the role', async () => {
    const owner = await createMember('owner')
    const { token: readOnly } = await apiTokenFor(owner, { scopes: ['tickets:read'] })
    const scope = await call('POST', '/api/v1/tickets', { token: readOnly, body: {} })
    expectDocumented('POST', TICKETS, scope, 403, 'insufficient-scope')
    const admin = await createMember('admin', owner.workspace)
    const { token } = await apiTokenFor(admin, { role: 'admin', scopes: ['webhooks:manage'] })
    await getDb().update(memberships).set({ role: 'agent' }).where(eq(memberships.id, admin.membershipId))
    expectDocumented('GET', WEBHOOKS, await call('GET', '/api/v1/webhooks', { token }), 403, 'forbidden')
  })

  it('404 for what the workspace does not have', async () => {
    const { token } = await workspace()
    expectDocumented('GET', TICKET, await call('GET', '/api/v1/tickets/999999', { token }), 404, 'not-found')
    const reply = await call('POST', '/api/v1/tickets/999999/messages', {
      token,
      body: { kind: 'note', body: 'x' },
    })
    expectDocumented('POST', MESSAGES, reply, 404, 'not-found')
    const rotate = await call('POST', `/api/v1/webhooks/${crypto.randomUUID()}/rotate-secret`, { token })
    expectDocumented('POST', ROTATE, rotate, 404, 'not-found')
  })

  it('409: a reply collision, an existing contact, a webhook URL taken, an Idempotency-Key in progress', async () => {
    const { token, tokenId, number } = await workspace()
    const path = `/api/v1/tickets/${number}/messages`
    const first = await call('POST', path, { token, body: { kind: 'note', body: 'Seen' } })
    expectDocumented('POST', MESSAGES, first, 201)
    await call('POST', path, { token, body: { kind: 'note', body: 'Written since' } })
    const collision = await call('POST', path, {
      token,
      body: { kind: 'note', body: 'Late', last_seen_message_id: first.json.id },
    })
    expectDocumented('POST', MESSAGES, collision, 409, 'conflict')
    expect(collision.json.newer_count).toBe(1)

    await call('POST', '/api/v1/contacts', { token, body: { email: 'taken@example.net' } })
    const contact = await call('POST', '/api/v1/contacts', { token, body: { email: 'taken@example.net' } })
    expectDocumented('POST', CONTACTS, contact, 409, 'conflict')
    expect(contact.json.contact_id).toEqual(expect.any(String))

    const hook = { url: 'https://hooks.example.com/taken', events: ['ticket.created'] }
    await call('POST', '/api/v1/webhooks', { token, body: hook })
    const taken = await call('POST', '/api/v1/webhooks', { token, body: hook })
    expectDocumented('POST', WEBHOOKS, taken, 409, 'conflict')
    expect(taken.json.webhook_id).toEqual(expect.any(String))

    // A first request with this key that never finishes: the duplicate waits, then 409.
    const body = { email: 'running@example.net' }
    const key = crypto.randomUUID()
    await claimIdempotencyKey(
      tokenId,
      key,
      requestFingerprint('POST', '/api/v1/contacts', JSON.stringify(body)),
    )
    const running = await call('POST', '/api/v1/contacts', {
      token,
      body,
      headers: { 'idempotency-key': key },
    })
    expectDocumented('POST', CONTACTS, running, 409, 'idempotency-in-progress')
    expect(running.headers.get('retry-after')).toBe('1')
  })

  it('422: an Idempotency-Key reused with another request (POST /contacts, rotate-secret), an unknown assignee', async () => {
    const { token, number } = await workspace()
    const headers = { 'idempotency-key': crypto.randomUUID() }
    await call('POST', '/api/v1/contacts', { token, body: { email: 'a@example.net' }, headers })
    const reused = await call('POST', '/api/v1/contacts', {
      token,
      body: { email: 'b@example.net' },
      headers,
    })
    expectDocumented('POST', CONTACTS, reused, 422, 'idempotency-key-reused')
    const hook = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/reused', events: ['ticket.created'] },
    })
    const rotateKey = { 'idempotency-key': crypto.randomUUID() }
    const rotatePath = `/api/v1/webhooks/${hook.json.id}/rotate-secret`
    expectDocumented('POST', ROTATE, await call('POST', rotatePath, { token, headers: rotateKey }), 200)
    const rotateAgain = await call('POST', rotatePath, { token, body: {}, headers: rotateKey })
    expectDocumented('POST', ROTATE, rotateAgain, 422, 'idempotency-key-reused')
    const assignee = await call('PATCH', `/api/v1/tickets/${number}`, {
      token,
      body: { assignee_id: crypto.randomUUID() },
    })
    expectDocumented('PATCH', TICKET, assignee, 422, 'unprocessable')
  })

  it('413 for a body over 1 MB, 415 for one that is not JSON (also where the body must be empty)', async () => {
    const { token } = await workspace()
    const big = await call('POST', '/api/v1/tickets', {
      token,
      body: { subject: 'Big', body: 'x'.repeat(1_100_000), customer: { email: 'big@example.net' } },
    })
    expectDocumented('POST', TICKETS, big, 413, 'payload-too-large')
    const text = await call('POST', '/api/v1/contacts', {
      token,
      body: 'email=a@example.net',
      headers: { 'content-type': 'text/plain' },
    })
    expectDocumented('POST', CONTACTS, text, 415, 'unsupported-media-type')
    const rotate = await call('POST', `/api/v1/webhooks/${crypto.randomUUID()}/rotate-secret`, {
      token,
      body: 'now',
      headers: { 'content-type': 'text/plain' },
    })
    expectDocumented('POST', ROTATE, rotate, 415, 'unsupported-media-type')
  })

  it('429: the token’s rate limit, the workspace’s customer emails, its hand-sent deliveries', async () => {
    const { owner, token, number } = await workspace()
    const path = `/api/v1/tickets/${number}/messages`
    expectDocumented('POST', MESSAGES, await call('POST', path, { token, body: { body: 'One email' } }), 201)
    const email = await call('POST', path, { token, body: { body: 'One too many' } })
    expectDocumented('POST', MESSAGES, email, 429, 'email-limit')
    expect(email.json.limit).toBe(1)

    const hook = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/hand-sent', events: ['ticket.created'] },
    })
    let sent = 0
    while ((await sendTestEvent(asMember(owner), hook.json.id)).kind === 'ok') sent++
    expect(sent).toBeGreaterThan(0)
    const deliveries = await call('GET', `/api/v1/webhooks/${hook.json.id}/deliveries`, { token })
    expectDocumented('GET', '/webhooks/{id}/deliveries', deliveries, 200)
    const redeliver = await call(
      'POST',
      `/api/v1/webhooks/${hook.json.id}/deliveries/${deliveries.json.data[0].id}/redeliver`,
      { token },
    )
    expectDocumented('POST', REDELIVER, redeliver, 429, 'rate-limited')
    expect(redeliver.json.limit).toBe(sent)

    const fresh = (await apiTokenFor(owner)).token
    const burst = await Promise.all(
      Array.from({ length: RATE_LIMIT + 1 }, () => call('GET', '/api/v1/tags', { token: fresh })),
    )
    const limited = burst.find((r) => r.status === 429)!
    expectDocumented('GET', '/tags', limited, 429, 'rate-limited')
  })
})
