import { count, like } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { users } from '#db/schema.ts'
import {
  PASSWORD_CHANGE_IP_LIMIT,
  PASSWORD_CHANGE_USER_LIMIT,
  SIGNUP_IP_LIMIT,
} from '#app/domain/hashing-limits.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as inviteRoute from '#app/routes/invite.$token.tsx'
import * as signupRoute from '#app/routes/signup.tsx'
import { createInvitation, createMember, createUser, PASSWORD, signIn } from '#tests/helpers/factories.ts'
import { callAction, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// The endpoints that hash a password (besides login and the reset form, tested with their
// pages) refuse over-limit requests before hashing: 60 at once let exactly the limit through.

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

const context = (clientIp: string) => ({ context: { ...testContext(), clientIp } })

async function usersLike(pattern: string) {
  const [row] = await getDb().select({ n: count() }).from(users).where(like(users.email, pattern))
  return row.n
}

describe('rate limits of password-hashing endpoints', () => {
  it('signup: at most the per-IP limit of 60 parallel signups from one address', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        callAction(
          signupRoute,
          '/signup',
          {
            name: `Flood ${i}`,
            email: `flood-signup-${i}@example.com`,
            password: 'a sufficiently long password',
            workspaceName: `Flood ${i}`,
            workspaceSlug: `flood-${i}`,
          },
          context('198.51.100.10'),
        ),
      ),
    )
    expect(results.filter((r) => r.status === 302)).toHaveLength(SIGNUP_IP_LIMIT.max)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(60 - SIGNUP_IP_LIMIT.max)
    expect(refused[0].data.result.error['']).toEqual([
      'Too many accounts were created from your network. Try again in an hour.',
    ])
    expect(refused[0].data.result.initialValue.password).toBeUndefined()
    expect(await usersLike('flood-signup-%')).toBe(SIGNUP_IP_LIMIT.max)
    // Another address is not affected.
    const other = await callAction(
      signupRoute,
      '/signup',
      {
        name: 'Elsewhere',
        email: 'flood-signup-elsewhere@example.com',
        password: 'a sufficiently long password',
        workspaceName: 'Elsewhere',
        workspaceSlug: 'elsewhere-co',
      },
      context('198.51.100.11'),
    )
    expect(other.status).toBe(302)
  })

  it('signup through an invitation link: the same per-IP limit', async () => {
    // Two inviters: one may send at most INVITE_NEW_LIMIT (50) new invitations an hour.
    const owners = [await createMember('owner'), await createMember('owner')]
    const tokens = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const { token } = await createInvitation(owners[i % 2]!, { email: `flood-invitee-${i}@example.com` })
        return token
      }),
    )
    const results = await Promise.all(
      tokens.map((token) =>
        callAction(
          inviteRoute,
          `/invite/${token}`,
          { intent: 'signup', name: 'Invitee', password: 'a sufficiently long password' },
          { params: { token }, ...context('198.51.100.20') },
        ),
      ),
    )
    expect(results.filter((r) => r.status === 302)).toHaveLength(SIGNUP_IP_LIMIT.max)
    expect(results.filter((r) => r.status === 429)).toHaveLength(60 - SIGNUP_IP_LIMIT.max)
    expect(await usersLike('flood-invitee-%')).toBe(SIGNUP_IP_LIMIT.max)
  })

  it('password change: a stolen session guesses at most the per-user limit of current passwords', async () => {
    const user = await createUser()
    const { cookie } = await signIn(user.id)
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        callAction(
          accountRoute,
          '/account',
          { intent: 'password', currentPassword: `guess number ${i}`, newPassword: 'a new long password 1' },
          { cookie, context: { ...testContext(), clientIp: `198.51.100.${100 + (i % 50)}` } },
        ),
      ),
    )
    const wrong = results.filter((r) => r.status === 400)
    expect(wrong).toHaveLength(PASSWORD_CHANGE_USER_LIMIT.max)
    expect(wrong[0].data.result.error.currentPassword).toEqual(['Current password is incorrect'])
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(60 - PASSWORD_CHANGE_USER_LIMIT.max)
    expect(refused[0].data.result.error['']).toEqual([
      'Too many password changes. Wait 15 minutes and try again.',
    ])
    // Even the right password is refused until the window passes.
    const right = await callAction(
      accountRoute,
      '/account',
      { intent: 'password', currentPassword: PASSWORD, newPassword: 'a new long password 1' },
      { cookie },
    )
    expect(right.status).toBe(429)
  })

  it('password change: at most the per-IP limit across users from one address', async () => {
    const accounts = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const user = await createUser()
        return signIn(user.id)
      }),
    )
    const results = await Promise.all(
      accounts.flatMap(({ cookie }) =>
        [0, 1].map((i) =>
          callAction(
            accountRoute,
            '/account',
            { intent: 'password', currentPassword: `wrong ${i}`, newPassword: 'a new long password 1' },
            { cookie, ...context('198.51.100.30') },
          ),
        ),
      ),
    )
    expect(results.filter((r) => r.status === 400)).toHaveLength(PASSWORD_CHANGE_IP_LIMIT.max)
    expect(results.filter((r) => r.status === 429)).toHaveLength(60 - PASSWORD_CHANGE_IP_LIMIT.max)
  })
})
