import { and, eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { accountTokens, emails, users } from '#db/schema.ts'
import { queueVerificationEmail, VERIFY_RESEND_LIMIT } from '#app/domain/account-emails.server.ts'
import {
  SERVER_VERIFICATION_EMAILS_SPENT,
  SIGNUP_EMAIL_ADDRESS_LIMIT,
  signupEmailServerLimit,
} from '#app/domain/hashing-limits.server.ts'
import { takeSlot } from '#app/domain/rate-limit.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { loggablePath } from '#app/logger.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as signupRoute from '#app/routes/signup.tsx'
import * as verifyRoute from '#app/routes/verify-email.$token.tsx'
import * as workspaceRoute from '#app/routes/w.$slug.tsx'
import { createUser, signIn } from '#tests/helpers/factories.ts'
import { callAction, callLoader, cookieFrom, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { withEmailLink } from '#app/domain/email-link.server.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

/** The verification emails to `address`, as sent (their link's token filled in: email-link.server.ts). */
async function verifyEmailsTo(address: string) {
  const rows = await getDb()
    .select({
      text: emails.text,
      from: emails.fromAddress,
      workspaceId: emails.workspaceId,
      linkId: emails.linkId,
    })
    .from(emails)
    .where(and(eq(emails.kind, 'verify-email'), eq(emails.toAddress, address)))
  return rows.map(({ linkId, ...row }) => ({ ...row, text: withEmailLink(row.text, linkId) }))
}

async function latestToken(address: string) {
  const sent = await verifyEmailsTo(address)
  return /\/verify-email\/([A-Za-z0-9_-]+)/.exec(sent.at(-1)!.text)![1]
}

async function verifiedAt(userId: string) {
  const [row] = await getDb().select({ at: users.emailVerifiedAt }).from(users).where(eq(users.id, userId))
  return row.at
}

/** A fresh user with a verify-email link, as signup leaves them. */
async function unverifiedUser() {
  const user = await createUser()
  await getDb().transaction((tx) => queueVerificationEmail(tx, user))
  return { ...user, token: await latestToken(user.email) }
}

/** What the link's page shows (GET: a button, nothing changed; mail scanners open links). */
const openLink = (token: string) => callLoader(verifyRoute, `/verify-email/${token}`, { params: { token } })
/** The page's button: confirms the address. */
const confirmLink = (token: string) =>
  callAction(verifyRoute, `/verify-email/${token}`, {}, { params: { token } })

describe('email verification', () => {
  it('signup sends a link, and the workspace shows the banner until the address is confirmed', async () => {
    const result = await callAction(signupRoute, '/signup', {
      name: 'Dana Scully',
      email: 'dana.verify@example.com',
      password: 'a sufficiently long password',
      workspaceName: 'Verify Co',
      workspaceSlug: 'verify-co',
    })
    expect(result.status).toBe(302)
    const cookie = cookieFrom(result)
    const sent = await verifyEmailsTo('dana.verify@example.com')
    expect(sent).toHaveLength(1)
    expect(sent[0].workspaceId).toBeNull()
    expect(sent[0].from).toBe('no-reply@inbound.localhost')
    const layout = await callLoader(workspaceRoute, '/w/verify-co', { cookie, params: { slug: 'verify-co' } })
    expect(layout.data.user.emailVerified).toBe(false)

    const token = await latestToken('dana.verify@example.com')
    // The GET shows a button and changes nothing (mail scanners open links).
    const page = await openLink(token)
    expect(page.data).toEqual({ status: 'open', email: 'dana.verify@example.com', signedInAs: null })
    const [user] = await getDb()
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, 'dana.verify@example.com'))
    expect(await verifiedAt(user.id)).toBeNull()

    const confirmed = await confirmLink(token)
    expect(confirmed.status).toBe(200)
    expect(confirmed.data).toEqual({ verified: true, email: 'dana.verify@example.com' })
    expect(await verifiedAt(user.id)).not.toBeNull()
    const after = await callLoader(workspaceRoute, '/w/verify-co', { cookie, params: { slug: 'verify-co' } })
    expect(after.data.user.emailVerified).toBe(true)
    // Opening the link again says confirmed again.
    expect((await confirmLink(token)).data).toEqual({ verified: true, email: 'dana.verify@example.com' })
  })

  it("puts none of the signup's own text in the email: a name is not greeted until the address is confirmed", async () => {
    const pitch = 'Cheap watches at spam-shop example'
    const result = await callAction(signupRoute, '/signup', {
      name: pitch,
      email: 'victim.verify@example.com',
      password: 'a sufficiently long password',
      workspaceName: 'Spam Shop Deals',
      workspaceSlug: 'spam-shop-deals',
    })
    expect(result.status).toBe(302)
    const [sent] = await verifyEmailsTo('victim.verify@example.com')
    expect(sent.text).toMatch(/^Hi,/)
    expect(sent.text).not.toContain('Cheap watches')
    expect(sent.text).not.toContain('Spam Shop')
  })

  it('refuses a link older than 48 hours', async () => {
    const user = await unverifiedUser()
    await getDb()
      .update(accountTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(accountTokens.userId, user.id))
    const page = await openLink(user.token)
    expect(page.data).toEqual({ status: 'invalid' })
    const post = await confirmLink(user.token)
    expect(post.status).toBe(400)
    expect(await verifiedAt(user.id)).toBeNull()
  })

  it('confirms only the address the link was sent to', async () => {
    const user = await unverifiedUser()
    await getDb().update(users).set({ email: 'changed-since@example.com' }).where(eq(users.id, user.id))
    const post = await confirmLink(user.token)
    expect(post.status).toBe(400)
    expect(await verifiedAt(user.id)).toBeNull()
  })

  it('refuses unknown tokens', async () => {
    for (const token of ['short', 'B'.repeat(43)]) {
      expect((await confirmLink(token)).status).toBe(400)
    }
  })

  it('resends from the account page, at most the limit even when 60 requests arrive at once', async () => {
    const user = await unverifiedUser()
    const { cookie } = await signIn(user.id)
    const results = await Promise.all(
      Array.from({ length: 60 }, () =>
        callAction(accountRoute, '/account', { intent: 'resend-verification' }, { cookie }),
      ),
    )
    const sent = results.filter((r) => r.status === 200)
    expect(sent).toHaveLength(VERIFY_RESEND_LIMIT.max)
    expect(sent[0].data.notice).toBe(`We sent a new confirmation link to ${user.email}.`)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(60 - VERIFY_RESEND_LIMIT.max)
    expect(refused[0].data.result.error['']).toEqual([
      'We sent several links recently. Check your inbox, or try again in an hour.',
    ])
    // The signup email plus the resent ones.
    expect(await verifyEmailsTo(user.email)).toHaveLength(1 + VERIFY_RESEND_LIMIT.max)
  })

  it('resends within the verification emails an address may get a day: a signup and 2 resends, then refused', async () => {
    expect(SIGNUP_EMAIL_ADDRESS_LIMIT.max).toBe(3)
    const email = `resend-${Date.now()}@example.com`
    const signup = await callAction(
      signupRoute,
      '/signup',
      {
        name: 'Rex Resend',
        email,
        password: 'a sufficiently long password',
        workspaceName: 'Resend Co',
        workspaceSlug: `resend-${Date.now()}`,
      },
      { context: { ...testContext(), clientIp: '198.51.100.77' } },
    )
    expect(signup.status).toBe(302)
    const cookie = signup.headers.get('set-cookie')!.split(';')[0]
    const resend = () => callAction(accountRoute, '/account', { intent: 'resend-verification' }, { cookie })
    expect((await resend()).status).toBe(200)
    expect((await resend()).status).toBe(200)
    // The per-user limit (3 an hour) would allow a third: the address has had its 3 today.
    const refused = await resend()
    expect(refused.status).toBe(429)
    expect(refused.data.result.error['']).toEqual([
      'We sent several links to this address recently. Check your inbox and spam folder, or try again later.',
    ])
    expect(await verifyEmailsTo(email)).toHaveLength(SIGNUP_EMAIL_ADDRESS_LIMIT.max)
  })

  it('sends nothing to a confirmed address', async () => {
    const user = await unverifiedUser()
    await confirmLink(user.token)
    const { cookie } = await signIn(user.id)
    const result = await callAction(accountRoute, '/account', { intent: 'resend-verification' }, { cookie })
    expect(result.data.notice).toBe('Your email address is already confirmed.')
    expect(await verifyEmailsTo(user.email)).toHaveLength(1)
    expect((await callLoader(accountRoute, '/account', { cookie })).data.emailVerified).toBe(true)
  })

  it('masks the token in logged paths', () => {
    expect(loggablePath('/verify-email/Zm9vYmFyYmF6cXV4cXV1eA')).toBe('/verify-email/[token]')
  })

  it('says the server’s hourly cap is spent, not this address’s, when that is what refused the resend', async () => {
    const user = await unverifiedUser()
    const { cookie } = await signIn(user.id)
    const sent = (await verifyEmailsTo(user.email)).length
    // Every other verification email of the hour, whoever it went to: the server-wide cap is spent.
    while ((await takeSlot('signup-email-server', signupEmailServerLimit())).allowed);
    const refused = await callAction(accountRoute, '/account', { intent: 'resend-verification' }, { cookie })
    expect(refused.status).toBe(429)
    expect(refused.data.result.error['']).toEqual([SERVER_VERIFICATION_EMAILS_SPENT])
    expect(await verifyEmailsTo(user.email)).toHaveLength(sent)
    // The rest of the file's database gets its hour back.
    await getDb().execute(sql`delete from rate_limit_counters where key = 'signup-email-server'`)
  })
})
