import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROBLEM_BASE } from '#app/api/problem.server.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { rawRequest } from '#tests/helpers/raw-http.ts'

// Refusals made before Remix (request target, Host, origin) over the real app: the token API's
// clients parse RFC 9457 problem+json, so /api gets that shape; every other path keeps plain text.
let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer({ appEnv: 'production', sockets: false })
})
afterAll(async () => {
  await server?.close()
})

function expectProblem(
  response: { status: number; headers: Record<string, unknown>; body: string },
  status: number,
) {
  expect(response.status).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = JSON.parse(response.body) as Record<string, unknown>
  expect(body).toMatchObject({ status, type: expect.stringMatching(new RegExp(`^${PROBLEM_BASE}`)) })
  expect(typeof body.title).toBe('string')
  expect(typeof body.detail).toBe('string')
  expect(response.body).not.toMatch(/at .*\.ts:\d+/)
  return body
}

describe('refusals before the API runner', () => {
  it('answers an unknown Host on /api with a problem+json 400, and plain text elsewhere', async () => {
    for (const path of ['/api/v1/tickets', '/api/v1/openapi.json', '/api', '/api?x=1']) {
      const response = await rawRequest(server.url, { path, headers: { host: 'rebind.evil.example' } })
      const body = expectProblem(response, 400)
      expect(body).toMatchObject({ type: `${PROBLEM_BASE}bad-request`, detail: 'Unknown host' })
    }
    const post = await rawRequest(server.url, {
      method: 'POST',
      path: '/api/v1/tickets',
      headers: { host: 'rebind.evil.example', 'content-type': 'application/json' },
      body: '{}',
    })
    expectProblem(post, 400)
    const page = await rawRequest(server.url, { path: '/login', headers: { host: 'rebind.evil.example' } })
    expect(page.status).toBe(400)
    expect(page.headers['content-type']).toMatch(/^text\/plain/)
    expect(page.body).toBe('Unknown host')
  })

  it('answers a malformed request target under /api with a problem+json 400', async () => {
    for (const path of ['/api/v1/tickets/%zz', '/api/v1/%00', '/api/v1/tickets/%E0%A4%A']) {
      const response = await rawRequest(server.url, { path })
      const body = expectProblem(response, 400)
      expect(body.type).toBe(`${PROBLEM_BASE}bad-request`)
    }
    const page = await rawRequest(server.url, { path: '/w/%zz' })
    expect(page.status).toBe(400)
    expect(page.headers['content-type']).toMatch(/^text\/plain/)
  })

  it('answers a cross-origin post to /api outside the exempt paths with a problem+json 403', async () => {
    const response = await rawRequest(server.url, {
      method: 'POST',
      path: '/api',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    })
    const body = expectProblem(response, 403)
    expect(body.type).toBe(`${PROBLEM_BASE}forbidden`)
  })

  it('does not take a path that only starts with "api" for the API', async () => {
    const response = await rawRequest(server.url, {
      path: '/apiary',
      headers: { host: 'rebind.evil.example' },
    })
    expect(response.headers['content-type']).toMatch(/^text\/plain/)
  })
})
