import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { rawRequest } from '#tests/helpers/raw-http.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/**
 * What a resource says about itself (Allow on OPTIONS and 405s), and bodies the operations that
 * take none still read: found by validating every answer against the OpenAPI document.
 */

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>
let owner: Awaited<ReturnType<typeof createMember>>
let token: string
let readOnly: string

beforeAll(async () => {
  // Webhook deliveries are enqueued in the change's transaction.
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
  owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
  readOnly = (await apiTokenFor(owner, { scopes: ['tickets:read', 'contacts:read'] })).token
})
afterAll(async () => {
  await server.close()
  await stopQueue()
})

describe('OPTIONS and Allow name the resource’s own methods', () => {
  it('OPTIONS answers 204 with the Allow of each kind of resource, and no CORS headers', async () => {
    const contact = await call('POST', '/api/v1/contacts', { token, body: { email: 'allow@example.org' } })
    const slug = owner.workspace.slug
    const cases: [string, string][] = [
      ['/api/v1/tickets', 'GET, HEAD, POST'],
      [`/api/v1/contacts/${contact.json.id}`, 'GET, HEAD, PATCH'],
      ['/api/v1/webhooks/00000000-0000-4000-8000-000000000000', 'PATCH, DELETE'],
      ['/api/v1/openapi.json', 'GET, HEAD'],
      ['/mcp', 'POST'],
      ['/login', 'GET, HEAD, POST'],
      [`/w/${slug}/palette`, 'GET, HEAD'],
      ['/webhooks/sendgrid/events', 'POST'],
      ['/favicon.svg', 'GET, HEAD'],
    ]
    for (const [path, allow] of cases) {
      const res = await rawRequest(server.url, {
        method: 'OPTIONS',
        path,
        headers: { origin: 'https://elsewhere.example' },
      })
      expect(res.status, path).toBe(204)
      expect(res.headers.allow, path).toBe(allow)
      expect(res.body, path).toBe('')
      expect(
        Object.keys(res.headers).filter((h) => h.startsWith('access-control-')),
        path,
      ).toEqual([])
    }
  })

  it('a path nothing answers is 404 to OPTIONS, not a list of methods', async () => {
    expect((await rawRequest(server.url, { method: 'OPTIONS', path: '/api/v1/nothing' })).status).toBe(404)
  })

  it('other methods a resource does not take are 405 with that resource’s Allow', async () => {
    const api = await rawRequest(server.url, { method: 'PROPFIND', path: '/api/v1/tickets' })
    expect(api.status).toBe(405)
    expect(api.headers.allow).toBe('GET, HEAD, POST')
    expect(api.headers['content-type']).toContain('application/problem+json')
    // A page's action ran for PUT, PATCH and DELETE too; no page of ours takes them.
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const page = await rawRequest(server.url, {
        method,
        path: '/login',
        headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=a%40b.c&password=x',
      })
      expect(page.status, method).toBe(405)
      expect(page.headers.allow, method).toBe('GET, HEAD, POST')
    }
    const mcp = await rawRequest(server.url, { method: 'TRACE', path: '/mcp' })
    expect(mcp.status).toBe(405)
    expect(mcp.headers.allow).toBe('POST')
  })
})

describe('Authorization given twice', () => {
  it('is refused, whichever token comes first, on /api and /mcp', async () => {
    for (const path of ['/api/v1/contacts', '/mcp']) {
      for (const order of [
        [readOnly, token],
        [token, readOnly],
      ]) {
        const res = await rawRequest(server.url, {
          method: 'POST',
          path,
          headers: {
            authorization: order.map((t) => `Bearer ${t}`),
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify({ email: 'twice@example.org' }),
        })
        expect(res.status, path).toBe(401)
        expect(res.headers['www-authenticate']).toContain('error="invalid_request"')
      }
    }
    const list = await call('GET', '/api/v1/contacts?q=twice', { token })
    expect(list.json.data).toEqual([])
  })
})

describe('operations that take no body', () => {
  it('refuse a body they would not read: unknown fields 400, another media type 415', async () => {
    const id = await endpoint()
    const path = `/api/v1/webhooks/${id}/rotate-secret`
    const unknown = await call('POST', path, { token, body: { a: 1 } })
    expect(unknown.status).toBe(400)
    expect(unknown.json.errors).toEqual([{ field: 'a', message: 'Unknown field' }])
    const text = await call('POST', path, {
      token,
      body: 'garbage',
      headers: { 'content-type': 'text/plain' },
    })
    expect(text.status).toBe(415)
    const notJson = await call('POST', path, { token, body: 'garbage' })
    expect(notJson.status).toBe(400)
    // Nothing rotated by the refusals; no body, or `{}`, still works.
    const hooks = (await call('GET', '/api/v1/webhooks', { token })).json.data as { id: string }[]
    expect(hooks.find((h) => h.id === id)).toMatchObject({ previous_secret_expires_at: null })
    expect((await call('POST', path, { token })).status).toBe(200)
    // `{}` is read as no body: refused only as a second rotation within the 24 hours' overlap.
    expect((await call('POST', path, { token, body: {} })).status).toBe(409)
    const redeliver = `/api/v1/webhooks/${id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`
    expect((await call('POST', redeliver, { token, body: { again: true } })).status).toBe(400)
    expect((await call('DELETE', `/api/v1/webhooks/${id}`, { token, body: { force: true } })).status).toBe(
      400,
    )
  })

  it('put what was sent in the Idempotency-Key’s fingerprint', async () => {
    const id = await endpoint()
    const path = `/api/v1/webhooks/${id}/rotate-secret`
    const headers = { 'idempotency-key': `rotate-${id}` }
    const first = await call('POST', path, { token, headers })
    expect(first.status).toBe(200)
    expect((await call('POST', path, { token, headers })).headers.get('idempotent-replayed')).toBe('true')
    const other = await call('POST', path, { token, headers, body: {} })
    expect(other.status).toBe(422)
    expect(other.json.type).toMatch(/idempotency-key-reused$/)
  })
})

describe('validation problems', () => {
  it('limit is a whole number written in decimal digits, on every list', async () => {
    for (const list of ['/api/v1/tickets', '/api/v1/contacts', '/api/v1/tags', '/api/v1/members']) {
      for (const limit of ['0x5', '5e0', '+5', '5.0', '%205', '01', '5%20', '-0', '']) {
        const res = await call('GET', `${list}?limit=${limit}`, { token })
        expect(res.status, `${list} limit=${limit}`).toBe(400)
        expect(res.json.detail).toBe('Check limit: limit must be a whole number.')
      }
      expect((await call('GET', `${list}?limit=5`, { token })).status).toBe(200)
      expect((await call('GET', `${list}?limit=100`, { token })).status).toBe(200)
      expect((await call('GET', `${list}?limit=101`, { token })).json.detail).toBe(
        'Check limit: limit must be between 1 and 100.',
      )
    }
  })

  it('an unknown field in a PATCH is named alone, not with an unnamed "(body)"', async () => {
    const id = await endpoint()
    const res = await call('PATCH', `/api/v1/webhooks/${id}`, { token, body: { secret: 'whsec_x' } })
    expect(res.status).toBe(400)
    expect(res.json.detail).toBe('Check secret: Unknown field.')
    expect(res.json.errors).toEqual([{ field: 'secret', message: 'Unknown field' }])
    const empty = await call('PATCH', `/api/v1/webhooks/${id}`, { token, body: {} })
    expect(empty.json.detail).toBe('Check the body: Change at least one field.')
  })

  it('a validation 400 claims no Idempotency-Key: the corrected request runs with it', async () => {
    const headers = { 'idempotency-key': 'fix-and-retry' }
    const bad = await call('POST', '/api/v1/contacts', { token, headers, body: { email: 'not an email' } })
    expect(bad.status).toBe(400)
    const fixed = await call('POST', '/api/v1/contacts', {
      token,
      headers,
      body: { email: 'fixed@example.org' },
    })
    expect(fixed.status, fixed.text).toBe(201)
  })
})

async function endpoint() {
  const hook = await call('POST', '/api/v1/webhooks', {
    token,
    body: {
      url: `https://hooks.example.com/${Math.random().toString(36).slice(2)}`,
      events: ['contact.created'],
    },
  })
  expect(hook.status, hook.text).toBe(201)
  return hook.json.id as string
}
