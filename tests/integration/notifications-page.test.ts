import { and, eq, isNull } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { notifications } from '#db/schema.ts'
import { customerReply } from '#app/domain/messages.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as notificationsRoute from '#app/routes/w.$slug.notifications.tsx'
import { describeNotificationGroup, type NotificationGroup } from '#app/utils/notification-groups.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

/** A workspace where `agent` has 3 customer replies on one ticket and an assignment on another. */
async function arrange() {
  const lead = await createMember('owner')
  const agent = await createMember('agent', lead.workspace)
  const replied = await createTicketFor(lead, { subject: 'Kettle never arrived' })
  const assigned = await createTicketFor(lead, { subject: 'Refund please' })
  const actor = { workspaceId: lead.workspace.id, userId: lead.user.id }
  await updateTickets(actor, [replied.ticketId], { assigneeId: agent.user.id })
  for (const text of ['Any news?', 'Hello?', 'Still waiting']) {
    await customerReply({ ticketId: replied.ticketId, workspaceId: lead.workspace.id }, text)
  }
  // The assignment on `replied` is read already; everything else is unread.
  await getDb()
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(eq(notifications.ticketId, replied.ticketId), eq(notifications.kind, 'assigned')))
  await updateTickets(actor, [assigned.ticketId], { assigneeId: agent.user.id })
  return { lead, agent, replied, assigned, slug: lead.workspace.slug }
}

function page(slug: string, cookie: string, query = '') {
  return callLoader(notificationsRoute, `/w/${slug}/notifications${query}`, { cookie, params: { slug } })
}

function post(slug: string, cookie: string, form: Record<string, string>, referer?: string) {
  return callAction(notificationsRoute, `/w/${slug}/notifications`, form, {
    cookie,
    params: { slug },
    headers: referer ? { referer: `http://localhost:3000${referer}` } : {},
  })
}

async function unreadOf(userId: string, ticketId: string) {
  const rows = await getDb()
    .select({ id: notifications.id })
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        eq(notifications.ticketId, ticketId),
        isNull(notifications.readAt),
      ),
    )
  return rows.length
}

describe('notifications page', () => {
  it('groups notifications per ticket, newest first, with counts and times', async () => {
    const { agent, replied, assigned, slug } = await arrange()
    const result = await page(slug, agent.cookie)
    expect(result.status).toBe(200)
    const groups: NotificationGroup[] = result.data.groups
    expect(groups.map((g) => g.number)).toEqual([assigned.number, replied.number])
    const [first, second] = groups
    expect(describeNotificationGroup(first)).toBe(`Test User assigned you #${assigned.number}`)
    expect(second.total).toBe(4)
    expect(second.unread).toBe(3)
    expect(describeNotificationGroup(second)).toBe(`3 replies and 1 assignment on #${replied.number}`)
    expect(second.subject).toBe('Kettle never arrived')
    expect(Date.parse(second.latestAt)).toBeLessThanOrEqual(Date.parse(first.latestAt))
  })

  it('filters by unread and by kind', async () => {
    const { agent, replied, assigned, slug } = await arrange()
    await post(slug, agent.cookie, { intent: 'read', ticketId: assigned.ticketId })
    const unread = await page(slug, agent.cookie, '?unread=1')
    expect(unread.data.groups.map((g: NotificationGroup) => g.number)).toEqual([replied.number])
    expect(unread.data.groups[0].total).toBe(3) // the read assignment is left out
    const kind = await page(slug, agent.cookie, '?kind=assigned')
    expect(kind.data.filters).toEqual({ unread: false, kind: 'assigned' })
    expect(kind.data.groups.map((g: NotificationGroup) => [g.number, g.total])).toEqual([
      [assigned.number, 1],
      [replied.number, 1],
    ])
    // Unknown values are ignored, not a 500.
    const odd = await page(slug, agent.cookie, '?kind=nonsense&unread=yes')
    expect(odd.status).toBe(200)
    expect(odd.data.filters).toEqual({ unread: false, kind: null })
    expect(odd.data.groups).toHaveLength(2)
  })

  it('marks a ticket’s notifications read and unread, and all read, going back to the filtered page', async () => {
    const { agent, replied, assigned, slug } = await arrange()
    const back = `/w/${slug}/notifications?unread=1`
    const read = await post(slug, agent.cookie, { intent: 'read', ticketId: replied.ticketId }, back)
    expect(read.status).toBe(302)
    expect(read.location).toBe(back)
    expect(await unreadOf(agent.user.id, replied.ticketId)).toBe(0)
    expect(await unreadOf(agent.user.id, assigned.ticketId)).toBe(1)

    await post(slug, agent.cookie, { intent: 'unread', ticketId: replied.ticketId })
    expect(await unreadOf(agent.user.id, replied.ticketId)).toBe(4)

    const open = await post(slug, agent.cookie, {
      intent: 'open-group',
      ticketId: assigned.ticketId,
      number: String(assigned.number),
    })
    expect(open.location).toBe(`/w/${slug}/tickets/${assigned.number}`)
    expect(await unreadOf(agent.user.id, assigned.ticketId)).toBe(0)

    await post(slug, agent.cookie, { intent: 'read-all' }, back)
    expect(await unreadOf(agent.user.id, replied.ticketId)).toBe(0)
  })

  it('refuses a group post without exactly one group', async () => {
    const { agent, replied, slug } = await arrange()
    const none = await post(slug, agent.cookie, { intent: 'read' })
    expect(none.status).toBe(400)
    const both = await post(slug, agent.cookie, {
      intent: 'read',
      ticketId: replied.ticketId,
      endpointId: crypto.randomUUID(),
    })
    expect(both.status).toBe(400)
    expect(await unreadOf(agent.user.id, replied.ticketId)).toBe(3)
  })

  it('keeps notifications to their workspace and user', async () => {
    const { lead, agent, replied, slug } = await arrange()
    const outsider = await createMember('owner')
    // A member of another workspace: 404 on the page and on its actions.
    expect((await page(slug, outsider.cookie)).status).toBe(404)
    expect((await post(slug, outsider.cookie, { intent: 'read', ticketId: replied.ticketId })).status).toBe(
      404,
    )
    // Posting this workspace's ticket through their own workspace changes nothing here.
    const own = outsider.workspace.slug
    await post(own, outsider.cookie, { intent: 'read', ticketId: replied.ticketId })
    await post(own, outsider.cookie, { intent: 'read-all' })
    expect(await unreadOf(agent.user.id, replied.ticketId)).toBe(3)
    expect((await page(own, outsider.cookie)).data.groups).toEqual([])
    // A teammate in the same workspace sees only their own (the lead has none), and cannot
    // mark the agent's notifications.
    expect((await page(slug, lead.cookie)).data.groups).toEqual([])
    await post(slug, lead.cookie, { intent: 'read', ticketId: replied.ticketId })
    expect(await unreadOf(agent.user.id, replied.ticketId)).toBe(3)
  })
})
