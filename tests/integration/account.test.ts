import { createCookie } from '@remix-run/node'
import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, sessions, users } from '#db/schema.ts'
import { SESSION_TTL_MS } from '#app/domain/sessions.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import {
  readSession,
  renewSession,
  SESSION_COOKIE,
  sessionIdOf,
  SIGNED_HEADER_MAX_CHARS,
  SIGNED_SESSION_IDS_KEPT,
} from '#app/http/auth.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as loginRoute from '#app/routes/login.tsx'
import * as logoutRoute from '#app/routes/logout.tsx'
import { createUser, PASSWORD, signIn } from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

const DAY = 24 * 60 * 60 * 1000

// A password change queues its "Your password was changed" email.
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

async function signedInUser() {
  const user = await createUser({ name: 'Fox Mulder' })
  const current = await signIn(user.id)
  return { user, ...current }
}

function sessionIdsOf(userId: string) {
  return getDb()
    .select({ id: sessions.id })
    .from(sessions)
    .where(eq(sessions.userId, userId))
    .then((rows) => rows.map((r) => r.id).sort())
}

async function userRow(userId: string) {
  const [row] = await getDb()
    .select({ name: users.name, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId))
  return row
}

function auditOf(userId: string, action: string) {
  return getDb()
    .select({ data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.actorUserId, userId), eq(auditEvents.action, action)))
}

describe('account', () => {
  it('shows the account to its owner with the number of active sessions', async () => {
    const { user, cookie } = await signedInUser()
    await signIn(user.id)
    const result = await callLoader(accountRoute, '/account', { cookie })
    expect(result.status).toBe(200)
    expect(result.data).toMatchObject({
      name: 'Fox Mulder',
      email: user.email,
      sessions: 2,
      emailVerified: false,
    })
  })

  it('sends a signed-out visitor to the login page, coming back afterwards', async () => {
    const result = await callLoader(accountRoute, '/account')
    expect(result.status).toBe(302)
    expect(result.location).toBe('/login?redirectTo=%2Faccount')
  })

  describe('rename', () => {
    it('saves a new name and records it in the audit log', async () => {
      const { user, cookie } = await signedInUser()
      const result = await callAction(
        accountRoute,
        '/account',
        { intent: 'name', name: '  Dana  ' },
        { cookie },
      )
      expect(result.status).toBe(200)
      expect(result.data.notice).toBe('Name saved.')
      expect((await userRow(user.id)).name).toBe('Dana')
      expect(await auditOf(user.id, 'user.renamed')).toEqual([{ data: { name: 'Dana' } }])
    })

    it.each([
      ['an empty name', '   ', 'Name is required'],
      ['a name longer than 100 characters', 'x'.repeat(101), 'Use at most 100 characters'],
    ])('rejects %s with a field error and writes nothing', async (_, name, message) => {
      const { user, cookie } = await signedInUser()
      const result = await callAction(accountRoute, '/account', { intent: 'name', name }, { cookie })
      expect(result.status).toBe(400)
      expect(result.data.intent).toBe('name')
      expect(result.data.result.error.name).toEqual([message])
      expect((await userRow(user.id)).name).toBe('Fox Mulder')
      expect(await auditOf(user.id, 'user.renamed')).toHaveLength(0)
    })
  })

  describe('change password', () => {
    const NEW_PASSWORD = 'a brand new long password'

    it('refuses a wrong current password with a field error and changes nothing', async () => {
      const { user, cookie } = await signedInUser()
      const other = await signIn(user.id)
      const before = await userRow(user.id)
      const result = await callAction(
        accountRoute,
        '/account',
        { intent: 'password', currentPassword: 'not my password', newPassword: NEW_PASSWORD },
        { cookie },
      )
      expect(result.status).toBe(400)
      expect(result.data.result.error.currentPassword).toEqual(['Current password is incorrect'])
      expect(result.data.result.initialValue.currentPassword).toBeUndefined()
      expect(result.data.result.initialValue.newPassword).toBeUndefined()
      expect((await userRow(user.id)).passwordHash).toBe(before.passwordHash)
      expect(await sessionIdsOf(user.id)).toContain(other.sessionId)
      expect(await auditOf(user.id, 'user.password-changed')).toHaveLength(0)
    })

    it('refuses a new password that is too short', async () => {
      const { user, cookie } = await signedInUser()
      const before = await userRow(user.id)
      const result = await callAction(
        accountRoute,
        '/account',
        { intent: 'password', currentPassword: PASSWORD, newPassword: 'short' },
        { cookie },
      )
      expect(result.status).toBe(400)
      expect(result.data.result.error.newPassword).toEqual(['Use at least 12 characters'])
      expect(result.data.result.initialValue.newPassword).toBeUndefined()
      expect((await userRow(user.id)).passwordHash).toBe(before.passwordHash)
    })

    it('changes the password and revokes every other session of the user, live ones included', async () => {
      const { user, cookie, sessionId } = await signedInUser()
      const laptop = await signIn(user.id)
      const phone = await signIn(user.id)
      const stranger = await signedInUser()
      const calls: RealtimeCalls = { disconnected: [], removed: [] }

      const result = await callAction(
        accountRoute,
        '/account',
        { intent: 'password', currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        { cookie, context: testContext(calls) },
      )
      expect(result.status).toBe(200)
      expect(result.data.notice).toMatch(/Password changed/)
      expect(await sessionIdsOf(user.id)).toEqual([sessionId])
      expect(await sessionIdsOf(stranger.user.id)).toEqual([stranger.sessionId])
      expect(calls.disconnected.sort()).toEqual([laptop.sessionId, phone.sessionId].sort())

      const revoked = await callLoader(accountRoute, '/account', { cookie: laptop.cookie })
      expect(revoked.status).toBe(302)
      expect(revoked.location).toMatch(/^\/login/)
      expect((await callLoader(accountRoute, '/account', { cookie })).status).toBe(200)

      expect(await auditOf(user.id, 'user.password-changed')).toHaveLength(1)
      const oldPassword = await callAction(loginRoute, '/login', { email: user.email, password: PASSWORD })
      expect(oldPassword.status).toBe(400)
      const newPassword = await callAction(loginRoute, '/login', {
        email: user.email,
        password: NEW_PASSWORD,
      })
      expect(newPassword.status).toBe(302)
    })
  })

  it('signs out of all other devices but keeps the current session', async () => {
    const { user, cookie, sessionId } = await signedInUser()
    const other = await signIn(user.id)
    const calls: RealtimeCalls = { disconnected: [], removed: [] }
    const result = await callAction(
      accountRoute,
      '/account',
      { intent: 'sign-out-others' },
      { cookie, context: testContext(calls) },
    )
    expect(result.status).toBe(200)
    expect(result.data.notice).toBe('Signed out of 1 other session.')
    expect(await sessionIdsOf(user.id)).toEqual([sessionId])
    expect(calls.disconnected).toEqual([other.sessionId])
    expect((await callLoader(accountRoute, '/account', { cookie: other.cookie })).status).toBe(302)
    expect((await callLoader(accountRoute, '/account', { cookie })).status).toBe(200)
  })

  it('rejects an unknown intent without touching anything', async () => {
    const { user, cookie } = await signedInUser()
    const other = await signIn(user.id)
    const result = await callAction(accountRoute, '/account', { intent: 'delete-everything' }, { cookie })
    expect(result.status).toBe(400)
    expect(await sessionIdsOf(user.id)).toContain(other.sessionId)
  })

  describe('logout', () => {
    it('deletes the session row, clears the cookie and disconnects its sockets', async () => {
      const { user, cookie, sessionId } = await signedInUser()
      const other = await signIn(user.id)
      const calls: RealtimeCalls = { disconnected: [], removed: [] }
      const result = await callAction(logoutRoute, '/logout', {}, { cookie, context: testContext(calls) })
      expect(result.status).toBe(302)
      expect(result.location).toBe('/login')
      expect(result.headers.get('set-cookie')).toMatch(
        new RegExp(`^${SESSION_COOKIE}=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)`, 'i'),
      )
      expect(await sessionIdsOf(user.id)).toEqual([other.sessionId])
      expect(calls.disconnected).toEqual([sessionId])
      expect((await callLoader(accountRoute, '/account', { cookie })).status).toBe(302)
    })

    it('does not sign out through a GET', async () => {
      const { user, cookie, sessionId } = await signedInUser()
      const result = await callLoader(logoutRoute, '/logout', { cookie })
      expect(result.status).toBe(302)
      expect(await sessionIdsOf(user.id)).toEqual([sessionId])
    })
  })

  describe('session cookies', () => {
    it.each([
      ['an unsigned session id', (sid: string) => Promise.resolve(`${SESSION_COOKIE}=${sid}`)],
      [
        'a session id signed with another secret',
        async (sid: string) => {
          const forged = createCookie(SESSION_COOKIE, { secrets: ['not-the-server-secret-0123456789abcdef'] })
          return (await forged.serialize({ sid })).split(';')[0]
        },
      ],
      [
        'an unsigned base64 payload',
        (sid: string) =>
          Promise.resolve(`${SESSION_COOKIE}=${Buffer.from(JSON.stringify({ sid })).toString('base64')}`),
      ],
    ])('treats %s as signed out', async (_, forge) => {
      const { user, sessionId } = await signedInUser()
      const cookie = await forge(sessionId)
      const result = await callLoader(accountRoute, '/account', { cookie })
      expect(result.status).toBe(302)
      expect(result.location).toMatch(/^\/login/)
      expect(await readSession(cookie)).toBeNull()
      // The real session is untouched.
      expect(await sessionIdsOf(user.id)).toEqual([sessionId])
    })

    it('remembers a verified cookie only as itself: a changed signature or a closed session is signed out', async () => {
      const { cookie, sessionId } = await signedInUser()
      expect(await sessionIdOf(cookie)).toBe(sessionId)
      expect((await callLoader(accountRoute, '/account', { cookie })).status).toBe(200)
      expect(await sessionIdOf(cookie)).toBe(sessionId)
      // One character of the remembered cookie's signature changed.
      const at = cookie.length - 2
      const tampered = cookie.slice(0, at) + (cookie[at] === 'A' ? 'B' : 'A') + cookie.slice(at + 1)
      expect(await sessionIdOf(tampered)).toBeNull()
      expect((await callLoader(accountRoute, '/account', { cookie: tampered })).status).toBe(302)
      // The session ended elsewhere: its cookie, verified before, no longer signs anyone in.
      await getDb().delete(sessions).where(eq(sessions.id, sessionId))
      expect((await callLoader(accountRoute, '/account', { cookie })).status).toBe(302)
    })

    it('remembers a bounded number of cookie headers', async () => {
      const { cookie, sessionId } = await signedInUser()
      for (let i = 0; i < SIGNED_SESSION_IDS_KEPT + 10; i++) {
        expect(await sessionIdOf(`sb_theme=${i}; ${cookie}`)).toBe(sessionId)
      }
      const kept = (globalThis as { __switchboardSignedSessionIds?: Map<string, string> })
        .__switchboardSignedSessionIds
      expect(kept?.size).toBe(SIGNED_SESSION_IDS_KEPT)
      // The oldest were forgotten, and are verified again when they come back.
      expect(kept?.has(`sb_theme=0; ${cookie}`)).toBe(false)
      expect(await sessionIdOf(`sb_theme=0; ${cookie}`)).toBe(sessionId)
      // A header padded past the length limit is verified, not kept.
      const padded = `pad=${'x'.repeat(SIGNED_HEADER_MAX_CHARS)}; ${cookie}`
      expect(await sessionIdOf(padded)).toBe(sessionId)
      expect(kept?.has(padded)).toBe(false)
    })

    it('treats an expired session as signed out', async () => {
      const { cookie, sessionId } = await signedInUser()
      await getDb()
        .update(sessions)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(sessions.id, sessionId))
      expect((await callLoader(accountRoute, '/account', { cookie })).status).toBe(302)
    })

    it('renews a session used more than a day after it was last extended', async () => {
      const { cookie, sessionId } = await signedInUser()
      await getDb()
        .update(sessions)
        .set({ expiresAt: new Date(Date.now() + SESSION_TTL_MS - 2 * DAY) })
        .where(eq(sessions.id, sessionId))
      const session = await readSession(cookie)
      expect(session?.id).toBe(sessionId)
      const setCookie = await renewSession(session!)
      expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=.+HttpOnly`, 'i'))
      expect((await readSession(setCookie!.split(';')[0]))?.id).toBe(sessionId)
      const [row] = await getDb()
        .select({ expiresAt: sessions.expiresAt })
        .from(sessions)
        .where(eq(sessions.id, sessionId))
      expect(Math.abs(row.expiresAt.getTime() - (Date.now() + SESSION_TTL_MS))).toBeLessThan(60_000)
    })

    it('gives no cookie for a session due for renewal that was signed out after the request read it', async () => {
      const { cookie, sessionId } = await signedInUser()
      await getDb()
        .update(sessions)
        .set({ expiresAt: new Date(Date.now() + SESSION_TTL_MS - 2 * DAY) })
        .where(eq(sessions.id, sessionId))
      const session = await readSession(cookie)
      await getDb().delete(sessions).where(eq(sessions.id, sessionId))
      expect(await renewSession(session!)).toBeNull()
    })

    it('does not rewrite a session renewed less than a day ago', async () => {
      const { cookie, sessionId } = await signedInUser()
      const fresh = new Date(Date.now() + SESSION_TTL_MS - 60 * 60 * 1000)
      await getDb().update(sessions).set({ expiresAt: fresh }).where(eq(sessions.id, sessionId))
      const session = await readSession(cookie)
      expect(await renewSession(session!)).toBeNull()
      const [row] = await getDb()
        .select({ expiresAt: sessions.expiresAt })
        .from(sessions)
        .where(eq(sessions.id, sessionId))
      expect(row.expiresAt.getTime()).toBe(fresh.getTime())
    })
  })
})
