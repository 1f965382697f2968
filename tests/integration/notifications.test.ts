import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { memberships, notifications } from '#db/schema.ts'
import { customerReply } from '#app/domain/messages.server.ts'
import { workspaceLayout } from '#app/domain/layout.server.ts'
import { markNotificationsRead } from '#app/domain/notifications.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/** The bell's data, as the workspace layout loads it. */
async function bell(workspaceId: string, userId: string) {
  const layout = await workspaceLayout({
    workspaceId,
    userId,
    role: 'agent',
    workspaceSlug: '',
    workspaceName: '',
  })
  return layout.notifications
}

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

describe('notifications', () => {
  it('notifies an agent when a ticket is assigned to them and when its customer replies', async () => {
    const lead = await createMember('owner')
    const agent = await createMember('agent', lead.workspace)
    const ticket = await createTicketFor(lead)
    const assigned = await updateTickets(
      { workspaceId: lead.workspace.id, userId: lead.user.id },
      [ticket.ticketId],
      {
        assigneeId: agent.user.id,
      },
    )
    expect(assigned.kind).toBe('updated')
    if (assigned.kind === 'updated') {
      expect(assigned.events).toContainEqual(
        expect.objectContaining({ type: 'notification.created', userId: agent.user.id, kind: 'assigned' }),
      )
    }
    const replied = await customerReply(
      { ticketId: ticket.ticketId, workspaceId: lead.workspace.id },
      'Hello again',
    )
    expect(replied.events).toContainEqual(
      expect.objectContaining({
        type: 'notification.created',
        userId: agent.user.id,
        kind: 'customer-replied',
      }),
    )
    const list = await bell(lead.workspace.id, agent.user.id)
    expect(list.unread).toBe(2)
    expect(list.items.map((n) => n.kind)).toEqual(['customer-replied', 'assigned'])
    expect(list.items[1].actorName).toBe(lead.user.name)
    await markNotificationsRead(lead.workspace.id, agent.user.id, [list.items[0].id])
    expect((await bell(lead.workspace.id, agent.user.id)).unread).toBe(1)
    await markNotificationsRead(lead.workspace.id, agent.user.id)
    expect((await bell(lead.workspace.id, agent.user.id)).unread).toBe(0)
    // The lead assigned it: they are not notified of their own action.
    expect((await bell(lead.workspace.id, lead.user.id)).items).toHaveLength(0)
  })

  it('does not notify an assignee who was removed from the workspace when the customer replies', async () => {
    const lead = await createMember('owner')
    const agent = await createMember('agent', lead.workspace)
    const ticket = await createTicketFor(lead)
    await updateTickets({ workspaceId: lead.workspace.id, userId: lead.user.id }, [ticket.ticketId], {
      assigneeId: agent.user.id,
    })
    await getDb()
      .delete(memberships)
      .where(and(eq(memberships.workspaceId, lead.workspace.id), eq(memberships.userId, agent.user.id)))
    const replied = await customerReply(
      { ticketId: ticket.ticketId, workspaceId: lead.workspace.id },
      'Anyone there?',
    )
    expect(replied.events.map((e) => e.type)).not.toContain('notification.created')
    const stored = await getDb()
      .select({ id: notifications.id })
      .from(notifications)
      .where(and(eq(notifications.userId, agent.user.id), eq(notifications.kind, 'customer-replied')))
    expect(stored).toHaveLength(0)
  })

  it('does not notify someone who assigns a ticket to themselves', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const outcome = await updateTickets(
      { workspaceId: agent.workspace.id, userId: agent.user.id },
      [ticket.ticketId],
      {
        assigneeId: agent.user.id,
      },
    )
    if (outcome.kind !== 'updated') throw new Error('expected update')
    expect(outcome.events.map((e) => e.type)).toEqual(['ticket.updated'])
  })
})

describe('notifications route', () => {
  it('marks one notification read and opens its ticket; a member of another workspace gets 404', async () => {
    const { callAction, callLoader } = await import('#tests/helpers/routes.ts')
    const route = await import('#app/routes/w.$slug.notifications.tsx')
    const layout = await import('#app/routes/w.$slug.tsx')
    const lead = await createMember('owner')
    const agent = await createMember('agent', lead.workspace)
    const outsider = await createMember('owner')
    const ticket = await createTicketFor(lead)
    await updateTickets({ workspaceId: lead.workspace.id, userId: lead.user.id }, [ticket.ticketId], {
      assigneeId: agent.user.id,
    })
    const page = await callLoader(layout, `/w/${lead.workspace.slug}`, {
      cookie: agent.cookie,
      params: { slug: lead.workspace.slug },
    })
    expect(page.data.notifications.unread).toBe(1)
    const [item] = page.data.notifications.items
    const foreign = await callAction(
      route,
      `/w/${lead.workspace.slug}/notifications`,
      { intent: 'open', id: item.id, number: String(item.number) },
      { cookie: outsider.cookie, params: { slug: lead.workspace.slug } },
    )
    expect(foreign.status).toBe(404)
    // Someone else's notification id changes nothing.
    await callAction(
      route,
      `/w/${lead.workspace.slug}/notifications`,
      { intent: 'open', id: item.id, number: String(item.number) },
      { cookie: lead.cookie, params: { slug: lead.workspace.slug } },
    )
    expect((await bell(lead.workspace.id, agent.user.id)).unread).toBe(1)
    const opened = await callAction(
      route,
      `/w/${lead.workspace.slug}/notifications`,
      { intent: 'open', id: item.id, number: String(item.number) },
      { cookie: agent.cookie, params: { slug: lead.workspace.slug } },
    )
    expect(opened.status).toBe(302)
    expect(opened.location).toBe(`/w/${lead.workspace.slug}/tickets/${ticket.number}`)
    expect((await bell(lead.workspace.id, agent.user.id)).unread).toBe(0)
    const bad = await callAction(
      route,
      `/w/${lead.workspace.slug}/notifications`,
      { intent: 'open', id: 'nope', number: 'x' },
      { cookie: agent.cookie, params: { slug: lead.workspace.slug } },
    )
    expect(bad.status).toBe(400)
  })

  it('marks all read and goes back to the referring page, or home when the Referer is malformed', async () => {
    const { callAction } = await import('#tests/helpers/routes.ts')
    const route = await import('#app/routes/w.$slug.notifications.tsx')
    const agent = await createMember('agent')
    const slug = agent.workspace.slug
    const readAll = (referer: string) =>
      callAction(
        route,
        `/w/${slug}/notifications`,
        { intent: 'read-all' },
        { cookie: agent.cookie, params: { slug }, headers: { referer } },
      )
    const back = await readAll(`http://localhost:3000/w/${slug}/tickets?view=mine`)
    expect(back.status).toBe(302)
    expect(back.location).toBe(`/w/${slug}/tickets?view=mine`)
    const malformed = await readAll('http://[not a url')
    expect(malformed.status).toBe(302)
    expect(malformed.location).toBe(`/w/${slug}`)
  })
})
