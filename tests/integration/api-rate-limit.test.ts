import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { rateLimitCounters } from '#db/schema.ts'
import { revokeApiToken } from '#app/domain/api-tokens.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { asMember, createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

const LIMIT = 5
let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>

beforeAll(async () => {
  // A low limit for this file's process: env() is parsed once, so parse it again with it.
  process.env.API_RATE_LIMIT_PER_MINUTE = String(LIMIT)
  delete (globalThis as { __switchboardEnv?: unknown }).__switchboardEnv
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
})
afterAll(async () => {
  await server.close()
  delete process.env.API_RATE_LIMIT_PER_MINUTE
})

describe('per-token rate limit', () => {
  it('lets exactly the limit through in parallel, then answers 429 with Retry-After, per token', async () => {
    const member = await createMember('owner')
    const { token } = await apiTokenFor(member)
    const results = await Promise.all(
      Array.from({ length: LIMIT + 7 }, () => call('GET', '/api/v1/tags', { token })),
    )
    const ok = results.filter((r) => r.status === 200)
    const refused = results.filter((r) => r.status === 429)
    expect(ok).toHaveLength(LIMIT)
    expect(refused).toHaveLength(7)
    for (const r of ok) {
      expect(r.headers.get('ratelimit-limit')).toBe(String(LIMIT))
      expect(Number(r.headers.get('ratelimit-remaining'))).toBeLessThan(LIMIT)
      expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0)
    }
    expect(ok.map((r) => Number(r.headers.get('ratelimit-remaining'))).sort()).toEqual([0, 1, 2, 3, 4])
    for (const r of refused) {
      expect(r.headers.get('content-type')).toBe('application/problem+json')
      expect(r.json.type).toBe('https://switchboard.dev/problems/rate-limited')
      expect(r.headers.get('ratelimit-remaining')).toBe('0')
      const retryAfter = Number(r.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      // At most the rest of this minute plus the part of the next one it takes this minute's
      // hits (carried into the estimate) to fade below the limit: 60 s / LIMIT, rounded up.
      expect(retryAfter).toBeLessThanOrEqual(60 + Math.ceil(60 / LIMIT) + 1)
    }
    // Another token of the same workspace has its own budget.
    const { token: second } = await apiTokenFor(member)
    expect((await call('GET', '/api/v1/tags', { token: second })).status).toBe(200)
  })

  it('does not count requests without a valid token', async () => {
    const member = await createMember('owner')
    const { token } = await apiTokenFor(member)
    for (let i = 0; i < LIMIT + 2; i++) {
      expect(
        (await call('GET', '/api/v1/tags', { token: token.slice(0, -1) + (token.endsWith('0') ? '1' : '0') }))
          .status,
      ).toBe(401)
    }
    expect((await call('GET', '/api/v1/tags', { token })).status).toBe(200)
  })

  it('counts nothing for a revoked token, looked up in the same statement as the slot', async () => {
    const member = await createMember('owner')
    const { id, token } = await apiTokenFor(member)
    expect((await call('GET', '/api/v1/tags', { token })).status).toBe(200)
    await revokeApiToken(asMember(member), id)
    const refused = await Promise.all(
      Array.from({ length: LIMIT + 2 }, () => call('GET', '/api/v1/tags', { token })),
    )
    expect(refused.map((r) => r.status)).toEqual(Array.from({ length: LIMIT + 2 }, () => 401))
    expect(refused.every((r) => r.headers.get('ratelimit-limit') === null)).toBe(true)
    const [counter] = await getDb()
      .select({ hits: rateLimitCounters.hits })
      .from(rateLimitCounters)
      .where(eq(rateLimitCounters.key, `api:token:${id}`))
    expect(counter?.hits).toBe(1)
  })
})

describe('MCP shares the token budget', () => {
  const mcpPost = (token: string) =>
    fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    })

  it('counts REST and MCP requests of one token together, answering MCP 429 with the RateLimit headers', async () => {
    const member = await createMember('owner')
    const { token } = await apiTokenFor(member)
    for (let i = 0; i < 2; i++) expect((await call('GET', '/api/v1/tags', { token })).status).toBe(200)
    const results = await Promise.all(Array.from({ length: LIMIT }, () => mcpPost(token)))
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    const refused = results.find((r) => r.status === 429)!
    expect(refused.headers.get('ratelimit-remaining')).toBe('0')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await refused.json()).error.message).toBe('Too many requests')
    expect((await call('GET', '/api/v1/tags', { token })).status).toBe(429)
  })

  it('refuses a revoked token on MCP with 401, however often it is tried', async () => {
    const member = await createMember('owner')
    const { token, id } = await apiTokenFor(member)
    await revokeApiToken(asMember(member), id)
    for (let i = 0; i < LIMIT + 2; i++) expect((await mcpPost(token)).status).toBe(401)
  })
})
