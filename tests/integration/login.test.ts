import { performance } from 'node:perf_hooks'
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { rateLimitCounters, sessions } from '#db/schema.ts'
import { LOGIN_IP_LIMIT, LOGIN_LIMIT } from '#app/domain/login-attempts.server.ts'
import { hashStats, timingDummyHash } from '#app/domain/passwords.server.ts'
import * as loginRoute from '#app/routes/login.tsx'
import { createUser, PASSWORD, signIn } from '#tests/helpers/factories.ts'
import { recordHashStarts } from '#tests/helpers/hash-starts.ts'
import { callAction, callLoader, cookieFrom, testContext } from '#tests/helpers/routes.ts'
import { waitFor } from '#tests/helpers/wait.ts'

// testContext() reports this client address; the limiter key is email + IP.
const IP = '203.0.113.7'

function login(email: string, password: string, extra: Record<string, string> = {}, ip = IP) {
  return callAction(
    loginRoute,
    '/login',
    { email, password, ...extra },
    { context: { ...testContext(), clientIp: ip } },
  )
}

/** Failed attempts counted for this email from this address (all windows). */
async function hitsFor(email: string, ip = IP) {
  const rows = await getDb()
    .select({ hits: rateLimitCounters.hits })
    .from(rateLimitCounters)
    .where(eq(rateLimitCounters.key, `login:${email.toLowerCase()}:${ip}`))
  return rows.reduce((total, row) => total + row.hits, 0)
}

/** Failed attempts counted for this address across all emails (all windows). */
async function ipHits(ip: string) {
  const rows = await getDb()
    .select({ hits: rateLimitCounters.hits })
    .from(rateLimitCounters)
    .where(eq(rateLimitCounters.key, `login-ip:${ip}`))
  return rows.reduce((total, row) => total + row.hits, 0)
}

/** Moves a key's counters two windows back: as if its attempts were made that long ago. */
async function age(key: string, windowMs: number) {
  const by = sql`${2 * windowMs} * interval '1 millisecond'`
  await getDb()
    .update(rateLimitCounters)
    .set({
      windowStart: sql`${rateLimitCounters.windowStart} - ${by}`,
      expiresAt: sql`${rateLimitCounters.expiresAt} - ${by}`,
    })
    .where(eq(rateLimitCounters.key, key))
}

let ipCounter = 0
const freshIp = () => `198.51.100.${++ipCounter}`

async function timed<T>(run: () => Promise<T>) {
  const start = performance.now()
  const value = await run()
  return { value, ms: performance.now() - start }
}

function median(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

describe('login', () => {
  it('signs a user in with a session cookie backed by a sessions row and redirects home', async () => {
    const user = await createUser()
    const result = await login(user.email, PASSWORD)
    expect(result.status).toBe(302)
    expect(result.location).toBe('/')
    expect(result.headers.get('set-cookie')).toMatch(/__sb_session=.+HttpOnly/i)
    const rows = await getDb().select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id))
    expect(rows).toHaveLength(1)
    // The new cookie is accepted: the login page now sends the visitor on.
    const page = await callLoader(loginRoute, '/login', { cookie: cookieFrom(result) })
    expect(page.status).toBe(302)
  })

  it('gives the same answer for a wrong password and an unknown email', async () => {
    const user = await createUser()
    const wrong = await login(user.email, 'not the right password')
    const unknown = await login('nobody-here@example.com', PASSWORD)
    for (const result of [wrong, unknown]) {
      expect(result.status).toBe(400)
      expect(result.headers.get('set-cookie')).toBeNull()
      expect(result.data.result.error['']).toEqual(['Invalid email or password'])
    }
    expect(wrong.data.result.error).toEqual(unknown.data.result.error)
  })

  it('takes about as long for an unknown email as for a wrong password', async () => {
    const user = await createUser()
    // Warm up both paths (the dummy hash is computed once, lazily).
    await login(user.email, 'warm-up password')
    await login('warm-up@example.com', 'warm-up password')
    const wrong: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 5; i++) {
      let start = performance.now()
      await login(user.email, `wrong password ${i}`)
      wrong.push(performance.now() - start)
      start = performance.now()
      await login(`unknown-${i}@example.com`, `wrong password ${i}`)
      unknown.push(performance.now() - start)
    }
    const ratio = median(unknown) / median(wrong)
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(2)
  })

  it('compares emails case-insensitively', async () => {
    const user = await createUser({ email: 'Mixed.Case@Example.com' })
    const result = await login('  mixed.case@EXAMPLE.COM ', PASSWORD)
    expect(result.status).toBe(302)
    const [row] = await getDb()
      .select({ userId: sessions.userId })
      .from(sessions)
      .where(eq(sessions.userId, user.id))
    expect(row.userId).toBe(user.id)
  })

  it('keeps the typed email but never echoes the password', async () => {
    const result = await login('someone@example.com', 'a secret password')
    expect(result.status).toBe(400)
    expect(result.data.result.initialValue.email).toBe('someone@example.com')
    expect(result.data.result.initialValue.password).toBeUndefined()
    expect(JSON.stringify(result.data)).not.toContain('a secret password')
  })

  it('rejects an invalid email with a field error and records no attempt', async () => {
    const result = await login('not-an-email', 'whatever password')
    expect(result.status).toBe(400)
    expect(result.data.result.error.email).toEqual(['Enter a valid email address'])
    expect(result.data.result.initialValue.password).toBeUndefined()
    expect(await hitsFor('not-an-email')).toBe(0)
  })

  describe('rate limiting', () => {
    it('refuses the 11th attempt within 15 minutes with 429, even with the right password', async () => {
      const user = await createUser()
      for (let i = 0; i < 10; i++) {
        const result = await login(user.email, `wrong password ${i}`)
        expect(result.status).toBe(400)
      }
      // Stored in PostgreSQL, so every app instance sees the same count.
      expect(await hitsFor(user.email)).toBe(10)

      const limited = await login(user.email, 'yet another wrong one')
      expect(limited.status).toBe(429)
      expect(limited.data.result.error[''][0]).toMatch(/Too many failed sign-in attempts.*15 minutes/)
      expect(limited.data.result.initialValue.password).toBeUndefined()

      const correct = await login(user.email.toUpperCase(), PASSWORD)
      expect(correct.status).toBe(429)
      expect(correct.headers.get('set-cookie')).toBeNull()
      const rows = await getDb().select().from(sessions).where(eq(sessions.userId, user.id))
      expect(rows).toHaveLength(0)
    })

    it('counts per email and IP: another address can still sign in', async () => {
      const user = await createUser()
      for (let i = 0; i < 10; i++) await login(user.email, `wrong password ${i}`)
      expect((await login(user.email, PASSWORD)).status).toBe(429)
      expect((await login(user.email, PASSWORD, {}, '198.51.100.20')).status).toBe(302)
    })

    it('forgets attempts older than 15 minutes', async () => {
      const user = await createUser()
      for (let i = 0; i < 10; i++) await login(user.email, `wrong password ${i}`)
      expect((await login(user.email, PASSWORD)).status).toBe(429)
      await age(`login:${user.email.toLowerCase()}:${IP}`, LOGIN_LIMIT.windowMs)
      expect((await login(user.email, PASSWORD)).status).toBe(302)
    })

    it('clears the failed attempts after a successful sign-in', async () => {
      const user = await createUser()
      for (let i = 0; i < 3; i++) await login(user.email, `wrong password ${i}`)
      expect(await hitsFor(user.email)).toBe(3)
      expect((await login(user.email, PASSWORD)).status).toBe(302)
      expect(await hitsFor(user.email)).toBe(0)
    })

    it('tries at most 10 of 60 parallel wrong passwords for one account, refusing the rest before hashing', async () => {
      const user = await createUser()
      const ip = freshIp()
      const before = hashStats()
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => timed(() => login(user.email, `wrong password ${i}`, {}, ip))),
      )
      const tried = results.filter((r) => r.value.status === 400)
      const refused = results.filter((r) => r.value.status === 429)
      expect(tried).toHaveLength(LOGIN_LIMIT.max)
      expect(refused).toHaveLength(60 - LOGIN_LIMIT.max)
      expect(await hitsFor(user.email, ip)).toBe(LOGIN_LIMIT.max)
      // Refused before hashing: only the tried attempts ran scrypt.
      expect(hashStats().derivations - before.derivations).toBe(LOGIN_LIMIT.max)
      expect((await login(user.email, PASSWORD, {}, ip)).status).toBe(429)
    })

    it('caps failures per address across all emails (password spraying), before hashing', async () => {
      const ip = freshIp()
      await timingDummyHash() // unknown emails verify against it: computed once, outside the count
      const before = hashStats()
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          timed(() => login(`sprayed-${i}-${ip}@example.com`, 'Summer2026!', {}, ip)),
        ),
      )
      const tried = results.filter((r) => r.value.status === 400)
      const refused = results.filter((r) => r.value.status === 429)
      expect(tried).toHaveLength(LOGIN_IP_LIMIT.max)
      expect(refused).toHaveLength(60 - LOGIN_IP_LIMIT.max)
      expect(hashStats().derivations - before.derivations).toBe(LOGIN_IP_LIMIT.max)
      // Even a right password from that address waits; the account itself is not locked.
      const user = await createUser()
      expect((await login(user.email, PASSWORD, {}, ip)).status).toBe(429)
      expect((await login(user.email, PASSWORD, {}, freshIp())).status).toBe(302)
      // Once the window has passed, the address can sign in again.
      await age(`login-ip:${ip}`, LOGIN_IP_LIMIT.windowMs)
      expect((await login(user.email, PASSWORD, {}, ip)).status).toBe(302)
    })

    it('does not count successful sign-ins against the per-address cap', async () => {
      const ip = freshIp()
      const user = await createUser()
      for (let i = 0; i < 3; i++) expect((await login(user.email, PASSWORD, {}, ip)).status).toBe(302)
      expect(await ipHits(ip)).toBe(0)
    })
  })

  describe('under a flood of wrong passwords from many addresses', () => {
    /** Every flood request has reached the hash queue: hashed, waiting, or refused before hashing. */
    function settled(before: ReturnType<typeof hashStats>, requests: number) {
      const now = hashStats()
      return now.derivations - before.derivations + now.waiting + (now.shed - before.shed) >= requests
    }

    it("signs a real user in as soon as a running hash finishes, however many of the flood's wait", async () => {
      const user = await createUser()
      await timingDummyHash()
      const before = hashStats()
      const reached = (stats: ReturnType<typeof hashStats>) =>
        stats.derivations + stats.waiting + stats.shed - (before.derivations + before.waiting + before.shed)
      const addresses = Array.from({ length: 24 }, (_, i) => `10.80.${i}.1`)
      const recorder = recordHashStarts()
      try {
        // The first round of a flood from addresses without failures, as clean as the real user's.
        // In arrival order the real sign-in waited for all their hashes (80 of them: 22-28 s on 2 CPUs).
        const flood = addresses.map((ip, i) => login(`flood-${i}@example.com`, 'not the password', {}, ip))
        await waitFor(() => settled(before, addresses.length))
        expect(hashStats().waiting).toBeGreaterThan(12) // most of the flood's hashes wait
        const real = await recorder.as('real', () => login(user.email, PASSWORD, {}, freshIp()))
        expect(real.status).toBe(302)

        // Its hash took the first slot that freed once it had reached the queue: no flood hash
        // started while it waited, and the flood's hashes waiting then all started after it. Read
        // from the order the hashes started in, not from how many started between the request's
        // arrival and its answer: that counted the flood hashes the other slots ran meanwhile, and
        // with the database as slow as the hashes (load average 17-27) 9 started for a bound of 5.
        const own = recorder.starts.findIndex((start) => start.label === 'real')
        expect(own).not.toBe(-1)
        const startedAfterItQueued = recorder.starts
          .slice(0, own)
          .filter((start) => reached(start.stats) === addresses.length + 1)
        expect(startedAfterItQueued).toEqual([])
        // And some were waiting as it started (it went ahead of them): its request reached the
        // queue before the other slot had run the dozen hashes still waiting.
        expect(recorder.starts[own]!.stats.waiting).toBeGreaterThan(0)

        // The flood is answered as before, every attempt hashed (it is far from the queue's bound).
        const results = await Promise.all(flood)
        expect(results.every((r) => r.status === 400)).toBe(true)
        expect(hashStats().derivations - before.derivations).toBe(addresses.length + 1)
        expect(hashStats().shed - before.shed).toBe(0)
      } finally {
        recorder.stop()
      }
      // 25 hashes on 2 CPUs: about 12 s at a load average of 18, past 30 s at 30. It measures no time.
    }, 60_000)
  })

  describe('redirectTo', () => {
    it.each([
      ['a same-origin path', '/w/x', '/w/x'],
      ['a protocol-relative URL', '//evil.com', '/'],
      ['an absolute URL', 'https://evil.com', '/'],
      ['a backslash trick', '/\\evil.com', '/'],
    ])('after signing in, follows %s only when it stays on this site', async (_, redirectTo, expected) => {
      const user = await createUser()
      const result = await login(user.email, PASSWORD, { redirectTo })
      expect(result.status).toBe(302)
      expect(result.location).toBe(expected)
    })

    it.each([
      ['/w/x', '/w/x'],
      ['//evil.com', '/'],
      ['https://evil.com', '/'],
      ['/\\evil.com', '/'],
    ])('sends a signed-in visitor of /login?redirectTo=%s to %s', async (redirectTo, expected) => {
      const user = await createUser()
      const { cookie } = await signIn(user.id)
      const result = await callLoader(loginRoute, `/login?redirectTo=${encodeURIComponent(redirectTo)}`, {
        cookie,
      })
      expect(result.status).toBe(302)
      expect(result.location).toBe(expected)
    })

    it('shows the form to a signed-out visitor', async () => {
      const result = await callLoader(loginRoute, '/login?redirectTo=%2Fw%2Fx')
      expect(result.status).toBe(200)
      expect(result.data).toEqual({ email: null })
    })
  })
})
