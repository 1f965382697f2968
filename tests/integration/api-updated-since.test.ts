import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, tags, ticketTags, tickets } from '#db/schema.ts'
import { listTicketsPage, updateApiTicket } from '#app/domain/api-resources.server.ts'
import { runBulkAction, undoBulkAction } from '#app/domain/bulk-actions.server.ts'
import { mergeContacts } from '#app/domain/contact-merge.server.ts'
import { renameContact } from '#app/domain/contacts.server.ts'
import { addTags, removeTag } from '#app/domain/tickets.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'

// GET /tickets?updated_since= (and MCP search_tickets) filter on tickets.updated_at, which only
// the row's own fields moved: a ticket tagged or untagged (API, sidebar, bulk action, its Undo)
// or moved to another contact by a merge was never "updated since", though the API's answer for
// it had changed.

let owner: Awaited<ReturnType<typeof createMember>>
let member: Member
const LONG_AGO = new Date('2020-01-01T00:00:00Z')
const SINCE = '2021-01-01T00:00:00Z'

beforeAll(async () => {
  owner = await createMember('owner')
  member = asMember(owner)
})

/** A ticket last changed long ago, so only a change from here on makes it "updated since". */
async function oldTicket(customerEmail?: string) {
  const ticket = await createTicketFor(owner, customerEmail ? { customerEmail } : {})
  await getDb().update(tickets).set({ updatedAt: LONG_AGO }).where(eq(tickets.id, ticket.ticketId))
  return ticket
}

async function updatedSince() {
  const page = await listTicketsPage(member, { updatedSince: SINCE }, undefined, 100)
  if (page.kind !== 'page') throw new Error('no page')
  return (JSON.parse(page.json) as Array<{ number: number }>).map((t) => t.number)
}

async function contactIdOf(ticketId: string) {
  const [row] = await getDb().select({ id: tickets.contactId }).from(tickets).where(eq(tickets.id, ticketId))
  return row!.id
}

async function tagIdOf(ticketId: string, name: string) {
  const [row] = await getDb()
    .select({ id: tags.id })
    .from(ticketTags)
    .innerJoin(tags, eq(tags.id, ticketTags.tagId))
    .where(and(eq(ticketTags.ticketId, ticketId), eq(tags.name, name)))
  return row!.id
}

describe('updated_since sees every change to what the API shows of a ticket', () => {
  it('tags added or removed through the API (PATCH tags)', async () => {
    const added = await oldTicket()
    const removed = await oldTicket()
    await addTags(member, [removed.ticketId], ['gone'])
    await getDb().update(tickets).set({ updatedAt: LONG_AGO }).where(eq(tickets.id, removed.ticketId))
    expect(await updatedSince()).not.toContain(added.number)
    await updateApiTicket(member, added.number, { tags: ['new'] })
    await updateApiTicket(member, removed.number, { tags: [] })
    const found = await updatedSince()
    expect(found).toContain(added.number)
    expect(found).toContain(removed.number)
  })

  it('a tag removed from the sidebar', async () => {
    const ticket = await oldTicket()
    await addTags(member, [ticket.ticketId], ['sidebar'])
    await getDb().update(tickets).set({ updatedAt: LONG_AGO }).where(eq(tickets.id, ticket.ticketId))
    await removeTag(member, ticket.ticketId, await tagIdOf(ticket.ticketId, 'sidebar'))
    expect(await updatedSince()).toContain(ticket.number)
  })

  it('a bulk tag, and its Undo', async () => {
    const ticket = await oldTicket()
    const done = await runBulkAction(member, { operation: 'tag', tag: 'bulk', ticketIds: [ticket.ticketId] })
    expect(await updatedSince()).toContain(ticket.number)
    await getDb().update(tickets).set({ updatedAt: LONG_AGO }).where(eq(tickets.id, ticket.ticketId))
    const undone = await undoBulkAction(member, (done as { batchId: string }).batchId)
    expect(undone.kind).toBe('undone')
    expect(await updatedSince()).toContain(ticket.number)
  })

  it('a contact merge that moves the ticket to the other contact', async () => {
    const keep = await oldTicket('keep-me@example.net')
    const moved = await oldTicket('merge-me@example.net')
    const [keepRow] = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.id, keep.ticketId))
    const [movedRow] = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.id, moved.ticketId))
    await getDb().update(tickets).set({ updatedAt: LONG_AGO }).where(eq(tickets.id, keep.ticketId))
    const outcome = await mergeContacts(member, { keepId: keepRow!.contactId, mergeId: movedRow!.contactId })
    expect(outcome.kind).toBe('merged')
    const found = await updatedSince()
    expect(found).toContain(moved.number)
    expect(found).not.toContain(keep.number)
  })

  it('a contact renamed (the API shows each ticket’s contact by name), and only their tickets', async () => {
    const theirs = await oldTicket(`renamed-${Date.now()}@example.net`)
    const others = await oldTicket()
    await renameContact(member, await contactIdOf(theirs.ticketId), 'A New Name')
    const found = await updatedSince()
    expect(found).toContain(theirs.number)
    expect(found).not.toContain(others.number)
  })

  it('a merge that gives the kept contact the other’s name: the kept contact’s own tickets too', async () => {
    const keep = await oldTicket(`nameless-${Date.now()}@example.net`)
    const moved = await oldTicket(`named-${Date.now()}@example.net`)
    const keepId = await contactIdOf(keep.ticketId)
    await getDb().update(contacts).set({ name: '' }).where(eq(contacts.id, keepId))
    await getDb().update(tickets).set({ updatedAt: LONG_AGO }).where(eq(tickets.id, keep.ticketId))
    expect(await updatedSince()).not.toContain(keep.number)
    await mergeContacts(member, { keepId, mergeId: await contactIdOf(moved.ticketId) })
    const found = await updatedSince()
    expect(found).toContain(keep.number)
    expect(found).toContain(moved.number)
  })
})
