import { count, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { workspaces } from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { SLUG_CHECK_LIMIT } from '#app/domain/slug-availability.server.ts'
import * as availabilityRoute from '#app/routes/signup_.slug-available.ts'
import * as signupRoute from '#app/routes/signup.tsx'
import { createMember, createWorkspace } from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Signup queues the verify-email email.
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

let nextIp = 1
/** Each test asks from its own address, so the per-address limit is its own. */
function freshIp() {
  nextIp += 1
  return `198.51.100.${nextIp}`
}

/** The route answers a JSON Response (a resource route): its body parsed. */
async function check(slug: string, clientIp: string, cookie?: string) {
  const result = await callLoader(
    availabilityRoute,
    `/signup/slug-available?${new URLSearchParams({ slug })}`,
    {
      context: { ...testContext(), clientIp },
      cookie,
    },
  )
  expect(result.headers.get('content-type')).toMatch(/^application\/json/)
  return { ...result, data: JSON.parse(result.data as string) as Record<string, unknown> }
}

describe('GET /signup/slug-available', () => {
  it('answers available or taken, and nothing else about the workspace', async () => {
    const ip = freshIp()
    await createWorkspace({ slug: 'globex', name: 'Globex Secret Project' })
    const taken = await check('globex', ip)
    expect(taken.status).toBe(200)
    expect(taken.data).toEqual({ available: false })
    expect(taken.headers.get('cache-control')).toBe('no-store')
    const free = await check('globex-two', ip)
    expect(free.data).toEqual({ available: true })
    // As signup would store it: trimmed and lowercased.
    expect((await check(' GLOBEX ', ip)).data).toEqual({ available: false })
  })

  it.each(['settings', 'api', 'new', 'admin', 'support', 'login', 'signup', 'dev'])(
    'calls the reserved slug %s not available',
    async (slug) => {
      expect((await check(slug, freshIp())).data).toEqual({ available: false })
    },
  )

  it.each(['', 'a', '-acme', 'acme-', 'ac me', 'a'.repeat(41), "x' or '1'='1"])(
    'calls the malformed slug %j not available',
    async (slug) => {
      expect((await check(slug, freshIp())).data).toEqual({ available: false })
    },
  )

  it('needs no session and gives a signed-in member the same answer', async () => {
    const member = await createMember('owner')
    const ip = freshIp()
    expect((await check(member.workspace.slug, ip, member.cookie)).data).toEqual({ available: false })
    expect((await check(member.workspace.slug, ip)).data).toEqual({ available: false })
  })

  it(`allows ${SLUG_CHECK_LIMIT.max} checks a minute per address, then 429 with Retry-After and no answer`, async () => {
    const ip = freshIp()
    for (let i = 0; i < SLUG_CHECK_LIMIT.max; i++) {
      expect((await check(`probe-${i}`, ip)).status).toBe(200)
    }
    const refused = await check('globex', ip)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused.data).not.toHaveProperty('available')
    // Another address is not affected.
    expect((await check('probe-0', freshIp())).status).toBe(200)
  })
})

describe('signup without JavaScript', () => {
  it('makes the workspace URL from its name when the URL is left empty', async () => {
    const result = await callAction(
      signupRoute,
      '/signup',
      {
        name: 'Fox Mulder',
        email: 'fox@example.com',
        password: 'a sufficiently long password',
        workspaceName: 'Café Déjà Vu Support',
        workspaceSlug: '',
      },
      { context: { ...testContext(), clientIp: freshIp() } },
    )
    expect(result.status).toBe(302)
    expect(result.location).toBe('/w/cafe-deja-vu-support')
    const [row] = await getDb()
      .select({ n: count() })
      .from(workspaces)
      .where(eq(workspaces.slug, 'cafe-deja-vu-support'))
    expect(row!.n).toBe(1)
  })
})
