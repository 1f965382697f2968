import SwaggerParser from '@apidevtools/swagger-parser'
import { and, eq } from 'drizzle-orm'
import type { OpenAPIV3_1 } from 'openapi-types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { apiTokens, auditEvents, contacts, emails, memberships, messages, tickets } from '#db/schema.ts'
import { OPERATIONS } from '#app/api/openapi.server.ts'
import { generateApiToken } from '#app/domain/api-tokens.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { undocumented } from '#tests/helpers/documented-response.ts'
import {
  createMember,
  createTicketFor,
  createUser,
  addMember,
  ticketCount,
} from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>
let owner: Awaited<ReturnType<typeof createMember>>
let token: string
let other: Awaited<ReturnType<typeof createMember>>
let otherToken: string
let otherTicket: Awaited<ReturnType<typeof createTicketFor>>
let otherContactId: string

beforeAll(async () => {
  // Replies are emailed through the job queue, as from the UI.
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
  owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
  other = await createMember('owner')
  otherToken = (await apiTokenFor(other)).token
  otherTicket = await createTicketFor(other, { customerEmail: 'other-customer@example.net' })
  const [c] = await getDb()
    .select({ id: contacts.id })
    .from(contacts)
    .where(eq(contacts.workspaceId, other.workspace.id))
  otherContactId = c.id
})
afterAll(async () => {
  await server.close()
  await stopQueue()
})

const PROBLEM = 'application/problem+json'

function expectProblem(res: Awaited<ReturnType<typeof call>>, status: number, type: string) {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type')).toBe(PROBLEM)
  expect(res.json).toMatchObject({ type: `https://switchboard.dev/problems/${type}`, status })
  expect(typeof res.json.title).toBe('string')
  expect(typeof res.json.detail).toBe('string')
  expect(res.text).not.toMatch(/at .*\.(js|ts):\d+/)
}

describe('the OpenAPI document', () => {
  it('is served at /api/v1/openapi.json without a token and passes a standard 3.1 validator', async () => {
    const res = await call('GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    expect(res.json.openapi).toBe('3.1.0')
    await SwaggerParser.validate(structuredClone(res.json) as OpenAPIV3_1.Document)
    const ids = Object.values(res.json.paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap((item) => Object.values(item).map((op) => op.operationId))
      .sort()
    expect(ids).toEqual(OPERATIONS.map((o) => o.operationId).sort())
  })

  it('serves the interactive reference from our origin under the app’s CSP, scripts by nonce only', async () => {
    const page = await fetch(`${server.url}/api/docs`)
    expect(page.status).toBe(200)
    const csp = page.headers.get('content-security-policy')!
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]
    expect(csp).not.toContain('unsafe-inline')
    const html = await page.text()
    const scripts = [...html.matchAll(/<script([^>]*)>(.*?)<\/script>/gs)]
    expect(scripts.length).toBe(2)
    for (const [, attrs, inline] of scripts) {
      expect(attrs).toContain(`nonce="${nonce}"`)
      expect(attrs).toMatch(/src="\/api\/docs\//)
      expect(inline).toBe('')
    }
    expect(html).not.toMatch(/https?:\/\//)
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'init.js']) {
      const asset = await fetch(`${server.url}/api/docs/${file}`)
      expect(asset.status, file).toBe(200)
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100)
    }
    expect((await fetch(`${server.url}/api/docs/package.json`)).status).toBe(404)
    expect((await fetch(`${server.url}/api/docs/..%2f..%2fpackage.json`)).status).toBe(404)
  })

  it('links an icon that is served, so the browser does not ask for a missing /favicon.ico', async () => {
    const html = await (await fetch(`${server.url}/api/docs`)).text()
    const href = /<link rel="icon" href="([^"]+)"/.exec(html)?.[1]
    expect(href, 'the page links no icon').toBeDefined()
    const icon = await fetch(new URL(href!, server.url))
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toMatch(/^image\//)
  })
})

describe('contract: every operation answers what the spec says', () => {
  it('calls each operation and validates its response against its response schema', async () => {
    const spec = (await call('GET', '/api/v1/openapi.json')).json
    const called = new Set<string>()
    async function check(operationId: string, method: string, path: string, body?: unknown) {
      const op = OPERATIONS.find((o) => o.operationId === operationId)!
      expect(op.method).toBe(method)
      const res = await call(method, path, { token, body })
      expect(res.status, `${operationId}: ${res.text}`).toBe(op.response.status)
      expect(spec.paths[`${op.path}`][method.toLowerCase()].responses[op.response.status]).toBeDefined()
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      // Parsing strips unknown keys: equality means no field the schema lacks.
      expect(op.response.schema.parse(res.json)).toEqual(res.json)
      // And as the served document says it (its schema, headers; error answers: api-documented-answers).
      expect(undocumented(spec, method, op.path, res)).toEqual([])
      expect(res.headers.get('ratelimit-limit')).toBe('600')
      called.add(operationId)
      return res.json
    }
    const created = await check('createTicket', 'POST', '/api/v1/tickets', {
      subject: 'Printer on fire',
      body: 'It is, literally, on fire.',
      customer: { email: 'Pat@Example.net', name: 'Pat' },
    })
    expect(created).toMatchObject({
      subject: 'Printer on fire',
      status: 'open',
      contact: { email: 'Pat@Example.net' },
    })
    const n = created.number
    await check('listTickets', 'GET', '/api/v1/tickets?status=open&limit=5')
    await check('getTicket', 'GET', `/api/v1/tickets/${n}`)
    const members = await check('listMembers', 'GET', '/api/v1/members')
    const updated = await check('updateTicket', 'PATCH', `/api/v1/tickets/${n}`, {
      status: 'pending',
      priority: 'high',
      subject: 'Printer on fire (again)',
      assignee_id: members.data[0].user_id,
      tags: ['hardware', 'urgent-ish'],
    })
    expect(updated).toMatchObject({
      status: 'pending',
      priority: 'high',
      subject: 'Printer on fire (again)',
      assignee: { id: owner.user.id },
    })
    expect(updated.tags.map((t: { name: string }) => t.name)).toEqual(['hardware', 'urgent-ish'])
    const thread = await check('listMessages', 'GET', `/api/v1/tickets/${n}/messages`)
    expect(thread.data).toHaveLength(1)
    const reply = await check('createMessage', 'POST', `/api/v1/tickets/${n}/messages`, {
      body: 'Please step away from the printer.',
      last_seen_message_id: thread.data[0].id,
    })
    expect(reply).toMatchObject({ kind: 'reply', author: { type: 'agent', id: owner.user.id } })
    // Emailed like a reply from the UI.
    const sent = await getDb().select({ id: emails.id }).from(emails).where(eq(emails.messageId, reply.id))
    expect(sent).toHaveLength(1)
    const contact = await check('createContact', 'POST', '/api/v1/contacts', {
      email: 'new@example.org',
      name: 'Nia',
    })
    await check('listContacts', 'GET', '/api/v1/contacts?q=nia')
    await check('getContact', 'GET', `/api/v1/contacts/${contact.id}`)
    expect(
      await check('updateContact', 'PATCH', `/api/v1/contacts/${contact.id}`, { name: 'Nia N.' }),
    ).toMatchObject({
      name: 'Nia N.',
    })
    await check('listMailboxes', 'GET', '/api/v1/mailboxes')
    await check('listTags', 'GET', '/api/v1/tags')
    // Webhooks (app/api/webhooks.server.ts): a contact created after the endpoint makes a delivery.
    const hook = await check('createWebhook', 'POST', '/api/v1/webhooks', {
      url: 'https://hooks.example.com/in',
      events: ['contact.created'],
    })
    expect(hook.secret).toMatch(/^whsec_/)
    await check('listWebhooks', 'GET', '/api/v1/webhooks')
    await check('updateWebhook', 'PATCH', `/api/v1/webhooks/${hook.id}`, {
      description: 'CRM',
      enabled: false,
    })
    await check('rotateWebhookSecret', 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`)
    await check('updateWebhook', 'PATCH', `/api/v1/webhooks/${hook.id}`, { enabled: true })
    await check('createContact', 'POST', '/api/v1/contacts', { email: 'hooked@example.org' })
    const deliveries = await check('listWebhookDeliveries', 'GET', `/api/v1/webhooks/${hook.id}/deliveries`)
    expect(deliveries.data).toEqual([expect.objectContaining({ event_type: 'contact.created' })])
    await check(
      'redeliverWebhook',
      'POST',
      `/api/v1/webhooks/${hook.id}/deliveries/${deliveries.data[0].id}/redeliver`,
    )
    await check('deleteWebhook', 'DELETE', `/api/v1/webhooks/${hook.id}`)
    expect([...called].sort()).toEqual(OPERATIONS.map((o) => o.operationId).sort())
  })

  it('refuses a reply with 409 and the newer messages when someone wrote since last_seen_message_id', async () => {
    const t = await createTicketFor(owner)
    const thread = (await call('GET', `/api/v1/tickets/${t.number}/messages`, { token })).json
    const first = await call('POST', `/api/v1/tickets/${t.number}/messages`, {
      token,
      body: { kind: 'note', body: 'Internal: checking stock', last_seen_message_id: thread.data[0].id },
    })
    expect(first.status).toBe(201)
    const second = await call('POST', `/api/v1/tickets/${t.number}/messages`, {
      token,
      body: { body: 'Your kettle ships today', last_seen_message_id: thread.data[0].id },
    })
    expectProblem(second, 409, 'conflict')
    expect(second.json.newer_messages).toEqual([expect.objectContaining({ id: first.json.id, kind: 'note' })])
    expect(second.json.newer_count).toBe(1)
    expect((await call('GET', `/api/v1/tickets/${t.number}/messages`, { token })).json.data).toHaveLength(2)
  })

  it('refuses with 422 a last_seen_message_id that is no message of the ticket, and sends nothing', async () => {
    const t = await createTicketFor(owner)
    const other = await createTicketFor(owner)
    const otherThread = (await call('GET', `/api/v1/tickets/${other.number}/messages`, { token })).json
    // Another ticket's message, a made-up id, the nil-like v7 id a probe sent: the check used to
    // compare with nothing and let every one of them through.
    for (const id of [
      otherThread.data[0].id,
      '01900000-0000-7000-8000-000000000000',
      '00000000-0000-7000-8000-000000000000',
    ]) {
      const refused = await call('POST', `/api/v1/tickets/${t.number}/messages`, {
        token,
        body: { kind: 'note', body: 'Should not land', last_seen_message_id: id },
      })
      expectProblem(refused, 422, 'unprocessable')
      expect(refused.json.errors).toEqual([
        { field: 'last_seen_message_id', message: 'Not a message of this ticket' },
      ])
    }
    expect((await call('GET', `/api/v1/tickets/${t.number}/messages`, { token })).json.data).toHaveLength(1)
  })
})

describe('a reply whose email ended in doubt', () => {
  it('lists delivery_status failed with delivery_uncertain true while SendGrid may have it, false for a certain failure', async () => {
    const ticket = await createTicketFor(owner)
    const path = `/api/v1/tickets/${ticket.number}/messages`
    const replyIds: string[] = []
    for (const body of ['First answer', 'Second answer']) {
      const res = await call('POST', path, { token, body: { body } })
      expect(res.status, res.text).toBe(201)
      expect(res.json).toMatchObject({ delivery_status: 'queued', delivery_uncertain: false })
      replyIds.push(res.json.id)
    }
    const [doubtful, refused] = replyIds as [string, string]
    // The states deliverEmail and markEmailFailed leave (email-unanswered-failure.test.ts).
    for (const [messageId, maybeAccepted] of [
      [doubtful, true],
      [refused, false],
    ] as const) {
      await getDb()
        .update(emails)
        .set({ status: 'failed', maybeAccepted, error: 'no answer' })
        .where(eq(emails.messageId, messageId))
      await getDb().update(messages).set({ deliveryStatus: 'failed' }).where(eq(messages.id, messageId))
    }
    const res = await call('GET', path, { token })
    expect(res.status, res.text).toBe(200)
    const listOp = OPERATIONS.find((o) => o.operationId === 'listMessages')!
    expect(listOp.response.schema.parse(res.json)).toEqual(res.json)
    const byId = new Map(res.json.data.map((m: { id: string }) => [m.id, m]))
    expect(byId.get(doubtful)).toMatchObject({ delivery_status: 'failed', delivery_uncertain: true })
    expect(byId.get(refused)).toMatchObject({ delivery_status: 'failed', delivery_uncertain: false })
    // The customer's own message has no delivery.
    expect(res.json.data[0]).toMatchObject({ delivery_status: null, delivery_uncertain: false })
  })
})

describe('authorization matrix', () => {
  /** One concrete request per operation; `foreign` uses the other workspace's ids. */
  function requests(own: { number: number; contactId: string }) {
    const body = {
      createTicket: { subject: 's', body: 'b', customer: { email: 'x@example.com' } },
      updateTicket: { priority: 'low' },
      createMessage: { kind: 'note', body: 'n' },
      createContact: { email: `c-${Math.random()}@example.com` },
      updateContact: { name: 'Renamed' },
      createWebhook: { url: 'https://hooks.example.com/in', events: ['ticket.created'] },
      updateWebhook: { description: 'Renamed' },
    } as Record<string, unknown>
    return OPERATIONS.map((op) => ({
      op,
      path: `/api/v1${op.path.replace('{number}', String(own.number)).replace('{id}', own.contactId)}`,
      body: body[op.operationId],
    }))
  }

  it('answers 401 with a Bearer challenge for no, malformed, mistyped, unknown, revoked and expired tokens, and for a removed creator', async () => {
    const t = await createTicketFor(owner)
    const [c] = await getDb()
      .select({ id: contacts.id })
      .from(contacts)
      .where(eq(contacts.workspaceId, owner.workspace.id))
    const revoked = await apiTokenFor(owner)
    await getDb().update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, revoked.id))
    const expired = await apiTokenFor(owner)
    await getDb()
      .update(apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiTokens.id, expired.id))
    const leaver = await createUser()
    const leaverMembership = await addMember(owner.workspace.id, leaver.id, 'admin')
    const leaverToken = await apiTokenFor({ ...owner, user: leaver }, { role: 'admin' })
    await getDb().delete(memberships).where(eq(memberships.id, leaverMembership))
    const good = token
    const badChecksum = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A')
    const variants: Array<[string, Record<string, string>]> = [
      ['no token', {}],
      ['session cookie only', { cookie: owner.cookie }],
      ['basic auth', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['malformed', { authorization: 'Bearer not-a-token' }],
      ['bad checksum', { authorization: `Bearer ${badChecksum}` }],
      ['unknown', { authorization: `Bearer ${generateApiToken()}` }],
      ['revoked', { authorization: `Bearer ${revoked.token}` }],
      ['expired', { authorization: `Bearer ${expired.token}` }],
      ['creator removed', { authorization: `Bearer ${leaverToken.token}` }],
    ]
    const before = await ticketCount(owner.workspace.id)
    for (const { op, path, body } of requests({ number: t.number, contactId: c.id })) {
      for (const [label, headers] of variants) {
        const res = await call(op.method, path, { headers, body })
        expect(res.status, `${op.operationId} × ${label}`).toBe(401)
        expect(res.headers.get('www-authenticate'), label).toMatch(/^Bearer realm="switchboard"/)
        expect(res.headers.get('content-type')).toBe(PROBLEM)
      }
    }
    expect(await ticketCount(owner.workspace.id)).toBe(before)
  })

  it('answers 403 for a token without the operation’s scope, and writes nothing', async () => {
    const t = await createTicketFor(owner)
    const [c] = await getDb()
      .select({ id: contacts.id })
      .from(contacts)
      .where(eq(contacts.workspaceId, owner.workspace.id))
    const before = await ticketCount(owner.workspace.id)
    for (const { op, path, body } of requests({ number: t.number, contactId: c.id })) {
      const { token: narrow } = await apiTokenFor(owner, {
        scopes: ['tickets:read', 'tickets:write', 'contacts:read', 'contacts:write'].filter(
          (s) => s !== op.scope,
        ) as never,
      })
      const res = await call(op.method, path, { token: narrow, body })
      expectProblem(res, 403, 'insufficient-scope')
      expect(res.headers.get('www-authenticate')).toContain(`scope="${op.scope}"`)
    }
    expect(await ticketCount(owner.workspace.id)).toBe(before)
  })

  it('answers 404 for another workspace’s ticket numbers and contact ids, and changes nothing there', async () => {
    const ownCount = await ticketCount(owner.workspace.id)
    // A number that exists only in the other workspace.
    const foreignNumber = otherTicket.number + 1000
    await getDb().update(tickets).set({ number: foreignNumber }).where(eq(tickets.id, otherTicket.ticketId))
    for (const { op, path, body } of requests({ number: foreignNumber, contactId: otherContactId })) {
      if (!op.params) continue
      const res = await call(op.method, path, { token, body })
      expectProblem(res, 404, 'not-found')
    }
    const [theirs] = await getDb().select().from(tickets).where(eq(tickets.id, otherTicket.ticketId))
    expect(theirs.priority).toBe('normal')
    expect(await ticketCount(owner.workspace.id)).toBe(ownCount)
    // Their token sees it.
    expect((await call('GET', `/api/v1/tickets/${foreignNumber}`, { token: otherToken })).status).toBe(200)
    // Ids of another workspace in filters match nothing.
    const filtered = await call('GET', `/api/v1/tickets?assignee=${other.user.id}`, { token })
    expect(filtered.json.data).toEqual([])
  })

  it('acts with the creator’s current role and records the last use (time and IP)', async () => {
    const created = await apiTokenFor(owner)
    await call('GET', '/api/v1/tags', { token: created.token })
    const [row] = await getDb().select().from(apiTokens).where(eq(apiTokens.id, created.id))
    expect(row.lastUsedAt).not.toBeNull()
    expect(row.lastUsedIp).toBe('127.0.0.1')
    const audit = await getDb()
      .select({ actor: auditEvents.actorUserId })
      .from(auditEvents)
      .where(and(eq(auditEvents.workspaceId, owner.workspace.id), eq(auditEvents.action, 'ticket.created')))
    expect(audit.every((a) => a.actor === owner.user.id || a.actor === null)).toBe(true)
  })
})

describe('bad input', () => {
  it('refuses limit 0 and 1000, wrong types and unknown query parameters with 400 naming the field', async () => {
    for (const query of ['limit=0', 'limit=1000', 'limit=abc', 'status=burning', 'updated_since=yesterday']) {
      const res = await call('GET', `/api/v1/tickets?${query}`, { token })
      expectProblem(res, 400, 'validation')
      expect(res.json.errors[0].field).toBe(query.split('=')[0])
    }
    const unknown = await call('GET', '/api/v1/tickets?sort=created&view=mine', { token })
    expectProblem(unknown, 400, 'validation')
    expect(unknown.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['sort', 'view'])
    // A parameter given twice is refused, not last-wins (a probe got the closed list this way).
    const twice = await call('GET', '/api/v1/tickets?status=open&status=closed&limit=5&limit=6', { token })
    expectProblem(twice, 400, 'validation')
    expect(twice.json.errors).toEqual([
      { field: 'status', message: 'Give this parameter once' },
      { field: 'limit', message: 'Give this parameter once' },
    ])
  })

  it('refuses unknown body fields (naming them), wrong types, bad JSON and NUL with 400 and writes nothing', async () => {
    const before = await ticketCount(owner.workspace.id)
    const unknown = await call('POST', '/api/v1/tickets', {
      token,
      body: { subject: 's', body: 'b', customer: { email: 'a@example.com', phone: '1' }, is_admin: true },
    })
    expectProblem(unknown, 400, 'validation')
    expect(unknown.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'customer.phone',
      'is_admin',
    ])
    const types = await call('POST', '/api/v1/tickets', {
      token,
      body: { subject: 42, body: ['b'], customer: { email: 'not-an-email' } },
    })
    expectProblem(types, 400, 'validation')
    expect(types.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body',
      'customer.email',
      'subject',
    ])
    expectProblem(
      await call('POST', '/api/v1/tickets', { token, body: '{"subject": "s",' }),
      400,
      'bad-request',
    )
    const nul = await call('POST', '/api/v1/tickets', {
      token,
      body: { subject: 'a\u0000b', body: 'b', customer: { email: 'a@example.com' } },
    })
    expectProblem(nul, 400, 'validation')
    expect(nul.json.errors[0].field).toBe('subject')
    expectProblem(await call('PATCH', `/api/v1/tickets/1`, { token, body: {} }), 400, 'validation')
    expect(await ticketCount(owner.workspace.id)).toBe(before)
  })

  it('answers 415 for a non-JSON content type and 413 (problem+json) for a body over 1 MB', async () => {
    const plain = await call('POST', '/api/v1/tickets', {
      token,
      body: 'subject=s',
      headers: { 'content-type': 'text/plain' },
    })
    expectProblem(plain, 415, 'unsupported-media-type')
    const form = await call('POST', '/api/v1/contacts', {
      token,
      body: 'email=a@example.com',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expectProblem(form, 415, 'unsupported-media-type')
    const big = await call('POST', '/api/v1/tickets', {
      token,
      body: { subject: 's', body: 'x'.repeat(1024 * 1024 + 10), customer: { email: 'a@example.com' } },
    })
    expectProblem(big, 413, 'payload-too-large')
  })

  it('answers 400 for a forged, truncated or foreign cursor', async () => {
    for (let i = 0; i < 3; i++) await createTicketFor(owner)
    const first = await call('GET', '/api/v1/tickets?limit=1', { token })
    const cursor = first.json.next_cursor as string
    expect(cursor).toBeTruthy()
    const forged = Buffer.from(
      JSON.stringify(["2026-01-01T00:00:00Z'; drop table tickets; --", 'x']),
    ).toString('base64url')
    for (const bad of [
      cursor.slice(0, -4),
      forged,
      'not base64 at all!',
      Buffer.from('[1,2]').toString('base64url'),
    ]) {
      expectProblem(
        await call('GET', `/api/v1/tickets?cursor=${encodeURIComponent(bad)}`, { token }),
        400,
        'invalid-cursor',
      )
    }
    // A ticket cursor means nothing to the contacts list.
    expectProblem(await call('GET', `/api/v1/mailboxes?cursor=${cursor}`, { token }), 400, 'invalid-cursor')
  })

  it('treats SQL-ish search text as words', async () => {
    const before = await ticketCount(owner.workspace.id)
    for (const q of ["'; drop table tickets; --", "%' or 1=1 --", '\\', 'a & | ! (b']) {
      const res = await call('GET', `/api/v1/tickets?q=${encodeURIComponent(q)}`, { token })
      expect(res.status, q).toBe(200)
      const contactsRes = await call('GET', `/api/v1/contacts?q=${encodeURIComponent(q)}`, { token })
      expect(contactsRes.status, q).toBe(200)
      expect(contactsRes.json.data).toEqual([])
    }
    expect(await ticketCount(owner.workspace.id)).toBe(before)
  })

  it('answers unknown API paths and unsupported methods with problem+json', async () => {
    expectProblem(await call('GET', '/api/v1/nope', { token }), 404, 'not-found')
    expectProblem(await call('GET', '/api/v1/tickets/abc', { token }), 404, 'not-found')
    const del = await call('DELETE', '/api/v1/tickets', { token })
    expectProblem(del, 405, 'method-not-allowed')
    expect(del.headers.get('allow')).toBe('GET, HEAD, POST')
  })
})

describe('pagination', () => {
  it('pages by cursor with a Link header, and stays stable while tickets are inserted', async () => {
    const member = await createMember('owner')
    const { token: t } = await apiTokenFor(member)
    for (let i = 0; i < 12; i++) await createTicketFor(member, { subject: `Old ${i}` })
    const seen: number[] = []
    let path: string | null = '/api/v1/tickets?limit=5'
    let pages = 0
    while (path) {
      const res = await call('GET', path, { token: t })
      expect(res.status).toBe(200)
      seen.push(...res.json.data.map((d: { number: number }) => d.number))
      const link = res.headers.get('link')
      if (res.json.next_cursor) {
        expect(link).toMatch(
          /^<http:\/\/localhost:3000\/api\/v1\/tickets\?limit=5&cursor=[^>]+>; rel="next"$/,
        )
        path = new URL(/<([^>]+)>/.exec(link!)![1]).pathname + new URL(/<([^>]+)>/.exec(link!)![1]).search
      } else {
        expect(link).toBeNull()
        path = null
      }
      // Concurrent inserts while paging: they are newer, so they land before page 1.
      await Promise.all([
        createTicketFor(member, { subject: 'New' }),
        createTicketFor(member, { subject: 'New' }),
      ])
      pages++
    }
    expect(pages).toBe(3)
    expect(seen).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
  })
})

describe('Idempotency-Key', () => {
  const body = { subject: 'Refund', body: 'Please refund order 7', customer: { email: 'refund@example.com' } }

  it('replays the first response for the same key and body, and refuses the key with another body (422)', async () => {
    const member = await createMember('owner')
    const { token: t } = await apiTokenFor(member)
    const headers = { 'idempotency-key': 'order-7-refund' }
    const first = await call('POST', '/api/v1/tickets', { token: t, body, headers })
    expect(first.status).toBe(201)
    const again = await call('POST', '/api/v1/tickets', { token: t, body, headers })
    expect(again.status).toBe(201)
    expect(again.json).toEqual(first.json)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.headers.get('location')).toBe(first.headers.get('location'))
    expect(await ticketCount(member.workspace.id)).toBe(1)
    const otherBody = await call('POST', '/api/v1/tickets', {
      token: t,
      body: { ...body, subject: 'Other' },
      headers,
    })
    expectProblem(otherBody, 422, 'idempotency-key-reused')
    expect(await ticketCount(member.workspace.id)).toBe(1)
    // Keys belong to a token: another token may use the same key.
    const { token: t2 } = await apiTokenFor(member)
    expect((await call('POST', '/api/v1/tickets', { token: t2, body, headers })).status).toBe(201)
    expect(await ticketCount(member.workspace.id)).toBe(2)
  })

  it('makes one ticket from 10 concurrent duplicates', async () => {
    const member = await createMember('owner')
    const { token: t } = await apiTokenFor(member)
    const headers = { 'idempotency-key': crypto.randomUUID() }
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call('POST', '/api/v1/tickets', { token: t, body, headers })),
    )
    expect(await ticketCount(member.workspace.id)).toBe(1)
    const created = results.filter((r) => r.status === 201)
    expect(created.length).toBeGreaterThanOrEqual(1)
    for (const r of created) expect(r.json.number).toBe(created[0].json.number)
    for (const r of results.filter((r) => r.status !== 201)) expectProblem(r, 409, 'idempotency-in-progress')
  })

  it('never replays to a creator who lost the role the operation needs: a webhook secret stays unsent', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const { token: t } = await apiTokenFor(admin, { role: 'admin', scopes: ['webhooks:manage'] })
    const headers = { 'idempotency-key': 'hook-1' }
    const hook = { url: 'https://hooks.example.com/in', events: ['ticket.created'] }
    const first = await call('POST', '/api/v1/webhooks', { token: t, body: hook, headers })
    expect(first.status).toBe(201)
    expect(first.json.secret).toMatch(/^whsec_/)
    const rotateKey = { 'idempotency-key': 'rotate-1' }
    const rotated = await call('POST', `/api/v1/webhooks/${first.json.id}/rotate-secret`, {
      token: t,
      headers: rotateKey,
    })
    expect(rotated.status).toBe(200)
    await getDb().update(memberships).set({ role: 'agent' }).where(eq(memberships.id, admin.membershipId))
    // The same requests again, as an agent now: refused as any webhook request is, nothing replayed.
    for (const [path, key] of [
      ['/api/v1/webhooks', headers],
      [`/api/v1/webhooks/${first.json.id}/rotate-secret`, rotateKey],
    ] as const) {
      const again = await call('POST', path, {
        token: t,
        body: path.endsWith('webhooks') ? hook : undefined,
        headers: key,
      })
      expectProblem(again, 403, 'forbidden')
      expect(again.text).not.toContain('whsec_')
      expect(again.headers.get('idempotent-replayed')).toBeNull()
    }
  })

  it('refuses a malformed key', async () => {
    const res = await call('POST', '/api/v1/contacts', {
      token,
      body: { email: 'k@example.com' },
      headers: { 'idempotency-key': 'x'.repeat(300) },
    })
    expectProblem(res, 400, 'validation')
  })
})
