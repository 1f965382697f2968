import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { invitations } from '#db/schema.ts'
import * as workspaceRoute from '#app/routes/w.$slug.tsx'
import * as workspaceHomeRoute from '#app/routes/w.$slug._index.tsx'
import * as settingsLayoutRoute from '#app/routes/w.$slug.settings.tsx'
import * as settingsRoute from '#app/routes/w.$slug.settings._index.tsx'
import * as membersRoute from '#app/routes/w.$slug.settings.members.tsx'
import * as ticketsRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createInvitation, createMember, workspaceSnapshot } from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Invitations are emailed: their email job is enqueued in the invitation's transaction.
beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

const loaders = [
  ['w.$slug', workspaceRoute, ''],
  ['w.$slug._index', workspaceHomeRoute, ''],
  ['w.$slug.tickets._index', ticketsRoute, '/tickets'],
  ['w.$slug.settings', settingsLayoutRoute, '/settings'],
  ['w.$slug.settings._index', settingsRoute, '/settings'],
  ['w.$slug.settings.members', membersRoute, '/settings/members'],
] as const

/** Workspace A with an owner (the outsider), and workspace B with an owner, an agent and a pending invite. */
async function twoWorkspaces() {
  const a = await createMember('owner')
  const b = await createMember('owner')
  const bAgent = await createMember('agent', b.workspace)
  const bInvite = await createInvitation(b)
  const [invitation] = await getDb()
    .select({ id: invitations.id })
    .from(invitations)
    .where(eq(invitations.email, bInvite.email))
  return { a, b, bAgent, bInvitationId: invitation.id }
}

type Setup = Awaited<ReturnType<typeof twoWorkspaces>>

const actions = [
  ['rename the workspace', settingsRoute, '/settings', () => ({ name: 'Taken over' })],
  [
    'invite someone',
    membersRoute,
    '/settings/members',
    () => ({ intent: 'invite', email: 'spy@example.com', role: 'owner' }),
  ],
  [
    'revoke an invitation',
    membersRoute,
    '/settings/members',
    (s: Setup) => ({ intent: 'revoke-invite', invitationId: s.bInvitationId }),
  ],
  [
    'change a role',
    membersRoute,
    '/settings/members',
    (s: Setup) => ({ intent: 'change-role', membershipId: s.bAgent.membershipId, role: 'owner' }),
  ],
  [
    'remove a member',
    membersRoute,
    '/settings/members',
    (s: Setup) => ({ intent: 'remove', membershipId: s.b.membershipId }),
  ],
] as const

describe('tenancy', () => {
  it.each(loaders)(
    'answers 404 to a member of another workspace on the %s loader, as for a workspace that does not exist',
    async (_, route, suffix) => {
      const { a, b } = await twoWorkspaces()
      const other = await callLoader(route, `/w/${b.workspace.slug}${suffix}`, {
        cookie: a.cookie,
        params: { slug: b.workspace.slug },
      })
      const missing = await callLoader(route, `/w/no-such-workspace${suffix}`, {
        cookie: a.cookie,
        params: { slug: 'no-such-workspace' },
      })
      expect(other.status).toBe(404)
      expect({ status: other.status, data: other.data }).toEqual({
        status: missing.status,
        data: missing.data,
      })
      // The member's own workspace answers normally.
      const own = await callLoader(route, `/w/${a.workspace.slug}${suffix}`, {
        cookie: a.cookie,
        params: { slug: a.workspace.slug },
      })
      expect(own.status).toBe(200)
    },
  )

  it.each(actions)(
    'answers 404 to an owner of another workspace who tries to %s there, and writes nothing',
    async (_, route, suffix, form) => {
      const setup = await twoWorkspaces()
      const { a, b } = setup
      const before = await workspaceSnapshot(b.workspace.id)
      const calls: RealtimeCalls = { disconnected: [], removed: [] }
      const other = await callAction(route, `/w/${b.workspace.slug}${suffix}`, form(setup), {
        cookie: a.cookie,
        params: { slug: b.workspace.slug },
        context: testContext(calls),
      })
      const missing = await callAction(route, `/w/no-such-workspace${suffix}`, form(setup), {
        cookie: a.cookie,
        params: { slug: 'no-such-workspace' },
      })
      expect(other.status).toBe(404)
      expect({ status: other.status, data: other.data }).toEqual({
        status: missing.status,
        data: missing.data,
      })
      expect(await workspaceSnapshot(b.workspace.id)).toEqual(before)
      expect(calls.removed).toEqual([])
    },
  )

  it.each([
    [
      'change the role of',
      (s: Setup) => ({ intent: 'change-role', membershipId: s.bAgent.membershipId, role: 'admin' }),
    ],
    ['remove', (s: Setup) => ({ intent: 'remove', membershipId: s.bAgent.membershipId })],
    ['remove the owner of', (s: Setup) => ({ intent: 'remove', membershipId: s.b.membershipId })],
    ['revoke an invitation of', (s: Setup) => ({ intent: 'revoke-invite', invitationId: s.bInvitationId })],
  ])(
    "answers 404 when an owner tries to %s another workspace through their own workspace's URL",
    async (_, form) => {
      const setup = await twoWorkspaces()
      const { a, b } = setup
      const beforeA = await workspaceSnapshot(a.workspace.id)
      const beforeB = await workspaceSnapshot(b.workspace.id)
      const calls: RealtimeCalls = { disconnected: [], removed: [] }
      // Confirmed, as the confirmation step posts it: the first post would change nothing anyway.
      const confirmed = { ...form(setup), confirmed: '1' }
      const result = await callAction(membersRoute, `/w/${a.workspace.slug}/settings/members`, confirmed, {
        cookie: a.cookie,
        params: { slug: a.workspace.slug },
        context: testContext(calls),
      })
      expect(result.status).toBe(404)
      expect(await workspaceSnapshot(b.workspace.id)).toEqual(beforeB)
      expect(await workspaceSnapshot(a.workspace.id)).toEqual(beforeA)
      expect(calls.removed).toEqual([])
    },
  )

  it.each(loaders)(
    'sends a signed-out visitor of the %s page to the login page and back',
    async (_, route, suffix) => {
      const { b } = await twoWorkspaces()
      const path = `/w/${b.workspace.slug}${suffix}`
      const result = await callLoader(route, path, { params: { slug: b.workspace.slug } })
      expect(result.status).toBe(302)
      expect(result.location).toBe(`/login?redirectTo=${encodeURIComponent(path)}`)
    },
  )

  it.each(actions)(
    'sends a signed-out attempt to %s to the login page, writing nothing',
    async (_, route, suffix, form) => {
      const setup = await twoWorkspaces()
      const { b } = setup
      const before = await workspaceSnapshot(b.workspace.id)
      const path = `/w/${b.workspace.slug}${suffix}`
      const result = await callAction(route, path, form(setup), { params: { slug: b.workspace.slug } })
      expect(result.status).toBe(302)
      expect(result.location).toBe(`/login?redirectTo=${encodeURIComponent(path)}`)
      expect(await workspaceSnapshot(b.workspace.id)).toEqual(before)
    },
  )

  it('keeps the query string in the way back after signing in', async () => {
    const { b } = await twoWorkspaces()
    const path = `/w/${b.workspace.slug}/tickets?status=open&q=a%20b`
    const result = await callLoader(ticketsRoute, path, { params: { slug: b.workspace.slug } })
    expect(result.location).toBe(`/login?redirectTo=${encodeURIComponent(path)}`)
  })
})
