import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { sessions, users, workspaces } from '#db/schema.ts'
import { FORM_TOO_LARGE_MESSAGE } from '#app/http/form-data.server.ts'
import { createMember, createUser, PASSWORD, signIn } from '#tests/helpers/factories.ts'
import { announcedPost as announcedPostTo } from '#tests/helpers/announced-post.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server.close()
})

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(server.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  })
}

describe('health checks', () => {
  it('answers /healthz and /readyz with JSON when the database is migrated', async () => {
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok' })
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({
      status: 'ok',
      database: 'ok',
      migrations: 'applied',
      jobs: { deadLetters: 0 },
    })
  })

  it('reports 503 from /readyz while a migration is not applied', async () => {
    const { pool } = await import('#db/client.ts').then((m) => m.database())
    const { rows } = await pool.query('select id, hash, created_at from drizzle.__drizzle_migrations')
    await pool.query('delete from drizzle.__drizzle_migrations')
    try {
      const ready = await fetch(`${server.url}/readyz`)
      expect(ready.status).toBe(503)
      expect(await ready.json()).toMatchObject({ migrations: 'pending' })
    } finally {
      for (const row of rows) {
        await pool.query(
          'insert into drizzle.__drizzle_migrations (id, hash, created_at) values ($1, $2, $3)',
          [row.id, row.hash, row.created_at],
        )
      }
    }
  })
})

describe('every response', () => {
  it('carries a request id, a CSP whose nonce is the one on the page scripts, and hardening headers', async () => {
    const [a, b] = await Promise.all([fetch(`${server.url}/login`), fetch(`${server.url}/login`)])
    expect(a.status).toBe(200)
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'))
    const csp = a.headers.get('content-security-policy')!
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]
    expect(csp).toContain("'strict-dynamic'")
    expect(csp).toMatch(/script-src 'nonce-[^']+' 'strict-dynamic';/)
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("base-uri 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(b.headers.get('content-security-policy')).not.toContain(nonce)
    const html = await a.text()
    const scripts = html.match(/<script[^>]*>/g) ?? []
    expect(scripts.length).toBeGreaterThan(0)
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`)
    expect(a.headers.get('x-content-type-options')).toBe('nosniff')
    expect(a.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
  })
})

describe('cross-origin protection', () => {
  it('refuses a cross-origin POST that carries a valid session cookie, and writes nothing', async () => {
    const user = await createUser({ name: 'Before' })
    const { cookie } = await signIn(user.id)
    const response = await post(
      '/account',
      { intent: 'name', name: 'After' },
      { cookie, origin: 'https://evil.example' },
    )
    expect(response.status).toBe(403)
    const [row] = await getDb().select({ name: users.name }).from(users).where(eq(users.id, user.id))
    expect(row.name).toBe('Before')
  })

  it("takes the browser's time zone only from its own origin, answering 204 (not a redirect) when stored", async () => {
    const user = await createUser({ name: 'Zone Less' })
    const { cookie } = await signIn(user.id)
    const zoneOf = async () =>
      (await getDb().select({ timeZone: users.timeZone }).from(users).where(eq(users.id, user.id)))[0]!
        .timeZone
    const cross = await post(
      '/account/time-zone',
      { timeZone: 'Asia/Tokyo' },
      { cookie, origin: 'https://evil.example' },
    )
    expect(cross.status).toBe(403)
    expect(await zoneOf()).toBeNull()
    const same = await post('/account/time-zone', { timeZone: 'Asia/Tokyo' }, { cookie, origin: server.url })
    expect(same.status).toBe(204)
    expect(await zoneOf()).toBe('Asia/Tokyo')
  })

  it('refuses a cross-site login POST (login CSRF) and a POST with neither Origin nor Sec-Fetch-Site', async () => {
    const crossSite = await post(
      '/login',
      { email: 'a@example.com', password: 'x' },
      { 'sec-fetch-site': 'cross-site' },
    )
    expect(crossSite.status).toBe(403)
    const bare = await post('/login', { email: 'a@example.com', password: 'x' })
    expect(bare.status).toBe(403)
  })

  it('accepts a same-origin form post', async () => {
    const user = await createUser({ name: 'Same Origin' })
    const { cookie } = await signIn(user.id)
    const response = await post(
      '/account',
      { intent: 'name', name: 'Renamed' },
      { cookie, origin: server.url },
    )
    expect(response.status).toBe(200)
    const [row] = await getDb().select({ name: users.name }).from(users).where(eq(users.id, user.id))
    expect(row.name).toBe('Renamed')
  })

  it('answers 413 to a form body over 1 MB', async () => {
    const response = await post(
      '/login',
      { email: 'a@example.com', password: 'x'.repeat(1_100_000) },
      { origin: server.url },
    )
    expect(response.status).toBe(413)
  })

  /** 1 MB announced, the first KB sent: answered on its length. */
  const announcedPost = (path: string, announced: number) =>
    announcedPostTo(server.url + path, {
      announced,
      sent: `email=a%40example.com&password=${'x'.repeat(1_000)}`,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: server.url,
        'x-forwarded-for': '192.0.2.77',
      },
    })

  it('answers 413 with its message to a sign-in, signup, reset or invitation post over 16 KB, before reading it', async () => {
    for (const path of [
      '/login',
      '/signup',
      '/forgot-password',
      '/reset-password/no-such-token',
      '/invite/no-such-token',
    ]) {
      const answer = await announcedPost(path, 1_000_000)
      expect(answer.status, path).toBe(413)
      expect(answer.type, path).toMatch(/^text\/html/)
      expect(answer.body, path).toContain(FORM_TOO_LARGE_MESSAGE)
    }
    // With JavaScript: the same post to `.data`.
    const data = await announcedPost('/login.data', 1_000_000)
    expect(data.status).toBe(413)
    expect(data.body).toContain(FORM_TOO_LARGE_MESSAGE)
    // A post of 16 KB is still read and judged (a wrong password).
    const within = await post(
      '/login',
      { email: 'a@example.com', password: 'x', pad: 'y'.repeat(16_000) },
      {
        origin: server.url,
        'x-forwarded-for': '192.0.2.78',
      },
    )
    expect(within.status).toBe(400)
    expect(await within.text()).toContain('Invalid email or password')
  })
})

describe('the sign-in page’s redirect target', () => {
  /** How many times `marker` occurs in the page's HTML, as it is or percent-encoded. */
  const occurrences = (html: string, marker: string) => html.split(marker).length - 1

  it('holds a long redirectTo once, the rest of the query string never, and signs in to it', async () => {
    const target = `/w/acme/tickets?q=${'LongTarget'.repeat(190)}`
    const junk = 'JunkParam'.repeat(400)
    const page = await fetch(`${server.url}/login?${new URLSearchParams({ redirectTo: target, junk })}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(occurrences(html, 'LongTarget'.repeat(190))).toBe(1)
    expect(occurrences(html, 'JunkParam')).toBe(0)
    expect(html.length).toBeLessThan(40_000)

    // The form posts to the URL its action names, and signing in goes to the target.
    const action = html.match(/<form method="post" action="([^"]+)"/)![1]!.replaceAll('&amp;', '&')
    const user = await createUser()
    const signedIn = await post(action, { email: user.email, password: PASSWORD }, { origin: server.url })
    expect(signedIn.status).toBe(302)
    expect(signedIn.headers.get('location')).toBe(target)
  })

  it.each([
    ['another site', `//evil.example/${'Invalid'.repeat(200)}`],
    ['over 2,000 characters', `/w/acme/tickets?q=${'Invalid'.repeat(400)}`],
  ])('holds none of a redirectTo to %s', async (_what, target) => {
    const html = await (
      await fetch(`${server.url}/login?${new URLSearchParams({ redirectTo: target })}`)
    ).text()
    expect(occurrences(html, 'Invalid'.repeat(200))).toBe(0)
    expect(html).toMatch(/<form method="post" action="\/login"/)
  })
})

describe('workspace isolation over HTTP', () => {
  it('gives a member of workspace A a 404 for workspace B, exactly as for a workspace that does not exist', async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    const other = await fetch(`${server.url}/w/${b.workspace.slug}/settings/members`, {
      headers: { cookie: a.cookie },
    })
    const missing = await fetch(`${server.url}/w/no-such-workspace/settings/members`, {
      headers: { cookie: a.cookie },
    })
    expect(other.status).toBe(404)
    expect(missing.status).toBe(404)
    const rename = await post(
      `/w/${b.workspace.slug}/settings?index`,
      { name: 'Hijacked' },
      { cookie: a.cookie, origin: server.url },
    )
    expect(rename.status).toBe(404)
    const [row] = await getDb()
      .select({ name: workspaces.name })
      .from(workspaces)
      .where(eq(workspaces.id, b.workspace.id))
    expect(row.name).not.toBe('Hijacked')
  })

  it('gives an agent a 403 for an admin-only action', async () => {
    const agent = await createMember('agent')
    const response = await post(
      `/w/${agent.workspace.slug}/settings/members`,
      { intent: 'invite', email: 'new@example.com', role: 'agent' },
      { cookie: agent.cookie, origin: server.url },
    )
    expect(response.status).toBe(403)
  })
})

describe('sessions over HTTP', () => {
  it('renews a session that is more than a day old with a fresh 30-day cookie', async () => {
    const member = await createMember('agent')
    await getDb()
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() + 20 * 24 * 3600 * 1000) })
      .where(eq(sessions.id, member.sessionId))
    const response = await fetch(`${server.url}/w/${member.workspace.slug}`, {
      headers: { cookie: member.cookie },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('set-cookie')).toMatch(/__sb_session=.*Max-Age=2592000/)
    const [row] = await getDb().select().from(sessions).where(eq(sessions.id, member.sessionId))
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000)
  })

  it('redirects a signed-out visitor to the login page with a way back', async () => {
    const response = await fetch(`${server.url}/w/anything/settings`, { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/login?redirectTo=%2Fw%2Fanything%2Fsettings')
  })
})
