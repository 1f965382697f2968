import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, users, webhookDeliveries, webhookEndpoints } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import * as webhooksRoute from '#app/routes/w.$slug.settings.webhooks.tsx'
import * as membersRoute from '#app/routes/w.$slug.settings.members.tsx'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { HAND_SENT_DELIVERY_LIMIT } from '#app/domain/webhooks.server.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { callAction, callLoader, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

function post(actor: Actor, fields: Array<[string, string]>, slug = actor.workspace.slug) {
  const form = new FormData()
  for (const [name, value] of fields) form.append(name, value)
  return callAction(webhooksRoute, `/w/${slug}/settings/webhooks`, form, {
    cookie: actor.cookie,
    params: { slug },
  })
}

function load(actor: Actor, slug = actor.workspace.slug) {
  return callLoader(webhooksRoute, `/w/${slug}/settings/webhooks`, { cookie: actor.cookie, params: { slug } })
}

const create = (url: string, events = ['ticket.created']): Array<[string, string]> => [
  ['intent', 'create'],
  ['url', url],
  ['description', 'CRM'],
  ...events.map((e): [string, string] => ['events', e]),
]

async function endpointsOf(workspaceId: string) {
  return getDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.workspaceId, workspaceId))
}

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
})
afterAll(async () => {
  await server.close()
  await stopQueue()
})

describe('Settings → Webhooks', () => {
  it('creates an endpoint and shows its secret once; the list never carries it', async () => {
    const owner = await createMember('owner')
    const result = await post(
      owner,
      create('https://hooks.example.com/in', ['ticket.created', 'message.created']),
    )
    expect(result.status).toBe(200)
    const secret = result.data.secret.value as string
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    const [row] = await endpointsOf(owner.workspace.id)
    expect(row).toMatchObject({
      url: 'https://hooks.example.com/in',
      events: ['ticket.created', 'message.created'],
    })
    const page = await load(owner)
    expect(page.data.endpoints).toHaveLength(1)
    expect(JSON.stringify(page.data)).not.toContain(secret.slice(6))
    const [audit] = await getDb().select().from(auditEvents).where(eq(auditEvents.targetId, row!.id))
    expect(audit).toMatchObject({ action: 'webhook.created', actorUserId: owner.user.id })
  })

  it.each([
    'https://127.0.0.1/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.1/hook',
    'https://0x7f000001/hook',
    'http://hooks.example.com/in',
  ])('refuses %s with a field error and writes nothing', async (url) => {
    const owner = await createMember('owner')
    const result = await post(owner, create(url))
    expect(result.status).toBe(400)
    expect(result.data.result.error.url[0]).toMatch(/not reachable|https/)
    expect(await endpointsOf(owner.workspace.id)).toHaveLength(0)
  })

  it('refuses a second endpoint with the same URL (normalized), on create and on edit, keeping what was typed', async () => {
    const owner = await createMember('owner')
    expect((await post(owner, create('https://hooks.example.com/in'))).status).toBe(200)
    expect((await post(owner, create('https://hooks.example.com/other'))).status).toBe(200)
    const again = await post(owner, create('https://HOOKS.example.com:443/in', ['message.created']))
    expect(again.status).toBe(400)
    expect(again.data.result.error).toEqual({
      url: ['Another endpoint of this workspace already has this URL: each event would be sent twice.'],
    })
    expect(again.data.result.initialValue).toMatchObject({ url: 'https://HOOKS.example.com:443/in' })
    const [first, other] = (await endpointsOf(owner.workspace.id)).sort((a, b) => a.url.localeCompare(b.url))
    const edited = await post(owner, [
      ['intent', 'update'],
      ['id', other!.id],
      ['url', first!.url],
      ['description', 'CRM'],
      ['events', 'ticket.created'],
    ])
    expect(edited.status).toBe(400)
    expect(edited.data.result.error.url).toBeDefined()
    expect(edited.data.endpointId).toBe(other!.id)
    expect((await endpointsOf(owner.workspace.id)).map((e) => e.url).sort()).toEqual([
      'https://hooks.example.com/in',
      'https://hooks.example.com/other',
    ])
    // Another workspace may use the same URL.
    const stranger = await createMember('owner')
    expect((await post(stranger, create('https://hooks.example.com/in'))).status).toBe(200)
  })

  it('keeps a teammate’s change to the fields this admin did not edit since the form was drawn', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    await post(owner, create('https://hooks.example.com/in', ['ticket.created', 'message.created']))
    const [endpoint] = await endpointsOf(owner.workspace.id)
    const drawn = {
      url: endpoint!.url,
      description: endpoint!.description,
      events: endpoint!.events,
      includeNotes: endpoint!.includeNotes,
    }
    const base = JSON.stringify({ ...drawn, events: [...drawn.events].sort() })
    const form = (
      changes: Partial<typeof drawn>,
      withBase: string | null = base,
    ): Array<[string, string]> => {
      const fields = { ...drawn, ...changes }
      return [
        ['intent', 'update'],
        ['id', endpoint!.id],
        ['url', fields.url],
        ['description', fields.description],
        ...fields.events.map((e): [string, string] => ['events', e]),
        ...(fields.includeNotes ? [['includeNotes', 'on'] as [string, string]] : []),
        ...(withBase === null ? [] : [['base', withBase] as [string, string]]),
      ]
    }
    // The owner renames it; the admin, whose page still shows the old description, adds notes
    // (its events posted in another order than drawn: not a change).
    expect((await post(owner, form({ description: 'CRM sync' }))).status).toBe(200)
    const notes = await post(
      admin,
      form({ includeNotes: true, events: ['message.created', 'ticket.created'] }),
    )
    expect(notes.status).toBe(200)
    let [row] = await endpointsOf(owner.workspace.id)
    expect(row).toMatchObject({ description: 'CRM sync', includeNotes: true, url: drawn.url })
    expect([...row!.events].sort()).toEqual(['message.created', 'ticket.created'])
    // The same field changed by both: not saved over the teammate's unseen (409), then replaced
    // once the form showed it (settings-teammate-conflicts.test.ts).
    await post(owner, form({ events: ['ticket.created'] }))
    expect((await post(admin, form({ events: ['message.created'] }))).status).toBe(409)
    ;[row] = await endpointsOf(owner.workspace.id)
    expect(row!.events).toEqual(['ticket.created'])
    await post(admin, [...form({ events: ['message.created'] }), ['replace', 'events']])
    ;[row] = await endpointsOf(owner.workspace.id)
    expect(row!.events).toEqual(['message.created'])
    // No readable base: every field as posted, as before.
    await post(admin, form({}, 'not json'))
    ;[row] = await endpointsOf(owner.workspace.id)
    expect(row).toMatchObject({ description: 'CRM', includeNotes: false })
    expect([...row!.events].sort()).toEqual(['message.created', 'ticket.created'])
  })

  it('asks for at least one event', async () => {
    const owner = await createMember('owner')
    const result = await post(owner, create('https://hooks.example.com/in', []))
    expect(result.status).toBe(400)
    expect(result.data.result.error.events).toEqual(['Choose at least one event'])
    expect(await endpointsOf(owner.workspace.id)).toHaveLength(0)
  })

  it('edits, rotates, turns off and on, tests, redelivers and deletes', async () => {
    const owner = await createMember('owner')
    await post(owner, create('https://hooks.example.com/in'))
    const [endpoint] = await endpointsOf(owner.workspace.id)
    const id = endpoint!.id
    expect(
      (
        await post(owner, [
          ['intent', 'update'],
          ['id', id],
          ['url', 'https://hooks.example.com/v2'],
          ['events', 'contact.created'],
          ['includeNotes', 'on'],
        ])
      ).status,
    ).toBe(200)
    const rotated = await post(owner, [
      ['intent', 'rotate'],
      ['id', id],
    ])
    expect(rotated.data.secret.value).toMatch(/^whsec_/)
    await post(owner, [
      ['intent', 'disable'],
      ['id', id],
    ])
    expect((await endpointsOf(owner.workspace.id))[0]!.disabledAt).not.toBeNull()
    await post(owner, [
      ['intent', 'enable'],
      ['id', id],
    ])
    const [after] = await endpointsOf(owner.workspace.id)
    expect(after).toMatchObject({
      url: 'https://hooks.example.com/v2',
      events: ['contact.created'],
      includeNotes: true,
      disabledAt: null,
    })
    expect(after!.previousSecret).toBe(endpoint!.secret)
    expect(
      (
        await post(owner, [
          ['intent', 'test'],
          ['id', id],
        ])
      ).status,
    ).toBe(200)
    const [delivery] = await getDb()
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, id))
    expect(delivery).toMatchObject({ eventType: 'webhook.test', status: 'pending' })
    const page = await load(owner)
    expect(page.data.endpoints[0].deliveries).toEqual([
      expect.objectContaining({ id: delivery!.id, eventType: 'webhook.test' }),
    ])
    expect(
      (
        await post(owner, [
          ['intent', 'redeliver'],
          ['id', id],
          ['deliveryId', delivery!.id],
        ])
      ).status,
    ).toBe(200)
    expect(
      await getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id)),
    ).toHaveLength(2)
    // Asked first, naming the endpoint; nothing deleted until the confirmed post.
    const asked = await post(owner, [
      ['intent', 'delete'],
      ['id', id],
    ])
    expect(asked.status).toBe(200)
    expect(asked.data).toMatchObject({
      confirmStep: {
        title: 'Delete the endpoint “https://hooks.example.com/v2”?',
        fields: [
          ['intent', 'delete'],
          ['id', id],
        ],
      },
    })
    expect(await endpointsOf(owner.workspace.id)).toHaveLength(1)
    expect(
      (
        await post(owner, [
          ['intent', 'delete'],
          ['id', id],
          ['confirmed', '1'],
        ])
      ).status,
    ).toBe(200)
    expect(await endpointsOf(owner.workspace.id)).toHaveLength(0)
  })

  it('is for owners and admins: an agent gets 403, another workspace’s member 404 and its ids 404', async () => {
    const owner = await createMember('owner')
    await post(owner, create('https://hooks.example.com/in'))
    const [endpoint] = await endpointsOf(owner.workspace.id)
    const agent = await createMember('agent', owner.workspace)
    expect((await load(agent)).status).toBe(403)
    expect((await post(agent, create('https://hooks.example.com/agent'))).status).toBe(403)
    const stranger = await createMember('owner')
    expect((await load(stranger, owner.workspace.slug)).status).toBe(404)
    for (const confirmed of [[], [['confirmed', '1']]] as Array<Array<[string, string]>>) {
      const foreign = await post(stranger, [['intent', 'delete'], ['id', endpoint!.id], ...confirmed])
      expect(foreign.status).toBe(404)
    }
    expect(await endpointsOf(owner.workspace.id)).toHaveLength(1)
  })
})

describe('an endpoint added by a member who is removed', () => {
  const postMembers = (actor: Actor, fields: Record<string, string>) =>
    callAction(membersRoute, `/w/${actor.workspace.slug}/settings/members`, fields, {
      cookie: actor.cookie,
      params: { slug: actor.workspace.slug },
      context: testContext(),
    })

  it('keeps delivering, and the removal and the webhooks page say whose it was', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    await getDb().update(users).set({ name: 'Mallory Admin' }).where(eq(users.id, admin.user.id))
    expect((await post(admin, create('https://hooks.example.com/mallory'))).status).toBe(200)
    expect((await load(owner)).data.endpoints.map((e: { addedBy: string }) => e.addedBy)).toEqual([
      'Added by Mallory Admin',
    ])

    // Without JavaScript, the confirmation step names the endpoint that stays.
    const step = await postMembers(owner, { intent: 'remove', membershipId: admin.membershipId })
    expect(JSON.stringify(step.data)).toContain(
      'The webhook endpoint they added keeps delivering this workspace’s events to the address they chose',
    )
    const removed = await postMembers(owner, {
      intent: 'remove',
      membershipId: admin.membershipId,
      confirmed: '1',
    })
    expect(removed.data.notice).toBe(
      'Member removed. The webhook endpoint they added keeps delivering this workspace’s events to the address they chose: review it in Settings → Webhooks.',
    )
    const [endpoint] = (await load(owner)).data.endpoints
    expect(endpoint).toMatchObject({
      addedBy: 'Added by Mallory Admin, no longer a member',
      disabledAt: null,
    })

    // A member who added none: the usual notice.
    const agent = await createMember('agent', owner.workspace)
    const plain = await postMembers(owner, {
      intent: 'remove',
      membershipId: agent.membershipId,
      confirmed: '1',
    })
    expect(plain.data.notice).toBe('Member removed.')
  })
})

describe('/api/v1/webhooks', () => {
  it('refuses internal URLs with 422 naming the url field, and writes nothing', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    for (const url of [
      'https://169.254.169.254/',
      'https://[::ffff:127.0.0.1]/',
      'https://2130706433/',
      'http://hooks.example.com/',
    ]) {
      const res = await call('POST', '/api/v1/webhooks', { token, body: { url, events: ['ticket.created'] } })
      expect(res.status, url).toBe(422)
      expect(res.json.errors).toEqual([expect.objectContaining({ field: 'url' })])
    }
    const unknown = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/', events: ['ticket.deleted'], secret: 'mine' },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['events.0', 'secret'])
    expect(await endpointsOf(owner.workspace.id)).toHaveLength(0)
  })

  it('refuses a second endpoint with the same URL: 409 naming the url field and the existing endpoint', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    const first = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/api', events: ['ticket.created'] },
    })
    expect(first.status).toBe(201)
    const again = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://Hooks.Example.com/api', events: ['message.created'] },
    })
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({
      type: 'https://switchboard.dev/problems/conflict',
      status: 409,
      webhook_id: first.json.id,
      errors: [
        {
          field: 'url',
          message: 'Another endpoint of this workspace already has this URL: each event would be sent twice',
        },
      ],
    })
    const second = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/api2', events: ['ticket.created'] },
    })
    const moved = await call('PATCH', `/api/v1/webhooks/${second.json.id}`, {
      token,
      body: { url: 'https://hooks.example.com/api' },
    })
    expect(moved.status).toBe(409)
    expect(moved.json.errors).toEqual([expect.objectContaining({ field: 'url' })])
    expect((await endpointsOf(owner.workspace.id)).map((e) => e.url).sort()).toEqual([
      'https://hooks.example.com/api',
      'https://hooks.example.com/api2',
    ])
  })

  it('needs webhooks:manage, and a token whose creator is an owner or admin', async () => {
    const owner = await createMember('owner')
    const narrow = await apiTokenFor(owner, { scopes: ['tickets:read', 'tickets:write'] })
    const body = { url: 'https://hooks.example.com/', events: ['ticket.created'] }
    const noScope = await call('POST', '/api/v1/webhooks', { token: narrow.token, body })
    expect(noScope.status).toBe(403)
    expect(noScope.headers.get('www-authenticate')).toContain('scope="webhooks:manage"')
    const agent = await createMember('agent', owner.workspace)
    const agentToken = await apiTokenFor(agent, { role: 'agent' })
    const asAgent = await call('POST', '/api/v1/webhooks', { token: agentToken.token, body })
    expect(asAgent.status).toBe(403)
    expect(asAgent.json.type).toMatch(/forbidden$/)
    expect(await endpointsOf(owner.workspace.id)).toHaveLength(0)
  })

  it('answers 404 for another workspace’s endpoint and delivery ids', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    const stranger = await createMember('owner')
    const theirs = await call('POST', '/api/v1/webhooks', {
      token: (await apiTokenFor(stranger)).token,
      body: { url: 'https://hooks.example.com/', events: ['ticket.created'] },
    })
    expect(theirs.status).toBe(201)
    const id = theirs.json.id
    expect((await call('PATCH', `/api/v1/webhooks/${id}`, { token, body: { enabled: false } })).status).toBe(
      404,
    )
    expect((await call('DELETE', `/api/v1/webhooks/${id}`, { token })).status).toBe(404)
    expect((await call('GET', `/api/v1/webhooks/${id}/deliveries`, { token })).status).toBe(404)
    expect((await call('POST', `/api/v1/webhooks/${id}/rotate-secret`, { token })).status).toBe(404)
    const [row] = await getDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id))
    expect(row!.disabledAt).toBeNull()
  })
})

describe('test events and redeliveries sent by hand', () => {
  // Probed 2026-12-05: 60 "Send test event" posts at once queued 60 deliveries, each a POST from
  // our servers to a URL the admin chose; nothing limited them.
  const { max } = HAND_SENT_DELIVERY_LIMIT

  async function deliveriesOf(endpointId: string) {
    return getDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId))
  }

  it(`60 parallel test events: exactly ${max} are queued, the rest are a 429 that says so`, async () => {
    const owner = await createMember('owner')
    const created = await post(owner, create('https://hooks.example.com/burst'))
    const [endpoint] = await endpointsOf(owner.workspace.id)
    expect(created.status).toBe(200)
    // An unknown endpoint takes no slot.
    const unknown = await post(owner, [
      ['intent', 'test'],
      ['id', '01a24508-990a-7742-8b87-b71437aac499'],
    ])
    expect(unknown.status).toBe(404)
    const results = await Promise.all(
      Array.from({ length: 60 }, () =>
        post(owner, [
          ['intent', 'test'],
          ['id', endpoint!.id],
        ]),
      ),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(max)
    expect(statuses.filter((s) => s === 429)).toHaveLength(60 - max)
    const refused = results.find((r) => r.status === 429)!
    expect(refused.data.notice).toMatch(
      new RegExp(
        `^At most ${max} test events and redeliveries per 10 minutes in this workspace: nothing was sent`,
      ),
    )
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    const deliveries = await deliveriesOf(endpoint!.id)
    expect(deliveries).toHaveLength(max)

    // Redeliveries share the limit, on the page and through the API (problem+json, Retry-After).
    const again = await post(owner, [
      ['intent', 'redeliver'],
      ['id', endpoint!.id],
      ['deliveryId', deliveries[0]!.id],
    ])
    expect(again.status).toBe(429)
    const { token } = await apiTokenFor(owner)
    const viaApi = await call(
      'POST',
      `/api/v1/webhooks/${endpoint!.id}/deliveries/${deliveries[0]!.id}/redeliver`,
      { token },
    )
    expect(viaApi.status).toBe(429)
    expect(viaApi.headers.get('content-type')).toContain('application/problem+json')
    expect(viaApi.json).toMatchObject({ type: expect.stringContaining('rate-limited'), limit: max })
    expect(Number(viaApi.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await deliveriesOf(endpoint!.id)).toHaveLength(max)

    // Another workspace's limit is its own.
    const other = await createMember('owner')
    await post(other, create('https://hooks.example.com/other'))
    const [otherEndpoint] = await endpointsOf(other.workspace.id)
    const test = await post(other, [
      ['intent', 'test'],
      ['id', otherEndpoint!.id],
    ])
    expect(test.status).toBe(200)
  })
})
