import { and, eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, contacts, emails, memberships, messages, tickets } from '#db/schema.ts'
import { findCustomerTicket, replyThroughLink } from '#app/domain/customer-portal.server.ts'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import { addMember, createMember, createTicketFor, createUser, signIn } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

function merge(
  actor: Actor,
  keepId: string,
  mergeId: string,
  calls?: RealtimeCalls,
  slug = actor.workspace.slug,
) {
  return callAction(
    customerRoute,
    `/w/${slug}/customers/${keepId}`,
    { intent: 'merge', mergeId },
    { cookie: actor.cookie, params: { slug, id: keepId }, context: testContext(calls) },
  )
}

function loadCustomer(actor: Actor, id: string, query = '') {
  return callLoader(customerRoute, `/w/${actor.workspace.slug}/customers/${id}${query}`, {
    cookie: actor.cookie,
    params: { slug: actor.workspace.slug, id },
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
    const admin = await createMember('admin')
    const kept = await createTicketFor(admin, { customerEmail: 'bo@home.example', customerName: 'Bo' })
    const other = await createTicketFor(admin, { customerEmail: 'bo@work.example', customerName: 'Bo W.' })
    const token = new URL(other.customerLink).pathname.split('/').pop()!
    const keepId = await contactIdOf(kept.ticketId)
    const otherId = await contactIdOf(other.ticketId)
    const seen = await findCustomerTicket(token)
    expect(seen?.contactId).toBe(otherId)

    expect((await merge(admin, keepId, otherId)).status).toBe(302)
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
    const admin = await createMember('admin')
    const kept = await createTicketFor(admin, { customerEmail: 'ada@home.example', customerName: 'Ada' })
    const a = await createTicketFor(admin, { customerEmail: 'ada@work.example', customerName: 'Ada L.' })
    const b = await createTicketFor(admin, { customerEmail: 'ada@work.example', customerName: 'Ada L.' })
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
    const merged = await merge(admin, keepId, otherId, calls)
    expect(merged.status).toBe(302)
    expect(merged.location).toBe(`/w/${admin.workspace.slug}/customers/${keepId}`)

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
    expect(await mergeAudits(admin.workspace.id)).toEqual([
      {
        actorUserId: admin.user.id,
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
    const page = await loadCustomer(admin, keepId)
    expect(page.data.tickets.rows).toHaveLength(3)
  })

  it('refuses to merge a contact into itself, changing nothing', async () => {
    const admin = await createMember('admin')
    const t = await createTicketFor(admin)
    const id = await contactIdOf(t.ticketId)
    const refused = await merge(admin, id, id)
    expect(refused.status).toBe(400)
    expect(refused.data.result.error['']).toEqual(['A customer cannot be merged into itself'])
    expect(await contactExists(id)).toBe(true)
    expect(await mergeAudits(admin.workspace.id)).toEqual([])
  })

  it("answers 404 when either contact is another workspace's, and moves nothing", async () => {
    const admin = await createMember('admin')
    const outsider = await createMember('owner')
    const mine = await contactIdOf((await createTicketFor(admin)).ticketId)
    const theirTicket = await createTicketFor(outsider)
    const theirs = await contactIdOf(theirTicket.ticketId)
    expect((await merge(admin, mine, theirs)).status).toBe(404)
    expect((await merge(admin, theirs, mine)).status).toBe(404)
    expect((await merge(outsider, mine, theirs, undefined, admin.workspace.slug)).status).toBe(404)
    expect(await contactExists(mine)).toBe(true)
    expect(await contactExists(theirs)).toBe(true)
    expect(await contactIdOf(theirTicket.ticketId)).toBe(theirs)
    expect(await mergeAudits(admin.workspace.id)).toEqual([])
    // Nor does the confirm step show another workspace's contact.
    const page = await loadCustomer(admin, mine, `?merge=${theirs}`)
    expect(page.data.merge.target).toBeNull()
  })

  it('finds the other contact by name or email and shows a confirm step for it', async () => {
    const admin = await createMember('admin')
    const keepId = await contactIdOf(
      (await createTicketFor(admin, { customerEmail: 'bo@one.example' })).ticketId,
    )
    const otherId = await contactIdOf(
      (await createTicketFor(admin, { customerEmail: 'bo@two.example', customerName: 'Bo Two' })).ticketId,
    )
    const found = await loadCustomer(admin, keepId, '?merge_q=bo%40')
    expect(found.data.merge.candidates.map((c: { id: string }) => c.id)).toEqual([otherId])
    // The search box shows the query back, cut at 200 without halving an emoji (a lone surrogate
    // is U+FFFD in the page's HTML but not in its hydration data).
    const long = await loadCustomer(admin, keepId, `?merge_q=${'b'.repeat(199)}${encodeURIComponent('😀')}`)
    expect(long.data.merge.query).toBe('b'.repeat(199))
    const confirm = await loadCustomer(admin, keepId, `?merge=${otherId}`)
    expect(confirm.data.merge.target).toMatchObject({ id: otherId, email: 'bo@two.example', ticketCount: 1 })
  })

  it('is for owners and admins: an agent is refused (403) and told who can; nothing merges', async () => {
    const owner = await createMember('owner')
    const keepId = await contactIdOf(
      (await createTicketFor(owner, { customerEmail: 'cy@one.example' })).ticketId,
    )
    const otherId = await contactIdOf(
      (await createTicketFor(owner, { customerEmail: 'cy@two.example', customerName: 'Cy Two' })).ticketId,
    )
    const agent = await createMember('agent', owner.workspace)
    const refused = await merge(agent, keepId, otherId)
    expect(refused.status).toBe(403)
    expect(await contactExists(otherId)).toBe(true)
    expect(await mergeAudits(owner.workspace.id)).toEqual([])
    // The page offers an agent no search and no confirm step, and says who can merge.
    const page = await loadCustomer(agent, keepId, `?merge_q=cy&merge=${otherId}`)
    expect(page.status).toBe(200)
    expect(page.data.merge).toEqual({ allowed: false, query: '', candidates: [], target: null })
    expect((await loadCustomer(owner, keepId, `?merge=${otherId}`)).data.merge).toMatchObject({
      allowed: true,
      target: { id: otherId },
    })
    // An owner may, as an admin may (the tests above).
    expect((await merge(owner, keepId, otherId)).status).toBe(302)
    expect(await contactExists(otherId)).toBe(false)
  })

  it('judges the role as the merge locks it: an admin demoted while the merge waited is refused', async () => {
    const owner = await createMember('owner')
    const user = await createUser()
    const membershipId = await addMember(owner.workspace.id, user.id, 'admin')
    const admin = { ...owner, user, role: 'admin' as const, membershipId, ...(await signIn(user.id)) }
    const keepId = await contactIdOf(
      (await createTicketFor(owner, { customerEmail: 'di@one.example' })).ticketId,
    )
    const otherId = await contactIdOf(
      (await createTicketFor(owner, { customerEmail: 'di@two.example' })).ticketId,
    )
    const demotion = await holdTransaction((tx) =>
      tx.update(memberships).set({ role: 'agent' }).where(eq(memberships.id, membershipId)),
    )
    const merging = merge(admin, keepId, otherId)
    await lockWaiters(1, demotion)
    await demotion.commit()
    expect((await merging).status).toBe(403)
    expect(await contactExists(otherId)).toBe(true)
  })
})

describe('a contact merged away', () => {
  // Found from outside: a teammate's tab still on the merged-away contact saved into a 404 page and
  // lost what was typed; its link and a merge posted twice answered "Page not found" too.
  function postProfile(actor: Actor, id: string, fields: Record<string, string>) {
    return callAction(
      customerRoute,
      `/w/${actor.workspace.slug}/customers/${id}`,
      { intent: 'profile', base: JSON.stringify({ company: '', timeZone: '', notes: '' }), ...fields },
      { cookie: actor.cookie, params: { slug: actor.workspace.slug, id }, context: testContext() },
    )
  }

  it('says where it went, keeps what was typed and saves nothing; a merge posted twice is done', async () => {
    const admin = await createMember('admin')
    const kept = await createTicketFor(admin, { customerEmail: 'ada@home.example', customerName: 'Ada' })
    const other = await createTicketFor(admin, { customerEmail: 'ada@work.example', customerName: 'Ada W.' })
    const keepId = await contactIdOf(kept.ticketId)
    const otherId = await contactIdOf(other.ticketId)
    expect((await merge(admin, keepId, otherId)).status).toBe(302)

    // Its page (an open tab reloaded, a link) names the contact it lives on now.
    const page = await loadCustomer(admin, otherId)
    expect(page.status).toBe(200)
    expect(page.data.mergedInto).toEqual({ id: keepId, name: 'Ada', email: 'ada@home.example' })
    // A save from that tab: 409, the typed notes kept, nothing written anywhere.
    const saved = await postProfile(admin, otherId, {
      company: 'Lovelace Ltd',
      timeZone: '',
      notes: 'Prefers mornings',
    })
    expect(saved.status).toBe(409)
    expect(saved.data.mergedInto.id).toBe(keepId)
    expect(saved.data.result.initialValue).toMatchObject({
      notes: 'Prefers mornings',
      company: 'Lovelace Ltd',
    })
    const [row] = await getDb().select().from(contacts).where(eq(contacts.id, keepId))
    expect(row!.notes).not.toContain('Prefers mornings')
    expect(row!.company).not.toBe('Lovelace Ltd')
    // The rename from that tab too.
    const renamed = await callAction(
      customerRoute,
      `/w/${admin.workspace.slug}/customers/${otherId}`,
      { intent: 'rename', name: 'Augusta' },
      { cookie: admin.cookie, params: { slug: admin.workspace.slug, id: otherId }, context: testContext() },
    )
    expect(renamed.status).toBe(409)
    expect((await getDb().select().from(contacts).where(eq(contacts.id, keepId)))[0]!.name).toBe('Ada')

    // The same merge posted again: already done, back to the kept contact.
    const again = await merge(admin, keepId, otherId)
    expect(again.status).toBe(302)
    expect(again.location).toBe(`/w/${admin.workspace.slug}/customers/${keepId}`)

    // Merged on: the trail is followed to where the customer lives now.
    const third = await createTicketFor(admin, { customerEmail: 'ada@new.example', customerName: 'Ada N.' })
    const thirdId = await contactIdOf(third.ticketId)
    expect((await merge(admin, thirdId, keepId)).status).toBe(302)
    expect((await loadCustomer(admin, otherId)).data.mergedInto.id).toBe(thirdId)

    // Another workspace learns nothing of it: 404, as for any id not its own.
    const stranger = await createMember('owner')
    const theirs = await callLoader(customerRoute, `/w/${stranger.workspace.slug}/customers/${otherId}`, {
      cookie: stranger.cookie,
      params: { slug: stranger.workspace.slug, id: otherId },
    })
    expect(theirs.status).toBe(404)
  })
})
