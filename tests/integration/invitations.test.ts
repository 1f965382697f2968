import { randomBytes } from 'node:crypto'
import { and, count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { invitations, memberships, users } from '#db/schema.ts'
import { resendInvitation } from '#app/domain/invitations.server.ts'
import { changeMemberRole, removeMember } from '#app/domain/workspaces.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as inviteRoute from '#app/routes/invite.$token.tsx'
import * as loginRoute from '#app/routes/login.tsx'
import * as logoutRoute from '#app/routes/logout.tsx'
import * as workspaceRoute from '#app/routes/w.$slug.tsx'
import {
  asMember,
  createInvitation,
  createMember,
  createUser,
  createWorkspace,
  signIn,
  workspaceSnapshot,
} from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { callAction, callLoader, cookieFrom } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Signing up through an invitation queues the verify-email email.
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

// The page as a browser gets it (the production build): what it offers, not only its data.
let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})
afterAll(() => server.close())

/** The invitation page's HTML, GET or (without JavaScript) a post of `form`; React's text separators removed. */
async function invitePage(token: string, options: { cookie?: string; form?: Record<string, string> } = {}) {
  const response = await fetch(`${server.url}/invite/${token}`, {
    method: options.form ? 'POST' : 'GET',
    headers: {
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...(options.form ? { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: options.form ? new URLSearchParams(options.form) : undefined,
  })
  return { status: response.status, html: (await response.text()).replaceAll('<!-- -->', '') }
}

const NEW_PASSWORD = 'a long enough password'

function openInvite(token: string, cookie?: string) {
  return callLoader(inviteRoute, `/invite/${token}`, { params: { token }, cookie })
}

function postInvite(token: string, form: Record<string, string>, cookie?: string) {
  return callAction(inviteRoute, `/invite/${token}`, form, { params: { token }, cookie })
}

function signUpThrough(token: string) {
  return postInvite(token, { intent: 'signup', name: 'Walter Skinner', password: NEW_PASSWORD })
}

async function userCount() {
  const [row] = await getDb().select({ n: count() }).from(users)
  return row.n
}

async function membershipOf(workspaceId: string, userId: string) {
  const [row] = await getDb()
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
  return row
}

async function invitationByEmail(email: string) {
  const [row] = await getDb()
    .select({ id: invitations.id, acceptedAt: invitations.acceptedAt, revokedAt: invitations.revokedAt })
    .from(invitations)
    .where(eq(invitations.email, email))
  return row
}

describe('invitations', () => {
  it('shows what the invitation is for', async () => {
    const owner = await createMember('owner', await createWorkspace({ name: 'Acme Support' }))
    const { token, email } = await createInvitation(owner, { role: 'admin' })
    const page = await openInvite(token)
    expect(page.status).toBe(200)
    expect(page.data).toEqual({
      status: 'open',
      workspaceName: 'Acme Support',
      email,
      role: 'admin',
      signedInAs: null,
      emailMatches: false,
      hasAccount: false,
    })
  })

  it('lets a new person sign up through the link: account, membership with the invited role, signed in', async () => {
    const owner = await createMember('owner')
    const { token, email } = await createInvitation(owner, { role: 'admin' })
    const result = await signUpThrough(token)
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/w/${owner.workspace.slug}`)

    const [user] = await getDb()
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(eq(users.email, email))
    expect(user.name).toBe('Walter Skinner')
    expect(await membershipOf(owner.workspace.id, user.id)).toEqual({ role: 'admin' })
    expect((await invitationByEmail(email)).acceptedAt).toBeInstanceOf(Date)

    const home = await callLoader(workspaceRoute, `/w/${owner.workspace.slug}`, {
      cookie: cookieFrom(result),
      params: { slug: owner.workspace.slug },
    })
    expect(home.status).toBe(200)
    expect(home.data.role).toBe('admin')
  })

  it('rejects a short password at signup, keeping the name but not the password', async () => {
    const owner = await createMember('owner')
    const { token, email } = await createInvitation(owner)
    const before = await userCount()
    const result = await postInvite(token, { intent: 'signup', name: 'Walter', password: 'short' })
    expect(result.status).toBe(400)
    expect(result.data.result.error.password).toEqual(['Use at least 12 characters'])
    expect(result.data.result.initialValue.name).toBe('Walter')
    expect(result.data.result.initialValue.password).toBeUndefined()
    expect(await userCount()).toBe(before)
    expect((await invitationByEmail(email)).acceptedAt).toBeNull()
  })

  it('lets a signed-in user whose email matches, in any case, join with the invited role', async () => {
    const owner = await createMember('owner')
    const user = await createUser({ email: 'Sam.Invitee@Example.com' })
    const { cookie } = await signIn(user.id)
    const { token } = await createInvitation(owner, { email: 'sam.invitee@example.com', role: 'agent' })

    const page = await openInvite(token, cookie)
    expect(page.data).toMatchObject({ status: 'open', signedInAs: user.email, emailMatches: true })

    const result = await postInvite(token, { intent: 'join' }, cookie)
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/w/${owner.workspace.slug}`)
    expect(await membershipOf(owner.workspace.id, user.id)).toEqual({ role: 'agent' })
  })

  it('sends a signed-out visitor who clicks join to the login page, coming back to the invitation', async () => {
    const owner = await createMember('owner')
    const { token, email } = await createInvitation(owner)
    const result = await postInvite(token, { intent: 'join' })
    expect(result.status).toBe(302)
    expect(result.location).toBe(
      `/login?redirectTo=${encodeURIComponent(`/invite/${token}`)}&email=${encodeURIComponent(email)}`,
    )
    expect((await invitationByEmail(email)).acceptedAt).toBeNull()
  })

  it('refuses a signed-in user with a different email, says whom it is for, and writes nothing', async () => {
    const owner = await createMember('owner')
    const other = await createUser()
    const { cookie } = await signIn(other.id)
    const { token, email } = await createInvitation(owner)
    const before = await workspaceSnapshot(owner.workspace.id)

    const page = await openInvite(token, cookie)
    expect(page.data).toMatchObject({ status: 'open', emailMatches: false })

    const result = await postInvite(token, { intent: 'join' }, cookie)
    expect(result.status).toBe(400)
    expect(result.data.result.error['']).toEqual([
      `This invitation is for ${email}. Sign in with that email to accept it.`,
    ])
    expect(await membershipOf(owner.workspace.id, other.id)).toBeUndefined()
    expect(await workspaceSnapshot(owner.workspace.id)).toEqual(before)
    // Still usable by the person it was meant for.
    expect((await openInvite(token)).data.status).toBe('open')
  })

  it('can be used only once', async () => {
    const owner = await createMember('owner')
    const { token } = await createInvitation(owner)
    expect((await signUpThrough(token)).status).toBe(302)

    const invalid = await openInvite(token)
    expect(invalid.data).toEqual({ status: 'invalid' })
    expect(invalid.status).toBe(404)
    const usersBefore = await userCount()
    const before = await workspaceSnapshot(owner.workspace.id)
    const again = await signUpThrough(token)
    expect(again.status).toBe(400)
    expect(again.data.result.error['']).toEqual(['This invitation is no longer valid.'])

    const someoneElse = await createUser()
    const { cookie } = await signIn(someoneElse.id)
    const join = await postInvite(token, { intent: 'join' }, cookie)
    expect(join.status).toBe(400)
    expect(join.data.result.error['']).toEqual(['This invitation is no longer valid.'])
    expect(await userCount()).toBe(usersBefore + 1) // only someoneElse
    expect(await workspaceSnapshot(owner.workspace.id)).toEqual(before)
  })

  it('tells the member who joined through it, opening it again, that they joined; nobody else learns anything', async () => {
    const owner = await createMember('owner', await createWorkspace({ name: 'Acme Again' }))
    const user = await createUser()
    const { cookie } = await signIn(user.id)
    const { token } = await createInvitation(owner, { email: user.email })
    expect((await postInvite(token, { intent: 'join' }, cookie)).status).toBe(302)

    const again = await invitePage(token, { cookie })
    expect(again.status).toBe(200)
    expect(again.html).toContain('You already joined Acme Again')
    expect(again.html).toContain(`href="/w/${owner.workspace.slug}"`)
    expect(again.html).not.toContain('Invitation not valid')

    // Signed out, signed in as someone else, or removed since: the link is simply not valid.
    for (const other of [undefined, (await signIn((await createUser()).id)).cookie]) {
      const page = await invitePage(token, { cookie: other })
      expect(page.status).toBe(404)
      expect(page.html).toContain('Invitation not valid')
      expect(page.html).not.toContain('Acme Again')
    }
    const [membership] = await getDb()
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, owner.workspace.id), eq(memberships.userId, user.id)))
    expect((await removeMember(asMember(owner), membership!.id)).kind).toBe('ok')
    const removed = await invitePage(token, { cookie })
    expect(removed.status).toBe(404)
    expect(removed.html).not.toContain('Acme Again')
  })

  it('lets only one of two simultaneous signups through the same link succeed', async () => {
    const owner = await createMember('owner')
    const { token } = await createInvitation(owner)
    const results = await Promise.all([signUpThrough(token), signUpThrough(token)])
    expect(results.map((r) => r.status).sort()).toEqual([302, 400])
    const members = (await workspaceSnapshot(owner.workspace.id)).members
    expect(members).toHaveLength(2)
  })

  it('is invalid once expired', async () => {
    const owner = await createMember('owner')
    const { token, email } = await createInvitation(owner)
    await getDb()
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invitations.email, email))
    expect((await openInvite(token)).data).toEqual({ status: 'invalid' })
    const before = await userCount()
    const result = await signUpThrough(token)
    expect(result.status).toBe(400)
    expect(result.data.result.error['']).toEqual(['This invitation is no longer valid.'])
    expect(await userCount()).toBe(before)
  })

  it('is invalid once revoked', async () => {
    const owner = await createMember('owner')
    const { token, email } = await createInvitation(owner)
    await getDb()
      .update(invitations)
      .set({ revokedAt: sql`now()` })
      .where(eq(invitations.email, email))
    expect((await openInvite(token)).data).toEqual({ status: 'invalid' })

    const user = await createUser({ email })
    const { cookie } = await signIn(user.id)
    const result = await postInvite(token, { intent: 'join' }, cookie)
    expect(result.status).toBe(400)
    expect(result.data.result.error['']).toEqual(['This invitation is no longer valid.'])
    expect(await membershipOf(owner.workspace.id, user.id)).toBeUndefined()
  })

  it.each([
    ['an unknown token', randomBytes(32).toString('base64url')],
    ['a short token', 'x'],
    ['an empty token', ''],
    ['a very long token', 'a'.repeat(5000)],
    ['a token with SQL in it', "' or 1=1 --aaaaaaaaaaaaaaaaaaaaaaaa"],
    ['a token with odd characters', '%00%ff\u0000\uffff<script>aaaaaaaaaaaaaa'],
  ])('shows the invalid page for %s, never a 500', async (_, token) => {
    const page = await openInvite(token)
    expect(page.status).toBe(404)
    expect(page.data).toEqual({ status: 'invalid' })
    const owner = await createMember('owner')
    const before = await userCount()
    const signup = await signUpThrough(token)
    expect(signup.status).toBe(400)
    expect(signup.data.result.error['']).toEqual(['This invitation is no longer valid.'])
    const join = await postInvite(token, { intent: 'join' }, owner.cookie)
    expect(join.status).toBe(400)
    expect(await userCount()).toBe(before)
  })

  it("dies with its issuer's right to make it: removed, or demoted below its role; a teammate's resend keeps it", async () => {
    const owner = await createMember('owner')
    const leaving = await createMember('admin', owner.workspace)
    const demoted = await createMember('admin', owner.workspace)
    // The links an admin saw: a way back in (their own second address) unless they die with them.
    const comeback = await createInvitation(leaving, { role: 'admin' })
    const kept = await createInvitation(leaving, { role: 'agent' })
    const before = await createInvitation(demoted, { role: 'admin' })
    // The owner re-sends this one: the working link is theirs now (the old one is dead anyway).
    const resent = await resendInvitation(asMember(owner), (await invitationByEmail(kept.email)).id)
    expect(resent.kind).toBe('sent')
    const keptToken = resent.kind === 'sent' ? resent.token : ''

    await removeMember(asMember(owner), leaving.membershipId)
    await changeMemberRole(asMember(owner), demoted.membershipId, 'agent')

    for (const token of [comeback.token, before.token]) {
      expect((await openInvite(token)).data).toEqual({ status: 'invalid' })
      const users = await userCount()
      const result = await signUpThrough(token)
      expect(result.status).toBe(400)
      expect(result.data.result.error['']).toEqual(['This invitation is no longer valid.'])
      expect(await userCount()).toBe(users)
    }
    expect((await invitationByEmail(comeback.email)).revokedAt).not.toBeNull()
    // Re-sent by the owner, who still may: it works.
    expect((await signUpThrough(keptToken)).status).toBe(302)
  })

  it('asks to sign in when the invited email already has an account, and leaves the invitation open', async () => {
    const owner = await createMember('owner')
    const existing = await createUser({ email: 'Already@Example.com' })
    const { token, email } = await createInvitation(owner, { email: 'already@example.com' })
    const before = await userCount()
    const result = await signUpThrough(token)
    expect(result.status).toBe(400)
    expect(result.data.result.error['']).toEqual([
      'An account with this email already exists. Sign in to accept the invitation.',
    ])
    expect(result.data.result.initialValue.password).toBeUndefined()
    expect(result.headers.get('set-cookie')).toBeNull()
    expect(await userCount()).toBe(before)
    expect(await membershipOf(owner.workspace.id, existing.id)).toBeUndefined()
    expect((await invitationByEmail(email)).acceptedAt).toBeNull()
  })

  it('offers an address that has an account to sign in as it, with the address filled in and the way back', async () => {
    const owner = await createMember('owner', await createWorkspace({ name: 'Acme Support' }))
    await createUser({ email: 'Kept@Example.com' })
    const { token } = await createInvitation(owner, { email: 'kept@example.com' })
    const page = await openInvite(token)
    expect(page.data).toMatchObject({ status: 'open', signedInAs: null, hasAccount: true })
    const { html } = await invitePage(token)
    expect(html).not.toContain('Create account and join')
    expect(html).not.toContain('Choose a password')
    const href = `/login?redirectTo=${encodeURIComponent(`/invite/${token}`)}&amp;email=kept%40example.com`
    expect(html).toContain(`href="${href}"`)
    expect(html).toContain('Sign in as kept@example.com')

    // The sign-in page it links to has the address filled in; a value that is not one is left out.
    const login = await callLoader(loginRoute, `/login?${new URLSearchParams({ email: 'kept@example.com' })}`)
    expect(login.data).toEqual({ email: 'kept@example.com' })
    const loginHtml = await (await fetch(`${server.url}${href.replaceAll('&amp;', '&')}`)).text()
    expect(loginHtml).toMatch(/<input[^>]*type="email"[^>]*value="kept@example.com"/)
    for (const bad of ['not an address', 'x'.repeat(300) + '@example.com', '']) {
      const refused = await callLoader(loginRoute, `/login?${new URLSearchParams({ email: bad })}`)
      expect(refused.data).toEqual({ email: null })
    }
  })

  it('offers a new address only the form that creates its account', async () => {
    const owner = await createMember('owner')
    const { token } = await createInvitation(owner)
    const { html } = await invitePage(token)
    expect(html).toContain('Create account and join')
    expect(html).not.toContain('/login')
  })

  it('tells a signed-in user of another address that only the invited one can accept, and signs them out towards it', async () => {
    const owner = await createMember('owner', await createWorkspace({ name: 'Acme Support' }))
    const other = await createUser({ email: 'someone.else@example.com' })
    const { cookie } = await signIn(other.id)
    await createUser({ email: 'invited@example.com' })
    const withAccount = await createInvitation(owner, { email: 'invited@example.com' })
    const withoutAccount = await createInvitation(owner, { email: 'new.person@example.com' })

    const page = await openInvite(withAccount.token, cookie)
    expect(page.data).toMatchObject({ signedInAs: other.email, emailMatches: false, hasAccount: true })
    const { html } = await invitePage(withAccount.token, { cookie })
    expect(html).toContain('You are signed in as <strong>someone.else@example.com</strong>')
    expect(html).not.toContain(`Join Acme Support</button>`)
    const signInThere = `/login?redirectTo=${encodeURIComponent(`/invite/${withAccount.token}`)}&email=invited%40example.com`
    expect(html).toContain(
      `action="/logout?${new URLSearchParams({ redirectTo: signInThere }).toString().replaceAll('&', '&amp;')}"`,
    )
    expect(html).toContain('Sign out and sign in as invited@example.com')

    const { html: second } = await invitePage(withoutAccount.token, { cookie })
    expect(second).toContain(
      `action="/logout?${new URLSearchParams({ redirectTo: `/invite/${withoutAccount.token}` })}"`,
    )
    expect(second).toContain('Sign out and create an account for new.person@example.com')
    expect(second).not.toContain('Choose a password')

    // Signing out that way lands where the page said, and nowhere else.
    const out = await callAction(
      logoutRoute,
      `/logout?${new URLSearchParams({ redirectTo: signInThere })}`,
      {},
      { cookie },
    )
    expect(out.status).toBe(302)
    expect(out.location).toBe(signInThere)
    for (const offsite of ['https://evil.example/', '//evil.example/x']) {
      const away = await callAction(
        logoutRoute,
        `/logout?${new URLSearchParams({ redirectTo: offsite })}`,
        {},
      )
      expect(away.location).toBe('/login')
    }
  })

  it('turns the page to signing in when the address got an account after the page was drawn', async () => {
    const owner = await createMember('owner')
    const { token } = await createInvitation(owner, { email: 'late@example.com' })
    expect((await openInvite(token)).data.hasAccount).toBe(false)
    await createUser({ email: 'late@example.com' })
    // The form drawn before the account existed, posted without JavaScript.
    const { status, html } = await invitePage(token, {
      form: { intent: 'signup', name: 'Late Comer', password: NEW_PASSWORD },
    })
    expect(status).toBe(400)
    expect(html).not.toContain('Create account and join')
    expect(html).toContain('Sign in as late@example.com')
  })
})
