import { createHash } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { invitations, memberships, tickets, workspaces } from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as workspaceRoute from '#app/routes/w.$slug.tsx'
import * as workspaceHomeRoute from '#app/routes/w.$slug._index.tsx'
import * as settingsRoute from '#app/routes/w.$slug.settings._index.tsx'
import * as membersRoute from '#app/routes/w.$slug.settings.members.tsx'
import * as ticketsRoute from '#app/routes/w.$slug.tickets._index.tsx'
import * as newWorkspaceRoute from '#app/routes/workspaces.new.tsx'
import { changeMemberRole, removeMember } from '#app/domain/workspaces.server.ts'
import { inviteMember, revokeInvitation } from '#app/domain/invitations.server.ts'
import {
  asMember,
  createInvitation,
  addMember,
  createMember,
  createTicketFor,
  createWorkspace,
  setTicket,
  workspaceSnapshot,
  team,
} from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { callAction, callLoader, inboxRows, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Inviting emails the link.
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

type Actor = Awaited<ReturnType<typeof createMember>>

function postMembers(actor: Actor, form: Record<string, string>, calls?: RealtimeCalls) {
  const slug = actor.workspace.slug
  // Posted as the confirmation step does (tests/integration/confirmations.test.ts covers the step itself).
  return callAction(
    membersRoute,
    `/w/${slug}/settings/members`,
    { ...form, confirmed: '1' },
    {
      cookie: actor.cookie,
      params: { slug },
      context: testContext(calls),
    },
  )
}

async function roleOf(membershipId: string) {
  const [row] = await getDb()
    .select({ role: memberships.role })
    .from(memberships)
    .where(eq(memberships.id, membershipId))
  return row?.role
}

describe('members settings', () => {
  describe('invitations', () => {
    it.each(['owner', 'admin'] as const)(
      'lets an %s create an invite link whose token is only stored as a sha256 hash',
      async (role) => {
        const { owner, admin } = await team()
        const actor = role === 'owner' ? owner : admin
        const result = await postMembers(actor, { intent: 'invite', email: 'new@example.com', role: 'agent' })
        expect(result.status).toBe(200)
        expect(result.data.inviteLink).toMatch(/^http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]+$/)
        const token = result.data.inviteLink.split('/').pop()
        // At least 128 bits: 22 base64url characters.
        expect(token.length).toBeGreaterThanOrEqual(22)

        const rows = await getDb()
          .select()
          .from(invitations)
          .where(eq(invitations.workspaceId, actor.workspace.id))
        expect(rows).toHaveLength(1)
        expect(rows[0]).toMatchObject({ email: 'new@example.com', role: 'agent', invitedById: actor.user.id })
        expect(rows[0].tokenHash).toBe(createHash('sha256').update(token).digest('hex'))
        expect(JSON.stringify(rows)).not.toContain(token)
        const audit = await auditFor(actor.workspace.id, 'invitation.created')
        expect(audit).toEqual([
          {
            actorUserId: actor.user.id,
            targetId: rows[0].id,
            data: { email: 'new@example.com', role: 'agent' },
          },
        ])
        expect(JSON.stringify(audit)).not.toContain(token)
      },
    )

    it('lists pending invitations to admins, without their token hashes, and hides them from agents', async () => {
      const { owner, agent } = await team()
      const { email } = await createInvitation(owner, { role: 'admin' })
      const expired = await createInvitation(owner)
      await getDb()
        .update(invitations)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(invitations.email, expired.email))

      const asOwner = await callLoader(membersRoute, `/w/${owner.workspace.slug}/settings/members`, {
        cookie: owner.cookie,
        params: { slug: owner.workspace.slug },
      })
      expect(asOwner.status).toBe(200)
      expect(asOwner.data.canManage).toBe(true)
      expect(asOwner.data.invitations).toEqual([
        {
          id: expect.any(String),
          email,
          role: 'admin',
          expiresAt: expect.any(String),
          createdAt: expect.any(Date),
        },
      ])
      expect(asOwner.data.members).toHaveLength(3)

      const asAgent = await callLoader(membersRoute, `/w/${owner.workspace.slug}/settings/members`, {
        cookie: agent.cookie,
        params: { slug: owner.workspace.slug },
      })
      expect(asAgent.status).toBe(200)
      expect(asAgent.data.canManage).toBe(false)
      expect(asAgent.data.invitations).toEqual([])
    })

    it('revokes a pending invitation and records it', async () => {
      const { owner, admin } = await team()
      const { email } = await createInvitation(owner)
      const [invite] = await getDb()
        .select({ id: invitations.id })
        .from(invitations)
        .where(eq(invitations.email, email))
      const result = await postMembers(admin, { intent: 'revoke-invite', invitationId: invite.id })
      expect(result.status).toBe(200)
      expect(result.data.notice).toBe('Invitation revoked.')
      const [row] = await getDb()
        .select({ revokedAt: invitations.revokedAt })
        .from(invitations)
        .where(eq(invitations.id, invite.id))
      expect(row.revokedAt).toBeInstanceOf(Date)
      const page = await callLoader(membersRoute, `/w/${owner.workspace.slug}/settings/members`, {
        cookie: owner.cookie,
        params: { slug: owner.workspace.slug },
      })
      expect(page.data.invitations).toEqual([])
      expect(await auditFor(owner.workspace.id, 'invitation.revoked')).toEqual([
        { actorUserId: admin.user.id, targetId: invite.id, data: {} },
      ])
    })

    it('answers 404 for revoking an invitation twice or after it was accepted, recording nothing more', async () => {
      const { owner } = await team()
      const revoked = await createInvitation(owner)
      const accepted = await createInvitation(owner)
      const ids = await getDb()
        .select({ id: invitations.id, email: invitations.email })
        .from(invitations)
        .where(eq(invitations.workspaceId, owner.workspace.id))
      const idOf = (email: string) => ids.find((i) => i.email === email)!.id
      expect(
        (await postMembers(owner, { intent: 'revoke-invite', invitationId: idOf(revoked.email) })).status,
      ).toBe(200)
      await getDb()
        .update(invitations)
        .set({ acceptedAt: new Date() })
        .where(eq(invitations.id, idOf(accepted.email)))
      const before = await workspaceSnapshot(owner.workspace.id)
      for (const email of [revoked.email, accepted.email]) {
        const result = await postMembers(owner, { intent: 'revoke-invite', invitationId: idOf(email) })
        expect(result.status).toBe(404)
      }
      expect(await workspaceSnapshot(owner.workspace.id)).toEqual(before)
    })

    it('answers 404 for revoking an invitation that does not exist', async () => {
      const { owner } = await team()
      const before = await workspaceSnapshot(owner.workspace.id)
      const result = await postMembers(owner, {
        intent: 'revoke-invite',
        invitationId: '00000000-0000-4000-8000-000000000000',
      })
      expect(result.status).toBe(404)
      expect(await workspaceSnapshot(owner.workspace.id)).toEqual(before)
    })

    it('forbids an admin to invite an owner', async () => {
      const { admin } = await team()
      const before = await workspaceSnapshot(admin.workspace.id)
      const result = await postMembers(admin, { intent: 'invite', email: 'boss@example.com', role: 'owner' })
      expect(result.status).toBe(403)
      expect(await workspaceSnapshot(admin.workspace.id)).toEqual(before)
    })

    it('forbids an admin to revoke an owner invitation, and nothing is written', async () => {
      const { owner, admin } = await team()
      const { email } = await createInvitation(owner, { role: 'owner' })
      const [invite] = await getDb()
        .select({ id: invitations.id })
        .from(invitations)
        .where(eq(invitations.email, email))
      const before = await workspaceSnapshot(owner.workspace.id)
      const result = await postMembers(admin, { intent: 'revoke-invite', invitationId: invite.id })
      expect(result.status).toBe(403)
      expect(await workspaceSnapshot(owner.workspace.id)).toEqual(before)

      const asOwner = await postMembers(owner, { intent: 'revoke-invite', invitationId: invite.id })
      expect(asOwner.status).toBe(200)
      expect(await auditFor(owner.workspace.id, 'invitation.revoked')).toEqual([
        { actorUserId: owner.user.id, targetId: invite.id, data: {} },
      ])
    })

    it('lets an owner invite another owner', async () => {
      const { owner } = await team()
      const result = await postMembers(owner, { intent: 'invite', email: 'boss@example.com', role: 'owner' })
      expect(result.status).toBe(200)
      const [row] = await getDb()
        .select({ role: invitations.role })
        .from(invitations)
        .where(eq(invitations.workspaceId, owner.workspace.id))
      expect(row.role).toBe('owner')
    })
  })

  describe('an agent', () => {
    it.each([
      ['invite', () => ({ intent: 'invite', email: 'x@example.com', role: 'agent' })],
      ['revoke-invite', (ids: Ids) => ({ intent: 'revoke-invite', invitationId: ids.invitationId })],
      ['change-role', (ids: Ids) => ({ intent: 'change-role', membershipId: ids.otherAgent, role: 'admin' })],
      ['change own role', (ids: Ids) => ({ intent: 'change-role', membershipId: ids.self, role: 'owner' })],
      ['remove', (ids: Ids) => ({ intent: 'remove', membershipId: ids.otherAgent })],
    ])('is forbidden to %s, and nothing is written', async (_, form) => {
      const { owner, agent, workspace } = await team()
      const otherAgent = await createMember('agent', workspace)
      const { email } = await createInvitation(owner)
      const [invite] = await getDb()
        .select({ id: invitations.id })
        .from(invitations)
        .where(eq(invitations.email, email))
      const ids = { invitationId: invite.id, otherAgent: otherAgent.membershipId, self: agent.membershipId }
      const before = await workspaceSnapshot(workspace.id)
      const result = await postMembers(agent, form(ids))
      expect(result.status).toBe(403)
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
    })

    it('is forbidden to rename the workspace', async () => {
      const { agent, workspace } = await team()
      const before = await workspaceSnapshot(workspace.id)
      const result = await callAction(
        settingsRoute,
        `/w/${workspace.slug}/settings`,
        { name: 'Hijacked' },
        { cookie: agent.cookie, params: { slug: workspace.slug } },
      )
      expect(result.status).toBe(403)
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
    })
  })

  describe('roles', () => {
    it('lets an admin promote an agent to admin, and records before and after', async () => {
      const { admin, agent, workspace } = await team()
      const result = await postMembers(admin, {
        intent: 'change-role',
        membershipId: agent.membershipId,
        role: 'admin',
      })
      expect(result.status).toBe(200)
      expect(result.data.notice).toBe('Role updated.')
      expect(await roleOf(agent.membershipId)).toBe('admin')
      expect(await auditFor(workspace.id, 'member.role-changed')).toEqual([
        {
          actorUserId: admin.user.id,
          targetId: agent.membershipId,
          data: { userId: agent.user.id, before: 'agent', after: 'admin' },
        },
      ])
    })

    it.each([
      ['demote an owner', (t: Team) => ({ membershipId: t.owner.membershipId, role: 'agent' })],
      ['promote someone to owner', (t: Team) => ({ membershipId: t.agent.membershipId, role: 'owner' })],
      ['promote themself to owner', (t: Team) => ({ membershipId: t.admin.membershipId, role: 'owner' })],
    ])('forbids an admin to %s', async (_, change) => {
      const t = await team()
      const before = await workspaceSnapshot(t.workspace.id)
      const result = await postMembers(t.admin, { intent: 'change-role', ...change(t) })
      expect(result.status).toBe(403)
      expect(await workspaceSnapshot(t.workspace.id)).toEqual(before)
    })

    it('forbids an admin to remove an owner', async () => {
      const t = await team()
      const before = await workspaceSnapshot(t.workspace.id)
      const result = await postMembers(t.admin, { intent: 'remove', membershipId: t.owner.membershipId })
      expect(result.status).toBe(403)
      expect(await workspaceSnapshot(t.workspace.id)).toEqual(before)
    })

    it('refuses to demote the last owner, with a message', async () => {
      const { owner, workspace } = await team()
      const before = await workspaceSnapshot(workspace.id)
      const result = await postMembers(owner, {
        intent: 'change-role',
        membershipId: owner.membershipId,
        role: 'admin',
      })
      expect(result.status).toBe(400)
      expect(result.data.result.error['']).toEqual(['A workspace needs at least one owner.'])
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
    })

    it('refuses to remove the last owner (only they could: it is leaving), with a message', async () => {
      const { owner, workspace } = await team()
      const before = await workspaceSnapshot(workspace.id)
      const result = await postMembers(owner, { intent: 'remove', membershipId: owner.membershipId })
      expect(result.status).toBe(400)
      expect(result.data.result.error['']).toEqual([
        'You are the only owner of this workspace, so you cannot leave it. Make another member an owner first.',
      ])
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
    })

    it('changes, records and tells nothing when the member already has the role, also when a teammate just gave it', async () => {
      const { owner, admin, agent, workspace } = await team()
      const calls: RealtimeCalls = { disconnected: [], removed: [], roles: [] }
      const unchanged = await postMembers(
        owner,
        { intent: 'change-role', membershipId: admin.membershipId, role: 'admin' },
        calls,
      )
      expect(unchanged.status).toBe(200)
      expect(await auditFor(workspace.id, 'member.role-changed')).toEqual([])
      // A teammate's promotion of the agent, held open until this one waits for the membership.
      const teammate = await holdTransaction((tx) =>
        tx.update(memberships).set({ role: 'admin' }).where(eq(memberships.id, agent.membershipId)),
      )
      const racing = postMembers(
        owner,
        { intent: 'change-role', membershipId: agent.membershipId, role: 'admin' },
        calls,
      )
      await lockWaiters(1, teammate)
      await teammate.commit()
      expect((await racing).status).toBe(200)
      expect(await roleOf(agent.membershipId)).toBe('admin')
      // The teammate's change was theirs to record: this request, which found it made, wrote nothing.
      expect(await auditFor(workspace.id, 'member.role-changed')).toEqual([])
      expect(calls.roles).toEqual([])
    })

    it('lets an owner step down once there is another owner', async () => {
      const { owner, workspace } = await team()
      const second = await createMember('owner', workspace)
      const result = await postMembers(owner, {
        intent: 'change-role',
        membershipId: owner.membershipId,
        role: 'admin',
      })
      expect(result.status).toBe(200)
      expect(await roleOf(owner.membershipId)).toBe('admin')
      expect(await roleOf(second.membershipId)).toBe('owner')
    })
  })

  describe('a request that raced its actor’s own demotion or removal', () => {
    // The actor as their request read it (requireMember), before a demotion committed: the
    // domain must judge them on the role the locked memberships hold now.
    const demoted = async () => {
      const { owner, admin, agent, workspace } = await team()
      const second = await createMember('owner', workspace)
      const stale = asMember(second)
      await changeMemberRole(asMember(owner), second.membershipId, 'agent')
      return { owner, admin, agent, workspace, second, stale }
    }
    const refused = (promise: Promise<unknown>) =>
      promise.then(
        () => 'done',
        (error: unknown) => (error instanceof Response ? error.status : error),
      )

    it('cannot promote, demote or remove anyone once demoted to agent', async () => {
      const { admin, agent, workspace, stale } = await demoted()
      const before = await workspaceSnapshot(workspace.id)
      expect(await refused(changeMemberRole(stale, agent.membershipId, 'owner'))).toBe(403)
      expect(await refused(changeMemberRole(stale, admin.membershipId, 'agent'))).toBe(403)
      expect(await refused(removeMember(stale, admin.membershipId))).toBe(403)
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
    })

    it('cannot invite or revoke once demoted, nor act at all once removed', async () => {
      const { owner, admin, workspace, second, stale } = await demoted()
      const { email } = await createInvitation(owner, { role: 'owner' })
      const [invitation] = await getDb().select().from(invitations).where(eq(invitations.email, email))
      const before = await workspaceSnapshot(workspace.id)
      expect(await refused(inviteMember(stale, `late-${Date.now()}@example.com`, 'owner'))).toBe(403)
      expect(await refused(revokeInvitation(stale, invitation!.id))).toBe(403)
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)

      await removeMember(asMember(owner), second.membershipId)
      const removed = { ...stale, role: 'owner' as const }
      expect(await refused(changeMemberRole(removed, admin.membershipId, 'agent'))).toBe(403)
      expect(await refused(inviteMember(removed, `later-${Date.now()}@example.com`, 'agent'))).toBe(403)
      expect(await roleOf(admin.membershipId)).toBe('admin')
    })
  })

  describe('removing a member', () => {
    it('removes them, tells the realtime hub, records it, and they get 404 on every workspace page at once', async () => {
      const { admin, agent, workspace } = await team()
      const calls: RealtimeCalls = { disconnected: [], removed: [] }
      const result = await postMembers(admin, { intent: 'remove', membershipId: agent.membershipId }, calls)
      expect(result.status).toBe(200)
      expect(result.data.notice).toBe('Member removed.')
      expect(await roleOf(agent.membershipId)).toBeUndefined()
      expect(calls.removed).toEqual([[agent.user.id, workspace.id]])
      expect(await auditFor(workspace.id, 'member.removed')).toEqual([
        {
          actorUserId: admin.user.id,
          targetId: agent.membershipId,
          data: { userId: agent.user.id, role: 'agent' },
        },
      ])

      for (const [route, path] of [
        [workspaceRoute, `/w/${workspace.slug}`],
        [workspaceHomeRoute, `/w/${workspace.slug}`],
        [ticketsRoute, `/w/${workspace.slug}/tickets`],
        [settingsRoute, `/w/${workspace.slug}/settings`],
        [membersRoute, `/w/${workspace.slug}/settings/members`],
      ] as const) {
        const page = await callLoader(route, path, { cookie: agent.cookie, params: { slug: workspace.slug } })
        expect(page.status, path).toBe(404)
      }
    })

    it('hands the tickets they had and were not closed back to Unassigned, live and audited; closed ones keep them', async () => {
      const { admin, agent, workspace } = await team()
      const [open, pending, closed, theirsNot] = await Promise.all([
        createTicketFor(admin),
        createTicketFor(admin),
        createTicketFor(admin),
        createTicketFor(admin),
      ])
      await setTicket(open.ticketId, { assigneeId: agent.user.id })
      await setTicket(pending.ticketId, { assigneeId: agent.user.id, status: 'pending' })
      await setTicket(closed.ticketId, { assigneeId: agent.user.id, status: 'closed' })
      await setTicket(theirsNot.ticketId, { assigneeId: admin.user.id })
      const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
      const result = await postMembers(admin, { intent: 'remove', membershipId: agent.membershipId }, calls)
      expect(result.status).toBe(200)
      expect(result.data.notice).toBe(
        'Member removed. The 2 tickets assigned to them that were not closed are unassigned now.',
      )
      const assignees = await getDb()
        .select({ id: tickets.id, assigneeId: tickets.assigneeId })
        .from(tickets)
        .where(eq(tickets.workspaceId, workspace.id))
      const of = (id: string) => assignees.find((t) => t.id === id)?.assigneeId
      expect([of(open.ticketId), of(pending.ticketId)]).toEqual([null, null])
      expect(of(closed.ticketId)).toBe(agent.user.id)
      expect(of(theirsNot.ticketId)).toBe(admin.user.id)
      const updated = calls.published!.filter((e) => e.type === 'ticket.updated').map((e) => e.ticketId)
      expect(updated.sort()).toEqual([open.ticketId, pending.ticketId].sort())
      // The Unassigned view lists them again.
      const unassigned = await callLoader(ticketsRoute, `/w/${workspace.slug}/tickets?view=unassigned`, {
        cookie: admin.cookie,
        params: { slug: workspace.slug },
      })
      const numbers = (inboxRows(unassigned) as Array<{ number: number }>).map((r) => r.number)
      expect(numbers).toEqual(expect.arrayContaining([open.number, pending.number]))
      const audit = await auditFor(workspace.id, 'member.removed')
      expect(audit[0]?.data).toMatchObject({ ticketsUnassigned: 2 })
    })

    it('lets an owner remove another owner', async () => {
      const { owner, workspace } = await team()
      const second = await createMember('owner', workspace)
      const result = await postMembers(owner, { intent: 'remove', membershipId: second.membershipId })
      expect(result.status).toBe(200)
      expect(await roleOf(second.membershipId)).toBeUndefined()
    })
  })

  describe('leaving a workspace', () => {
    /** Posts as the page does: without `confirmed`, the confirmation step; with it, the departure. */
    function postLeave(actor: Actor, form: Record<string, string>, options: { confirmed: boolean }) {
      const slug = actor.workspace.slug
      return callAction(
        membersRoute,
        `/w/${slug}/settings/members`,
        options.confirmed ? { ...form, confirmed: '1' } : form,
        { cookie: actor.cookie, params: { slug }, context: testContext() },
      )
    }

    /** What the page the departure lands on says (the home of the next workspace, or Create one). */
    async function landing(actor: Actor, location: string) {
      const url = new URL(location, 'http://localhost:3000')
      const next = /^\/w\/([^/]+)$/.exec(url.pathname)
      if (next) {
        const page = await callLoader(workspaceHomeRoute, `${url.pathname}${url.search}`, {
          cookie: actor.cookie,
          params: { slug: next[1] },
        })
        return page.data.left
      }
      expect(url.pathname).toBe('/workspaces/new')
      const page = await callLoader(newWorkspaceRoute, `${url.pathname}${url.search}`, {
        cookie: actor.cookie,
      })
      return page.data.left
    }

    it('asks first in words about the leaver, then lands them on their next workspace saying "You left …"', async () => {
      const { agent, workspace } = await team()
      const other = await createWorkspace({ name: 'Beta Desk' })
      await addMember(other.id, agent.user.id, 'agent')
      const page = await callLoader(membersRoute, `/w/${workspace.slug}/settings/members`, {
        cookie: agent.cookie,
        params: { slug: workspace.slug },
      })
      expect(page.data.workspaceName).toBe('Acme Support')

      const ask = await postLeave(agent, { intent: 'leave' }, { confirmed: false })
      expect(ask.status).toBe(200)
      expect(ask.data.confirmStep).toMatchObject({
        title: 'Leave Acme Support?',
        confirmLabel: 'Leave workspace',
      })
      expect(ask.data.confirmStep.description).toMatch(/^You will lose access to Acme Support at once\./)
      expect(await roleOf(agent.membershipId)).toBe('agent')

      const calls: RealtimeCalls = { disconnected: [], removed: [] }
      const slug = workspace.slug
      const left = await callAction(
        membersRoute,
        `/w/${slug}/settings/members`,
        { intent: 'leave', confirmed: '1' },
        { cookie: agent.cookie, params: { slug }, context: testContext(calls) },
      )
      expect(left.status).toBe(302)
      expect(left.location).toMatch(new RegExp(`^/w/${other.slug}\\?left=`))
      expect(await roleOf(agent.membershipId)).toBeUndefined()
      expect(calls.removed).toEqual([[agent.user.id, workspace.id]])
      expect(await auditFor(workspace.id, 'member.left')).toEqual([
        {
          actorUserId: agent.user.id,
          targetId: agent.membershipId,
          data: { userId: agent.user.id, role: 'agent' },
        },
      ])
      expect(await landing(agent, left.location!)).toBe('Acme Support')
    })

    it('lands a member who left their last workspace on Create a workspace, with the notice', async () => {
      const { admin } = await team()
      const left = await postLeave(admin, { intent: 'leave' }, { confirmed: true })
      expect(left.status).toBe(302)
      expect(left.location).toMatch(/^\/workspaces\/new\?left=/)
      expect(await landing(admin, left.location!)).toBe('Acme Support')
    })

    it('"Remove" on an admin\'s own row is the same departure: asked about as leaving, then redirected', async () => {
      const { admin, workspace } = await team()
      const ask = await postLeave(
        admin,
        { intent: 'remove', membershipId: admin.membershipId },
        { confirmed: false },
      )
      expect(ask.data.confirmStep.title).toBe('Leave Acme Support?')
      expect(ask.data.confirmStep.fields).toEqual([['intent', 'leave']])
      const left = await postLeave(
        admin,
        { intent: 'remove', membershipId: admin.membershipId },
        { confirmed: true },
      )
      expect(left.status).toBe(302)
      expect(left.location).toMatch(/^\/workspaces\/new\?left=/)
      expect(await roleOf(admin.membershipId)).toBeUndefined()
      expect(await auditFor(workspace.id, 'member.left')).toHaveLength(1)
      expect(await auditFor(workspace.id, 'member.removed')).toHaveLength(0)
    })

    it('keeps the last owner, with a clear message; a second owner may leave', async () => {
      const { owner, workspace } = await team()
      const before = await workspaceSnapshot(workspace.id)
      const refused = await postLeave(owner, { intent: 'leave' }, { confirmed: true })
      expect(refused.status).toBe(400)
      expect(refused.data.result.error['']).toEqual([
        'You are the only owner of this workspace, so you cannot leave it. Make another member an owner first.',
      ])
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
      const second = await createMember('owner', workspace)
      expect((await postLeave(owner, { intent: 'leave' }, { confirmed: true })).status).toBe(302)
      expect(await roleOf(owner.membershipId)).toBeUndefined()
      expect(await roleOf(second.membershipId)).toBe('owner')
    })

    it('shows "You left …" only for a notice signed for this user', async () => {
      const { agent, admin } = await team()
      const other = await createWorkspace({ name: 'Beta Desk' })
      await addMember(other.id, agent.user.id, 'agent')
      await addMember(other.id, admin.user.id, 'agent')
      const left = await postLeave(agent, { intent: 'leave' }, { confirmed: true })
      const url = new URL(left.location!, 'http://localhost:3000')
      // The same link opened by someone else, a forged name, and no notice at all.
      expect(await landing(admin, left.location!)).toBeNull()
      const forged = `${Buffer.from('Your account is locked: call us').toString('base64url')}.${url.searchParams.get('left')!.split('.')[1]}`
      expect(await landing(agent, `${url.pathname}?left=${forged}`)).toBeNull()
      expect(await landing(agent, `${url.pathname}?left=garbage`)).toBeNull()
      expect(await landing(agent, url.pathname)).toBeNull()
    })

    it('a workspace of someone else: 404, nothing written', async () => {
      const { agent } = await team()
      const stranger = await createMember('owner')
      const before = await workspaceSnapshot(agent.workspace.id)
      const result = await callAction(
        membersRoute,
        `/w/${agent.workspace.slug}/settings/members`,
        { intent: 'leave', confirmed: '1' },
        { cookie: stranger.cookie, params: { slug: agent.workspace.slug }, context: testContext() },
      )
      expect(result.status).toBe(404)
      expect(await workspaceSnapshot(agent.workspace.id)).toEqual(before)
    })
  })

  describe('bad input', () => {
    it.each([
      ['an invalid email', { intent: 'invite', email: 'not-an-email', role: 'agent' }, 'email'],
      ['a role outside the enum', { intent: 'invite', email: 'ok@example.com', role: 'superuser' }, 'role'],
      ['a missing role', { intent: 'invite', email: 'ok@example.com' }, 'role'],
      ['a malformed invitation id', { intent: 'revoke-invite', invitationId: 'not-a-uuid' }, 'invitationId'],
      [
        'a malformed membership id for a role change',
        { intent: 'change-role', membershipId: "1' or '1'='1", role: 'admin' },
        'membershipId',
      ],
      [
        'an unknown role for a role change',
        { intent: 'change-role', membershipId: 'MEMBER', role: 'god' },
        'role',
      ],
      ['a malformed membership id for removal', { intent: 'remove', membershipId: '12345' }, 'membershipId'],
      ['an unknown intent (a form-level message)', { intent: 'drop-workspace' }, ''],
    ])('rejects %s with 400 and writes nothing', async (_, form, field) => {
      const { owner, agent, workspace } = await team()
      const before = await workspaceSnapshot(workspace.id)
      const body = Object.fromEntries(
        Object.entries(form).map(([k, v]) => [k, v === 'MEMBER' ? agent.membershipId : v]),
      )
      const result = await postMembers(owner, body)
      expect(result.status).toBe(400)
      expect(result.data.result.error[field]).toBeDefined()
      expect(result.data.inviteLink).toBeNull()
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
    })
  })

  describe('general settings', () => {
    it('lets an admin rename the workspace and records it', async () => {
      const { admin, workspace } = await team()
      const result = await callAction(
        settingsRoute,
        `/w/${workspace.slug}/settings`,
        { name: '  Acme Help  ' },
        { cookie: admin.cookie, params: { slug: workspace.slug } },
      )
      expect(result.status).toBe(302)
      expect(result.location).toBe(`/w/${workspace.slug}/settings`)
      const [row] = await getDb()
        .select({ name: workspaces.name })
        .from(workspaces)
        .where(eq(workspaces.id, workspace.id))
      expect(row.name).toBe('Acme Help')
      expect(await auditFor(workspace.id, 'workspace.renamed')).toEqual([
        {
          actorUserId: admin.user.id,
          targetId: workspace.id,
          data: { before: 'Acme Support', after: 'Acme Help' },
        },
      ])
    })

    it.each([
      ['an empty name', '  ', 'Workspace name is required'],
      ['a name longer than 80 characters', 'x'.repeat(81), 'Use at most 80 characters'],
    ])('rejects %s with a field error and writes nothing', async (_, name, message) => {
      const { owner, workspace } = await team()
      const before = await workspaceSnapshot(workspace.id)
      const result = await callAction(
        settingsRoute,
        `/w/${workspace.slug}/settings`,
        { name },
        { cookie: owner.cookie, params: { slug: workspace.slug } },
      )
      expect(result.status).toBe(400)
      expect(result.data.result.error.name).toEqual([message])
      expect(await workspaceSnapshot(workspace.id)).toEqual(before)
    })

    it('shows the settings to an agent as read-only', async () => {
      const { agent, workspace } = await team()
      const result = await callLoader(settingsRoute, `/w/${workspace.slug}/settings`, {
        cookie: agent.cookie,
        params: { slug: workspace.slug },
      })
      expect(result.status).toBe(200)
      expect(result.data).toEqual({ name: 'Acme Support', slug: workspace.slug, canEdit: false })
    })
  })
})

type Team = Awaited<ReturnType<typeof team>>
type Ids = { invitationId: string; otherAgent: string; self: string }
