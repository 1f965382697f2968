import { and, eq, inArray } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { apiTokens, cannedResponses, invitations, mailboxes, memberships, tickets } from '#db/schema.ts'
import { createApiToken } from '#app/domain/api-tokens.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as tokensRoute from '#app/routes/w.$slug.settings.api-tokens.tsx'
import * as cannedRoute from '#app/routes/w.$slug.settings.canned-responses.tsx'
import * as mailboxesRoute from '#app/routes/w.$slug.settings.mailboxes.tsx'
import * as membersRoute from '#app/routes/w.$slug.settings.members.tsx'
import * as queueRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { createInvitation, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Owner = Awaited<ReturnType<typeof createMember>>
type Route = Parameters<typeof callAction>[0]

function post(route: Route, owner: Owner, page: string, form: Record<string, string> | FormData) {
  return callAction(route, `/w/${owner.workspace.slug}/${page}`, form, {
    cookie: owner.cookie,
    params: { slug: owner.workspace.slug },
  })
}

/** The first post (as without JavaScript) answers the confirmation step and changes nothing; the step's form, posted back, does it. */
async function confirmFlow(
  route: Route,
  owner: Owner,
  page: string,
  form: Record<string, string>,
  title: string,
) {
  // Another workspace's id is a 404, before any question.
  const stranger = await createMember('owner')
  expect((await post(route, stranger, page, form)).status).toBe(404)
  const first = await post(route, owner, page, form)
  expect(first.status).toBe(200)
  // The question names what it removes, read from the database.
  expect(first.data.confirmStep).toMatchObject({ title, confirmLabel: expect.any(String) })
  const fields: Array<[string, string]> = first.data.confirmStep.fields
  expect(Object.fromEntries(fields)).toEqual(form)
  return async () => {
    const again = new FormData()
    for (const [name, value] of fields) again.append(name, value)
    again.append('confirmed', '1')
    return post(route, owner, page, Object.fromEntries(again) as Record<string, string>)
  }
}

describe('destructive actions ask first', () => {
  it('deletes a canned response only after confirmation', async () => {
    const owner = await createMember('owner')
    const [row] = await getDb()
      .insert(cannedResponses)
      .values({ workspaceId: owner.workspace.id, title: 'Thanks', body: 'Thanks!' })
      .returning({ id: cannedResponses.id })
    const confirm = await confirmFlow(
      cannedRoute,
      owner,
      'settings/canned-responses',
      {
        intent: 'delete',
        cannedResponseId: row.id,
      },
      'Delete the canned response “Thanks”?',
    )
    const stored = () => getDb().select().from(cannedResponses).where(eq(cannedResponses.id, row.id))
    expect(await stored()).toHaveLength(1)
    await confirm()
    expect(await stored()).toHaveLength(0)
  })

  it('revokes an API token only after confirmation', async () => {
    const owner = await createMember('owner')
    await createApiToken(
      {
        userId: owner.user.id,
        role: 'owner',
        workspaceId: owner.workspace.id,
        workspaceSlug: owner.workspace.slug,
        workspaceName: 'W',
      },
      { name: 'CI', scopes: ['tickets:read'] },
    )
    const [token] = await getDb()
      .select({ id: apiTokens.id })
      .from(apiTokens)
      .where(eq(apiTokens.workspaceId, owner.workspace.id))
    const confirm = await confirmFlow(
      tokensRoute,
      owner,
      'settings/api-tokens',
      { intent: 'revoke', tokenId: token.id },
      'Revoke the API token “CI”?',
    )
    const revokedAt = async () =>
      (await getDb().select({ at: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, token.id)))[0]
        .at
    expect(await revokedAt()).toBeNull()
    await confirm()
    expect(await revokedAt()).toBeInstanceOf(Date)
  })

  it('archives a mailbox only after confirmation', async () => {
    const owner = await createMember('owner')
    const [second] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: owner.workspace.id,
        name: 'Billing',
        key: 'billing',
        address: 'billing@example.com',
        fromName: 'Billing',
      })
      .returning({ id: mailboxes.id })
    const confirm = await confirmFlow(
      mailboxesRoute,
      owner,
      'settings/mailboxes',
      { intent: 'archive', mailboxId: second.id },
      'Archive the mailbox “Billing” (billing@example.com)?',
    )
    const archivedAt = async () =>
      (
        await getDb().select({ at: mailboxes.archivedAt }).from(mailboxes).where(eq(mailboxes.id, second.id))
      )[0].at
    expect(await archivedAt()).toBeNull()
    await confirm()
    expect(await archivedAt()).toBeInstanceOf(Date)
  })

  it('removes a member and revokes an invitation only after confirmation', async () => {
    const owner = await createMember('owner')
    const agent = await createMember('agent', owner.workspace)
    const removing = await confirmFlow(
      membersRoute,
      owner,
      'settings/members',
      { intent: 'remove', membershipId: agent.membershipId },
      `Remove ${agent.user.name} (${agent.user.email}) from the workspace?`,
    )
    const membership = () => getDb().select().from(memberships).where(eq(memberships.id, agent.membershipId))
    expect(await membership()).toHaveLength(1)
    await removing()
    expect(await membership()).toHaveLength(0)

    const { email } = await createInvitation(owner)
    const [invitation] = await getDb()
      .select({ id: invitations.id })
      .from(invitations)
      .where(and(eq(invitations.workspaceId, owner.workspace.id), eq(invitations.email, email)))
    const revoking = await confirmFlow(
      membersRoute,
      owner,
      'settings/members',
      { intent: 'revoke-invite', invitationId: invitation.id },
      `Revoke the invitation for ${email}?`,
    )
    const revokedAt = async () =>
      (
        await getDb()
          .select({ at: invitations.revokedAt })
          .from(invitations)
          .where(eq(invitations.id, invitation.id))
      )[0]?.at
    expect(await revokedAt()).toBeNull()
    await revoking()
    expect(await revokedAt()).not.toBeNull()
  })

  it('asks before a bulk status change of more than 10 tickets, naming them, not before 10', async () => {
    const owner = await createMember('owner')
    const created = []
    for (let i = 0; i < 11; i++)
      created.push(await createTicketFor(owner, { subject: `Order ${i + 1} lost` }))
    const ids = created.map((t) => t.ticketId)
    const statuses = async (which: string[]) =>
      (await getDb().select({ status: tickets.status }).from(tickets).where(inArray(tickets.id, which))).map(
        (r) => r.status,
      )
    const bulk = (which: string[], extra: Array<[string, string]> = []) => {
      const form = new FormData()
      for (const [k, v] of [
        ['intent', 'bulk'],
        ['operation', 'status'],
        ['status', 'pending'],
        ...which.map((id) => ['ticketIds', id]),
        ...extra,
      ])
        form.append(k, v)
      return post(queueRoute, owner, 'tickets?index', form)
    }
    // Another workspace's ticket among them: refused, and nothing of it (or of ours) is named.
    const stranger = await createMember('owner')
    const foreign = await createTicketFor(stranger, { subject: 'Secret merger plans' })
    const mixed = await bulk([...ids.slice(0, 11), foreign.ticketId])
    expect(mixed.status).toBe(404)
    expect(mixed.data.confirmStep).toBeUndefined()
    expect(JSON.stringify(mixed.data)).not.toContain('Secret merger plans')
    expect(JSON.stringify(mixed.data)).not.toContain('Order 1 lost')
    expect(await statuses([...ids, foreign.ticketId])).toEqual(Array(12).fill('open'))

    const first = await bulk(ids)
    expect(first.status).toBe(200)
    expect(first.data.confirmStep.title).toBe('Change the status of 11 tickets to Pending?')
    // Named by number and subject (in this workspace), the first ten, then a count.
    expect(first.data.confirmStep.items).toEqual([
      ...created.slice(0, 10).map((t, i) => `#${t.number} Order ${i + 1} lost`),
      'and 1 more',
    ])
    expect(await statuses(ids)).toEqual(Array(11).fill('open'))
    const again = new FormData()
    for (const [k, v] of first.data.confirmStep.fields as Array<[string, string]>) again.append(k, v)
    again.append('confirmed', '1')
    expect((await post(queueRoute, owner, 'tickets?index', again)).status).toBe(302)
    expect(await statuses(ids)).toEqual(Array(11).fill('pending'))

    // Ten or fewer: no question.
    const ten = ids.slice(0, 10)
    const small = new FormData()
    for (const [k, v] of [
      ['intent', 'bulk'],
      ['operation', 'status'],
      ['status', 'resolved'],
      ...ten.map((id) => ['ticketIds', id]),
    ])
      small.append(k, v)
    expect((await post(queueRoute, owner, 'tickets?index', small)).status).toBe(302)
    expect(await statuses(ten)).toEqual(Array(10).fill('resolved'))
  })
})
