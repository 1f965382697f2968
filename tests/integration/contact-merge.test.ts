import { and, eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, contacts, emails, messages, tickets } from '#db/schema.ts'
import { findCustomerTicket, replyThroughLink } from '#app/domain/customer-portal.server.ts'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'

type Agent = Awaited<ReturnType<typeof createMember>>

function merge(
  agent: Agent,
  keepId: string,
  mergeId: string,
  calls?: RealtimeCalls,
  slug = agent.workspace.slug,
) {
  return callAction(
    customerRoute,
    `/w/${slug}/customers/${keepId}`,
    { intent: 'merge', mergeId },
    { cookie: agent.cookie, params: { slug, id: keepId }, context: testContext(calls) },
  )
}

function loadCustomer(agent: Agent, id: string, query = '') {
  return callLoader(customerRoute, `/w/${agent.workspace.slug}/customers/${id}${query}`, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, id },
  })
}

async function contactIdOf(ticketId: string) {
  const [row] = await getDb().select({ id: tickets.contactId }).from(tickets).where(eq(tickets.id, ticketId))
  return row!.id
}

async function contactExists(id: string) {
  return (await getDb().select({ id: contacts.id }).from(contacts).where(eq(contacts.id, id))).length === 1
}

function mergeAudits(workspaceId: string) {
  return getDb()
    .select({ actorUserId: auditEvents.actorUserId, targetId: auditEvents.targetId, data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.workspaceId, workspaceId), eq(auditEvents.action, 'contact.merged')))
}

describe('merging two contacts', () => {
  it('a customer-link reply that read its ticket before the merge is stored on the kept contact', async () => {
    // The interleaving a probe raced into 500s (a foreign-key violation, the reply lost): the
    // link's page read the ticket (and its contact) before the merge committed, and wrote after.
    const agent = await createMember('agent')
    const kept = await createTicketFor(agent, { customerEmail: 'bo@home.example', customerName: 'Bo' })
    const other = await createTicketFor(agent, { customerEmail: 'bo@work.example', customerName: 'Bo W.' })
    const token = new URL(other.customerLink).pathname.split('/').pop()!
    const keepId = await contactIdOf(kept.ticketId)
    const otherId = await contactIdOf(other.ticketId)
    const seen = await findCustomerTicket(token)
    expect(seen?.contactId).toBe(otherId)

    expect((await merge(agent, keepId, otherId)).status).toBe(302)
    expect(await contactExists(otherId)).toBe(false)

    const outcome = await replyThroughLink(seen!, 'Written as the merge happened', [])
    expect(outcome.kind).toBe('sent')
    const [written] = await getDb()
      .select({ author: messages.authorContactId })
      .from(messages)
      .where(
        and(eq(messages.ticketId, other.ticketId), eq(messages.bodyText, 'Written as the merge happened')),
      )
    expect(written?.author).toBe(keepId)
  })

  it('moves tickets, messages and emails to the kept contact, deletes the other, audits it, in one go', async () => {
    const agent = await createMember('agent')
    const kept = await createTicketFor(agent, { customerEmail: 'ada@home.example', customerName: 'Ada' })
    const a = await createTicketFor(agent, { customerEmail: 'ada@work.example', customerName: 'Ada L.' })
    const b = await createTicketFor(agent, { customerEmail: 'ada@work.example', customerName: 'Ada L.' })
    const keepId = await contactIdOf(kept.ticketId)
    const otherId = await contactIdOf(a.ticketId)
    await getDb()
      .update(contacts)
      .set({ notes: 'Works at the lab.', timeZone: 'Europe/London' })
      .where(eq(contacts.id, otherId))
    const movedTickets = [a.ticketId, b.ticketId]
    const emailsBefore = await getDb()
      .select({ id: emails.id, ticketId: emails.ticketId })
      .from(emails)
      .where(inArray(emails.ticketId, movedTickets))

    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const merged = await merge(agent, keepId, otherId, calls)
    expect(merged.status).toBe(302)
    expect(merged.location).toBe(`/w/${agent.workspace.slug}/customers/${keepId}`)

    const owners = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(inArray(tickets.id, movedTickets))
    expect(owners).toEqual([{ contactId: keepId }, { contactId: keepId }])
    const authored = await getDb()
      .select({ authorContactId: messages.authorContactId })
      .from(messages)
      .where(inArray(messages.ticketId, movedTickets))
    expect(authored.length).toBeGreaterThanOrEqual(2)
    expect(new Set(authored.map((m) => m.authorContactId))).toEqual(new Set([keepId]))
    // The emails belong to the tickets, so they came along untouched.
    const emailsAfter = await getDb()
      .select({ id: emails.id, ticketId: emails.ticketId })
      .from(emails)
      .where(inArray(emails.ticketId, movedTickets))
    expect(emailsAfter).toEqual(emailsBefore)
    expect(await contactExists(otherId)).toBe(false)

    const [keptRow] = await getDb().select().from(contacts).where(eq(contacts.id, keepId))
    expect(keptRow).toMatchObject({
      name: 'Ada',
      timeZone: 'Europe/London',
      notes: 'Works at the lab.\n\nAlso wrote from ada@work.example.',
    })
    expect(await mergeAudits(agent.workspace.id)).toEqual([
      {
        actorUserId: agent.user.id,
        targetId: keepId,
        data: expect.objectContaining({
          mergedContactId: otherId,
          mergedEmail: 'ada@work.example',
          ticketCount: 2,
        }),
      },
    ])
    expect(calls.published?.map((e) => [e.type, e.ticketId]).sort()).toEqual(
      movedTickets.map((id) => ['ticket.updated', id]).sort(),
    )
    const page = await loadCustomer(agent, keepId)
    expect(page.data.tickets.rows).toHaveLength(3)
  })

  it('refuses to merge a contact into itself, changing nothing', async () => {
    const agent = await createMember('agent')
    const t = await createTicketFor(agent)
    const id = await contactIdOf(t.ticketId)
    const refused = await merge(agent, id, id)
    expect(refused.status).toBe(400)
    expect(refused.data.result.error['']).toEqual(['A customer cannot be merged into itself'])
    expect(await contactExists(id)).toBe(true)
    expect(await mergeAudits(agent.workspace.id)).toEqual([])
  })

  it("answers 404 when either contact is another workspace's, and moves nothing", async () => {
    const agent = await createMember('agent')
    const outsider = await createMember('owner')
    const mine = await contactIdOf((await createTicketFor(agent)).ticketId)
    const theirTicket = await createTicketFor(outsider)
    const theirs = await contactIdOf(theirTicket.ticketId)
    expect((await merge(agent, mine, theirs)).status).toBe(404)
    expect((await merge(agent, theirs, mine)).status).toBe(404)
    expect((await merge(outsider, mine, theirs, undefined, agent.workspace.slug)).status).toBe(404)
    expect(await contactExists(mine)).toBe(true)
    expect(await contactExists(theirs)).toBe(true)
    expect(await contactIdOf(theirTicket.ticketId)).toBe(theirs)
    expect(await mergeAudits(agent.workspace.id)).toEqual([])
    // Nor does the confirm step show another workspace's contact.
    const page = await loadCustomer(agent, mine, `?merge=${theirs}`)
    expect(page.data.merge.target).toBeNull()
  })

  it('finds the other contact by name or email and shows a confirm step for it', async () => {
    const agent = await createMember('agent')
    const keepId = await contactIdOf(
      (await createTicketFor(agent, { customerEmail: 'bo@one.example' })).ticketId,
    )
    const otherId = await contactIdOf(
      (await createTicketFor(agent, { customerEmail: 'bo@two.example', customerName: 'Bo Two' })).ticketId,
    )
    const found = await loadCustomer(agent, keepId, '?merge_q=bo%40')
    expect(found.data.merge.candidates.map((c: { id: string }) => c.id)).toEqual([otherId])
    const confirm = await loadCustomer(agent, keepId, `?merge=${otherId}`)
    expect(confirm.data.merge.target).toMatchObject({ id: otherId, email: 'bo@two.example', ticketCount: 1 })
  })
})
