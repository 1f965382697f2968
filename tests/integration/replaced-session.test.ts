import { beforeAll, describe, expect, it } from 'vitest'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as inviteRoute from '#app/routes/invite.$token.tsx'
import * as loginRoute from '#app/routes/login.tsx'
import * as signupRoute from '#app/routes/signup.tsx'
import { createInvitation, createMember, createUser, PASSWORD } from '#tests/helpers/factories.ts'
import { browserSignedIn } from '#tests/helpers/replaced-session.ts'
import { callAction, cookieFrom } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// A sign-in's cookie replaces the one the browser had: the session that one named is ended, not
// left live until it expires. (A password reset's: password-reset.test.ts.)

beforeAll(async () => {
  // Signups queue their verify-email email.
  await startQueue(testDatabaseUrl, { listen: false })
})

let counter = 0
const fresh = () => `${Date.now().toString(36)}-${++counter}`

describe('a sign-in in a browser where someone is signed in ends the session it replaces', () => {
  for (const [who, same] of [
    ['another account', false],
    ['the same account again', true],
  ] as const) {
    it(`signing in as ${who}`, async () => {
      const user = await createUser()
      const browser = await browserSignedIn(same ? user : undefined)
      const result = await callAction(
        loginRoute,
        '/login',
        { email: user.email, password: PASSWORD },
        { cookie: browser.cookie, context: browser.context },
      )
      expect(result.status).toBe(302)
      await browser.expectReplacedSessionEnded(cookieFrom(result))
    })
  }

  it('signing up', async () => {
    const browser = await browserSignedIn()
    const id = fresh()
    const result = await callAction(
      signupRoute,
      '/signup',
      {
        name: 'Dana Scully',
        email: `dana-${id}@example.com`,
        password: 'a sufficiently long password',
        workspaceName: 'Acme Support',
        workspaceSlug: `acme-${id}`,
      },
      { cookie: browser.cookie, context: browser.context },
    )
    expect(result.status).toBe(302)
    await browser.expectReplacedSessionEnded(cookieFrom(result))
  })

  it('signing up through an invitation', async () => {
    const browser = await browserSignedIn()
    const owner = await createMember('owner')
    const { token } = await createInvitation(owner)
    const result = await callAction(
      inviteRoute,
      `/invite/${token}`,
      { intent: 'signup', name: 'Walter Skinner', password: 'a long enough password' },
      { params: { token }, cookie: browser.cookie, context: browser.context },
    )
    expect(result.status).toBe(302)
    await browser.expectReplacedSessionEnded(cookieFrom(result))
  })
})
