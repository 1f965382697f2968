import { performance } from 'node:perf_hooks'
import { and, eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { accountTokens, emails, sessions, users } from '#db/schema.ts'
import {
  RESET_EMAIL_LIMIT,
  RESET_IP_LIMIT,
  RESET_SUBMIT_IP_LIMIT,
  sendPasswordResetEmail,
} from '#app/domain/account-emails.server.ts'
import { verifyLogin } from '#app/domain/accounts.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { loggablePath } from '#app/logger.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as forgotRoute from '#app/routes/forgot-password.tsx'
import * as resetRoute from '#app/routes/reset-password.$token.tsx'
import { createUser, PASSWORD, signIn } from '#tests/helpers/factories.ts'
import { callAction, callLoader, cookieFrom, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { browserSignedIn } from '#tests/helpers/replaced-session.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { withEmailLink } from '#app/domain/email-link.server.ts'

const NEW_PASSWORD = 'a brand new passphrase 42'

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

let ipCounter = 0
const freshIp = () => `198.51.100.${++ipCounter}`

function forgot(email: string, ip = freshIp()) {
  return callAction(
    forgotRoute,
    '/forgot-password',
    { email },
    { context: { ...testContext(), clientIp: ip } },
  )
}

function submitReset(token: string, password: string, ip = freshIp(), calls?: RealtimeCalls) {
  return callAction(
    resetRoute,
    `/reset-password/${token}`,
    { password },
    { params: { token }, context: { ...testContext(calls), clientIp: ip } },
  )
}

/** Runs the queued "forgot password" jobs the way the worker does, and completes them. */
async function runResetJobs() {
  let ran = 0
  for (;;) {
    const jobs = await queue().fetch<{ email: string }>('account.password-reset', { batchSize: 100 })
    if (jobs.length === 0) return ran
    for (const job of jobs) {
      await sendPasswordResetEmail(job.data.email)
      await queue().complete('account.password-reset', job.id)
      ran++
    }
  }
}

/** The reset emails to `address`, as sent (their link's token filled in: email-link.server.ts). */
async function resetEmailsTo(address: string) {
  const rows = await getDb()
    .select({
      subject: emails.subject,
      text: emails.text,
      html: emails.html,
      workspaceId: emails.workspaceId,
      linkId: emails.linkId,
    })
    .from(emails)
    .where(and(eq(emails.kind, 'password-reset'), eq(emails.toAddress, address)))
  return rows.map(({ linkId, ...row }) => ({
    ...row,
    text: withEmailLink(row.text, linkId),
    html: withEmailLink(row.html, linkId),
  }))
}

/** Asks for a reset link for the user and returns the token from the email's plain text. */
async function tokenFor(email: string) {
  expect((await forgot(email)).status).toBe(200)
  await runResetJobs()
  const sent = await resetEmailsTo(email)
  const match = /\/reset-password\/([A-Za-z0-9_-]+)/.exec(sent.at(-1)!.text)
  return match![1]
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

describe('forgot password', () => {
  it('gives the same answer whether or not an account has the email, and emails only the account', async () => {
    const user = await createUser()
    const known = await forgot(user.email)
    const unknown = await forgot('nobody-at-all@example.com')
    expect(known.status).toBe(200)
    expect(unknown.status).toBe(200)
    expect(known.data).toEqual(unknown.data)
    expect(known.data.sent).toBe(true)
    expect(await runResetJobs()).toBe(2)
    const sent = await resetEmailsTo(user.email)
    expect(sent).toHaveLength(1)
    expect(sent[0].workspaceId).toBeNull()
    expect(sent[0].text).toMatch(/http:\/\/localhost:3000\/reset-password\/[A-Za-z0-9_-]{43}/)
    expect(await resetEmailsTo('nobody-at-all@example.com')).toHaveLength(0)
    // Only the sha256 of the token is stored.
    const token = /\/reset-password\/([A-Za-z0-9_-]+)/.exec(sent[0].text)![1]
    const stored = await getDb().select({ hash: accountTokens.tokenHash }).from(accountTokens)
    expect(JSON.stringify(stored)).not.toContain(token)
  })

  it('takes as long for an unknown email as for a known one (the lookup happens in a job)', async () => {
    const user = await createUser()
    await forgot(user.email)
    await forgot('warm-up@example.com')
    const known: number[] = []
    const unknown: number[] = []
    // Nine pairs, interleaved: the median of three moved past 2x with one scheduling hiccup on a
    // loaded machine.
    for (let i = 0; i < 9; i++) {
      // Three per email and hour: fresh users keep the known side under its limit.
      const other = await createUser()
      let start = performance.now()
      await forgot(other.email)
      known.push(performance.now() - start)
      start = performance.now()
      await forgot(`unknown-${i}@example.com`)
      unknown.push(performance.now() - start)
    }
    // The jobs run whatever the figures, so the next test counts only its own.
    await runResetJobs()
    const ratio = median(unknown) / median(known)
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(2)
  })

  it('lets at most the per-IP limit through when 60 requests arrive at once, before any work', async () => {
    const ip = freshIp()
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => forgot(`flood-${i}@example.com`, ip)),
    )
    const accepted = results.filter((r) => r.status === 200)
    const refused = results.filter((r) => r.status === 429)
    expect(accepted).toHaveLength(RESET_IP_LIMIT.max)
    expect(refused).toHaveLength(60 - RESET_IP_LIMIT.max)
    expect(refused[0].data.result.error['']).toEqual([
      'Too many reset requests. Wait a while, then try again.',
    ])
    // Refused requests enqueued nothing.
    expect(await runResetJobs()).toBe(RESET_IP_LIMIT.max)
  })

  it('limits one email address from many addresses too', async () => {
    const user = await createUser()
    const results = await Promise.all(Array.from({ length: 60 }, () => forgot(user.email)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(RESET_EMAIL_LIMIT.max)
    await runResetJobs()
    expect(await resetEmailsTo(user.email)).toHaveLength(RESET_EMAIL_LIMIT.max)
  })

  it('greets by name only an account whose address is confirmed (before, the name is whoever signed up)', async () => {
    const unconfirmed = await createUser({ name: 'Cheap watches at spam-shop example' })
    const confirmed = await createUser({ name: 'Dana Confirmed' })
    await getDb().update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, confirmed.id))
    await sendPasswordResetEmail(unconfirmed.email)
    await sendPasswordResetEmail(confirmed.email)
    const [toUnconfirmed] = await resetEmailsTo(unconfirmed.email)
    const [toConfirmed] = await resetEmailsTo(confirmed.email)
    expect(toUnconfirmed!.text).toMatch(/^Hi,/)
    expect(toUnconfirmed!.text).not.toContain('Cheap watches')
    expect(toConfirmed!.text).toMatch(/^Hi Dana Confirmed,/)
  })

  it('refuses a malformed email with a field error and enqueues nothing', async () => {
    const result = await forgot('not-an-email')
    expect(result.status).toBe(400)
    expect(result.data.result.error.email).toEqual(['Enter a valid email address'])
    expect(await runResetJobs()).toBe(0)
  })
})

describe('reset password page', () => {
  it('sets the new password, revokes every session and signs in afresh', async () => {
    const user = await createUser()
    const first = await signIn(user.id)
    await signIn(user.id)
    const token = await tokenFor(user.email)
    expect(
      (await callLoader(resetRoute, `/reset-password/${token}`, { params: { token } })).data,
    ).toMatchObject({
      valid: true,
    })
    // The stored email holds the link's placeholder, not its token (email-link.server.ts).
    const [stored] = await getDb()
      .select({ text: emails.text, html: emails.html, linkId: emails.linkId })
      .from(emails)
      .where(and(eq(emails.kind, 'password-reset'), eq(emails.toAddress, user.email)))
    expect(`${stored.text}${stored.html}`).not.toContain(token)
    expect(stored.text).toContain(`/reset-password/sb-link-${stored.linkId}`)
    const placeholder = `sb-link-${stored.linkId}`
    expect(
      (await callLoader(resetRoute, `/reset-password/${placeholder}`, { params: { token: placeholder } }))
        .data,
    ).not.toEqual({ valid: true })
    const calls: RealtimeCalls = { disconnected: [], removed: [] }
    const result = await submitReset(token, NEW_PASSWORD, freshIp(), calls)
    expect(result.status).toBe(302)
    expect(result.location).toBe('/')
    const cookie = cookieFrom(result)
    expect(cookie).toMatch(/^__sb_session=/)
    const live = await getDb().select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id))
    expect(live).toHaveLength(1)
    expect(live[0].id).not.toBe(first.sessionId)
    expect(calls.disconnected).toHaveLength(2)
    expect(calls.disconnected).toContain(first.sessionId)
    expect(await verifyLogin(user.email, NEW_PASSWORD)).not.toBeNull()
    expect(await verifyLogin(user.email, PASSWORD)).toBeNull()
    // The link reached the inbox: the address counts as confirmed.
    const [row] = await getDb().select({ at: users.emailVerifiedAt }).from(users).where(eq(users.id, user.id))
    expect(row.at).not.toBeNull()
  })

  it('ends the session of another account signed in in the same browser, whose cookie it replaces', async () => {
    const user = await createUser()
    const browser = await browserSignedIn()
    const token = await tokenFor(user.email)
    const result = await callAction(
      resetRoute,
      `/reset-password/${token}`,
      { password: NEW_PASSWORD },
      { params: { token }, cookie: browser.cookie, context: { ...browser.context, clientIp: freshIp() } },
    )
    expect(result.status).toBe(302)
    await browser.expectReplacedSessionEnded(cookieFrom(result))
  })

  it('works once: the used link shows a clear page and changes nothing', async () => {
    const user = await createUser()
    const token = await tokenFor(user.email)
    expect((await submitReset(token, NEW_PASSWORD)).status).toBe(302)
    const page = await callLoader(resetRoute, `/reset-password/${token}`, { params: { token } })
    expect(page.data).toEqual({ valid: false })
    const again = await submitReset(token, 'yet another passphrase 99')
    expect(again.status).toBe(400)
    expect(again.data.invalid).toBe(true)
    expect(await verifyLogin(user.email, NEW_PASSWORD)).not.toBeNull()
  })

  it('a used link kills the other reset links of the account', async () => {
    const user = await createUser()
    const older = await tokenFor(user.email)
    const newer = await tokenFor(user.email)
    expect((await submitReset(newer, NEW_PASSWORD)).status).toBe(302)
    expect((await submitReset(older, 'yet another passphrase 99')).data.invalid).toBe(true)
  })

  it('refuses a link older than an hour', async () => {
    const user = await createUser()
    const token = await tokenFor(user.email)
    await getDb()
      .update(accountTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(accountTokens.userId, user.id))
    expect((await callLoader(resetRoute, `/reset-password/${token}`, { params: { token } })).data).toEqual({
      valid: false,
    })
    expect((await submitReset(token, NEW_PASSWORD)).data.invalid).toBe(true)
    expect(await verifyLogin(user.email, PASSWORD)).not.toBeNull()
  })

  it('applies the signup password rules and keeps the link usable', async () => {
    const user = await createUser()
    const token = await tokenFor(user.email)
    const result = await submitReset(token, 'short')
    expect(result.status).toBe(400)
    expect(result.data.result.error.password).toEqual(['Use at least 12 characters'])
    expect(JSON.stringify(result.data)).not.toContain('short')
    expect((await submitReset(token, NEW_PASSWORD)).status).toBe(302)
  })

  it('refuses unknown and malformed tokens', async () => {
    for (const token of ['x', 'A'.repeat(43)]) {
      expect(
        (await callLoader(resetRoute, `/reset-password/${token}`, { params: { token } })).data.valid,
      ).toBe(false)
    }
  })

  it('lets at most the per-IP limit of 60 parallel submissions reach the password hash', async () => {
    const ip = freshIp()
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        submitReset(`unknown-token-${i}-${'x'.repeat(30)}`, NEW_PASSWORD, ip),
      ),
    )
    expect(results.filter((r) => r.status === 400)).toHaveLength(RESET_SUBMIT_IP_LIMIT.max)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(60 - RESET_SUBMIT_IP_LIMIT.max)
    expect(refused[0].data.result.error['']).toEqual([
      'Too many attempts from your network. Wait 15 minutes and try again.',
    ])
  })

  it('masks the token in logged paths', () => {
    expect(loggablePath('/reset-password/Zm9vYmFyYmF6cXV4cXV1eA')).toBe('/reset-password/[token]')
    expect(loggablePath('/reset-password/Zm9vYmFyYmF6cXV4cXV1eA.data')).toBe('/reset-password/[token].data')
  })
})

/** The "Your password was changed" emails to `address`, as stored. */
async function passwordChangedEmailsTo(address: string) {
  return getDb()
    .select({
      subject: emails.subject,
      text: emails.text,
      html: emails.html,
      workspaceId: emails.workspaceId,
    })
    .from(emails)
    .where(and(eq(emails.kind, 'password-changed'), eq(emails.toAddress, address)))
}

describe('what ends the open reset links of an account', () => {
  const CHANGED = 'a password changed on the account page'

  it('a password change on the account page: an older reset link no longer sets a password', async () => {
    const user = await createUser()
    const { cookie } = await signIn(user.id)
    const older = await tokenFor(user.email)
    const changed = await callAction(
      accountRoute,
      '/account',
      { intent: 'password', currentPassword: PASSWORD, newPassword: CHANGED },
      { cookie, context: { ...testContext(), clientIp: freshIp() } },
    )
    expect(changed.status).toBe(200)
    expect(
      (await callLoader(resetRoute, `/reset-password/${older}`, { params: { token: older } })).data,
    ).toEqual({ valid: false })
    const used = await submitReset(older, NEW_PASSWORD)
    expect(used.status).toBe(400)
    expect(used.data.invalid).toBe(true)
    expect(await verifyLogin(user.email, CHANGED)).not.toBeNull()
    expect(await verifyLogin(user.email, NEW_PASSWORD)).toBeNull()
    // A link asked for after the change works as usual.
    const newer = await tokenFor(user.email)
    expect((await submitReset(newer, NEW_PASSWORD)).status).toBe(302)
  })

  it('a password change emails the account when and how, and what to do if it was not them', async () => {
    const user = await createUser()
    await getDb().update(users).set({ timeZone: 'Asia/Tokyo' }).where(eq(users.id, user.id))
    const { cookie } = await signIn(user.id)
    const wrong = await callAction(
      accountRoute,
      '/account',
      { intent: 'password', currentPassword: 'not my password at all', newPassword: CHANGED },
      { cookie, context: { ...testContext(), clientIp: freshIp() } },
    )
    expect(wrong.status).toBe(400)
    expect(await passwordChangedEmailsTo(user.email)).toHaveLength(0)
    await callAction(
      accountRoute,
      '/account',
      { intent: 'password', currentPassword: PASSWORD, newPassword: CHANGED },
      { cookie, context: { ...testContext(), clientIp: freshIp() } },
    )
    const sent = await passwordChangedEmailsTo(user.email)
    expect(sent).toHaveLength(1)
    expect(sent[0].subject).toBe('Your password was changed')
    expect(sent[0].workspaceId).toBeNull()
    expect(sent[0].text).toContain(`The password of your Switchboard account (${user.email}) was changed on`)
    expect(sent[0].text).toContain('(Asia/Tokyo)')
    expect(sent[0].text).toContain('on your account page')
    expect(sent[0].text).toContain(
      'If this was not you, reset your password now: http://localhost:3000/forgot-password',
    )
    expect(sent[0].text).not.toContain(PASSWORD)
    expect(sent[0].text).not.toContain(CHANGED)
  })

  it('a used reset link emails the account that its password was changed', async () => {
    const user = await createUser()
    const token = await tokenFor(user.email)
    expect((await submitReset(token, NEW_PASSWORD)).status).toBe(302)
    const sent = await passwordChangedEmailsTo(user.email)
    expect(sent).toHaveLength(1)
    expect(sent[0].text).toContain('through a password reset link')
    expect(sent[0].text).toContain('(UTC)')
  })

  it('"Sign out of all other devices" ends the open reset links too', async () => {
    const user = await createUser()
    const { cookie } = await signIn(user.id)
    await signIn(user.id)
    const older = await tokenFor(user.email)
    const result = await callAction(accountRoute, '/account', { intent: 'sign-out-others' }, { cookie })
    expect(result.status).toBe(200)
    expect(result.data.notice).toBe('Signed out of 1 other session.')
    expect((await submitReset(older, NEW_PASSWORD)).data.invalid).toBe(true)
    expect(await verifyLogin(user.email, PASSWORD)).not.toBeNull()
    // Another account's links are not touched.
    const other = await createUser()
    const theirs = await tokenFor(other.email)
    await callAction(accountRoute, '/account', { intent: 'sign-out-others' }, { cookie })
    expect((await submitReset(theirs, NEW_PASSWORD)).status).toBe(302)
  })
})
