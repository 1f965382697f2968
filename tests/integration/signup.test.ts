import { and, eq, like, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, memberships, users, workspaces } from '#db/schema.ts'
import {
  inboxKey,
  SIGNUP_EMAIL_ADDRESS_LIMIT,
  signupEmailServerLimit,
} from '#app/domain/hashing-limits.server.ts'
import { takeSlot } from '#app/domain/rate-limit.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as signupRoute from '#app/routes/signup.tsx'
import { createUser, createWorkspace } from '#tests/helpers/factories.ts'
import { rowCounts } from '#tests/helpers/db-reads.ts'
import { callAction, callLoader, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Signup queues the verify-email email.
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

const valid = {
  name: 'Dana Scully',
  email: 'dana@example.com',
  password: 'a sufficiently long password',
  workspaceName: 'Acme Support',
  workspaceSlug: 'acme',
}

/** The tables a refused form must leave as they were. */
const watched = { users, workspaces, memberships }

describe('signup', () => {
  it('creates the account, its first workspace with the user as owner, and signs them in', async () => {
    const result = await callAction(signupRoute, '/signup', valid)
    expect(result.status).toBe(302)
    expect(result.location).toBe('/w/acme')
    expect(result.headers.get('set-cookie')).toMatch(/__sb_session=.+HttpOnly/i)
    const [row] = await getDb()
      .select({ role: memberships.role, slug: workspaces.slug })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(users.email, 'dana@example.com'))
    expect(row).toEqual({ role: 'owner', slug: 'acme' })
    const [user] = await getDb()
      .select({ hash: users.passwordHash })
      .from(users)
      .where(eq(users.email, valid.email))
    expect(user.hash).toMatch(/^scrypt\$/)
    expect(user.hash).not.toContain(valid.password)
  })

  it.each([
    ['an invalid email', { email: 'not-an-email' }, 'email', 'Enter a valid email address'],
    [
      'a password shorter than 12 characters',
      { password: 'short pass' },
      'password',
      'Use at least 12 characters',
    ],
    [
      'a password longer than 256 characters',
      { password: 'x'.repeat(257) },
      'password',
      'Use at most 256 characters',
    ],
    ['a missing name', { name: '' }, 'name', 'Name is required'],
    ['an invalid slug', { workspaceSlug: 'Not Valid!' }, 'workspaceSlug', 'Use lowercase letters'],
    ['a reserved slug', { workspaceSlug: 'settings' }, 'workspaceSlug', 'This URL is reserved'],
  ])(
    'rejects %s with a field error, keeps typed values but not the password, writes nothing',
    async (_, change, field, message) => {
      const before = await rowCounts(watched)
      const result = await callAction(signupRoute, '/signup', {
        ...valid,
        email: 'other@example.com',
        ...change,
      })
      expect(result.status).toBe(400)
      expect(result.data.result.error[field].join(' ')).toContain(message)
      expect(result.data.result.initialValue.workspaceName).toBe(valid.workspaceName)
      expect(result.data.result.initialValue.password).toBeUndefined()
      expect(await rowCounts(watched)).toEqual(before)
    },
  )

  it.each([
    [
      'an empty workspace name and URL',
      { workspaceName: '', workspaceSlug: '' },
      'workspaceName',
      'Workspace name is required',
    ],
    [
      'a workspace name with no letters to make a URL from',
      { workspaceName: '…', workspaceSlug: '' },
      'workspaceSlug',
      'Choose a URL: the name has no letters or digits',
    ],
    [
      'a workspace name whose URL would be reserved',
      { workspaceName: 'Settings', workspaceSlug: '' },
      'workspaceSlug',
      '“settings”, made from the name',
    ],
  ])(
    'without JavaScript, refuses %s with one error on the field to fix',
    async (_, change, field, message) => {
      const before = await rowCounts(watched)
      const result = await callAction(signupRoute, '/signup', {
        ...valid,
        email: 'nojs@example.com',
        ...change,
      })
      expect(result.status).toBe(400)
      expect(Object.keys(result.data.result.error)).toEqual([field])
      expect(result.data.result.error[field].join(' ')).toContain(message)
      expect(result.data.result.initialValue.email).toBe('nojs@example.com')
      expect(await rowCounts(watched)).toEqual(before)
    },
  )

  it('makes the URL from the workspace name when it is left empty, and names it when it is taken', async () => {
    const made = await callAction(signupRoute, '/signup', {
      ...valid,
      email: 'derived@example.com',
      workspaceName: 'Café & Sons',
      workspaceSlug: '',
    })
    expect(made.location).toBe('/w/cafe-sons')
    const taken = await callAction(signupRoute, '/signup', {
      ...valid,
      email: 'derived-again@example.com',
      workspaceName: 'Cafe Sons',
      workspaceSlug: '',
    })
    expect(taken.status).toBe(400)
    expect(taken.data.result.error).toEqual({ workspaceSlug: ['/w/cafe-sons is taken; choose another URL'] })
  })

  it('refuses an email already used, case-insensitively, without saying more than needed', async () => {
    await createUser({ email: 'Taken@Example.com' })
    const before = await rowCounts(watched)
    const result = await callAction(signupRoute, '/signup', {
      ...valid,
      email: 'taken@example.COM',
      workspaceSlug: 'new-one',
    })
    expect(result.status).toBe(400)
    expect(result.data.result.error.email[0]).toMatch(/cannot be used to sign up/)
    expect(result.data.result.initialValue.password).toBeUndefined()
    expect(await rowCounts(watched)).toEqual(before)
  })

  it('refuses a workspace URL that is taken, and rolls back the user it had created', async () => {
    await createWorkspace({ slug: 'taken-slug' })
    const before = await rowCounts(watched)
    const result = await callAction(signupRoute, '/signup', {
      ...valid,
      email: 'fresh@example.com',
      workspaceSlug: 'taken-slug',
    })
    expect(result.status).toBe(400)
    expect(result.data.result.error.workspaceSlug[0]).toMatch(/taken/)
    expect(await rowCounts(watched)).toEqual(before)
    const found = await getDb()
      .select()
      .from(users)
      .where(eq(sql`lower(${users.email})`, 'fresh@example.com'))
    expect(found).toHaveLength(0)
  })

  it('sends a signed-in visitor away from the signup page', async () => {
    const result = await callAction(signupRoute, '/signup', {
      ...valid,
      email: 'x@example.com',
      workspaceSlug: 'x-ws',
    })
    const cookie = result.headers.get('set-cookie')!.split(';')[0]
    const page = await callLoader(signupRoute, '/signup', { cookie })
    expect(page.status).toBe(302)
  })
})

describe('signup verification emails', () => {
  // Each signup from its own network: the per-IP limit is not what is tested here.
  let network = 0
  const signUpFrom = (fields: Partial<typeof valid>) =>
    callAction(
      signupRoute,
      '/signup',
      { ...valid, ...fields },
      { context: { ...testContext(), clientIp: `198.51.100.${++network}` } },
    )
  const verifyEmailsLike = async (pattern: string) =>
    (
      await getDb()
        .select({ to: emails.toAddress })
        .from(emails)
        .where(and(eq(emails.kind, 'verify-email'), like(emails.toAddress, pattern)))
    ).length

  it('sends at most 3 to one inbox in 24 hours, whatever the network: the 4th signup is refused on the email field, nothing written', async () => {
    expect(SIGNUP_EMAIL_ADDRESS_LIMIT.max).toBe(3)
    // Variants that reach one inbox: +tags, case, and (at Gmail) dots.
    const variants = ['Bomb.Target+1@gmail.com', 'bombtarget+2@gmail.com', 'bomb.target@googlemail.com']
    expect(new Set(variants.map(inboxKey))).toEqual(new Set(['bombtarget@gmail.com']))
    for (const [i, email] of variants.entries()) {
      expect((await signUpFrom({ email, workspaceSlug: `bomb-${i}` })).status).toBe(302)
    }
    const before = await rowCounts(watched)
    const refused = await signUpFrom({ email: 'bombtarget+4@gmail.com', workspaceSlug: 'bomb-4' })
    expect(refused.status).toBe(429)
    expect(refused.data.result.error.email).toEqual([
      'Too many confirmation emails were sent to this address in the last 24 hours. Try again tomorrow, or use another address.',
    ])
    // What was typed stays, but the password.
    expect(refused.data.result.initialValue).toMatchObject({
      email: 'bombtarget+4@gmail.com',
      workspaceSlug: 'bomb-4',
    })
    expect(refused.data.result.initialValue.password).toBeUndefined()
    expect(await rowCounts(watched)).toEqual(before)
    expect(await verifyEmailsLike('%@g%mail.com')).toBe(3)
    // Another inbox is not affected.
    expect((await signUpFrom({ email: 'someone-else@gmail.com', workspaceSlug: 'bomb-other' })).status).toBe(
      302,
    )
  })

  it('counts only signups that sent one: a taken URL or address gives the slot back', async () => {
    await createWorkspace({ slug: 'slot-taken' })
    for (let i = 0; i < SIGNUP_EMAIL_ADDRESS_LIMIT.max + 1; i++) {
      const result = await signUpFrom({ email: 'retry@example.com', workspaceSlug: 'slot-taken' })
      expect(result.status).toBe(400)
      expect(result.data.result.error.workspaceSlug[0]).toMatch(/taken/)
    }
    expect((await signUpFrom({ email: 'retry@example.com', workspaceSlug: 'slot-free' })).status).toBe(302)
    expect(await verifyEmailsLike('retry@example.com')).toBe(1)
  })

  it('stops at the server-wide hourly cap, whatever the address: a form error, nothing written or sent', async () => {
    // Every signup of this file so far took one: fill the hour up to one left.
    const sent = await verifyEmailsLike('%')
    const filled = await takeSlot(
      'signup-email-server',
      signupEmailServerLimit(),
      signupEmailServerLimit().max - 1 - sent,
    )
    expect(filled.allowed).toBe(true)
    expect((await signUpFrom({ email: 'last-one@example.com', workspaceSlug: 'last-one' })).status).toBe(302)
    const before = await rowCounts(watched)
    const refused = await signUpFrom({ email: 'one-too-many@example.com', workspaceSlug: 'one-too-many' })
    expect(refused.status).toBe(429)
    expect(refused.data.result.error['']).toEqual([
      'Switchboard cannot send more confirmation emails right now. Try again in an hour.',
    ])
    expect(refused.data.result.initialValue.email).toBe('one-too-many@example.com')
    expect(refused.data.result.initialValue.password).toBeUndefined()
    expect(await rowCounts(watched)).toEqual(before)
    expect(await verifyEmailsLike('one-too-many@example.com')).toBe(0)
  })
})
