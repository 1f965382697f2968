import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// /api/v1 requests reach their route modules through app/api/dispatch.server.ts rather than
// Remix's handler: matching, the Request and the response must be what Remix gives them.

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>
let token: string
let number: number

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
  const owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
  number = (await createTicketFor(owner, { subject: 'Dispatched' })).number
})
afterAll(async () => {
  await server.close()
})

describe('the /api/v1 dispatch', () => {
  it('matches paths as Remix does: any case, trailing slashes, percent-encoded parameters', async () => {
    const list = await call('GET', '/API/V1/Tickets/?limit=1', { token })
    expect(list.status, list.text).toBe(200)
    expect(list.json.data).toHaveLength(1)
    const one = await call(
      'GET',
      `/api/v1/tickets/${encodeURIComponent(String(number)).replace('1', '%31')}`,
      {
        token,
      },
    )
    expect(one.status, one.text).toBe(200)
    expect(one.json.subject).toBe('Dispatched')
  })

  it('keeps the middleware’s headers and the runner’s, with one Content-Length body', async () => {
    const res = await fetch(`${server.url}/api/v1/tickets?limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const text = await res.text()
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('ratelimit-limit')).toBe('600')
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)))
  })

  it('answers HEAD with the GET’s status and headers and no body', async () => {
    const res = await fetch(`${server.url}/api/v1/tickets`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.text()).toBe('')
  })

  it('leaves paths no API route has, and refusals, to the same answers as before', async () => {
    const unknown = await call('GET', '/api/v1/tickets/1/nope', { token })
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).toBe('application/problem+json')
    const anonymous = await call('GET', '/api/v1/tickets')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="switchboard"')
    const put = await call('PUT', '/api/v1/tickets', { token, body: {} })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST')
  })
})
