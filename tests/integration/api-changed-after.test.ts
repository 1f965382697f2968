import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, tickets } from '#db/schema.ts'
import { listTicketsPage } from '#app/domain/api-resources.server.ts'
import { mergeContacts } from '#app/domain/contact-merge.server.ts'
import { renameContact } from '#app/domain/contacts.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { holdTransaction } from '#tests/helpers/held-transaction.ts'
import { until } from '#tests/helpers/wait.ts'

// Polling GET /tickets with updated_since=<the last poll's time> missed changes: updated_at is
// taken before the change commits, so one that committed just after a poll, with a time before
// it, was older than the next poll's updated_since. changed_after=<next_changed_after> is a
// transaction mark instead of a clock: the next poll returns every change the last one missed.

type Owner = Awaited<ReturnType<typeof createMember>>

async function poll(
  owner: Owner,
  filters: { changedAfter?: string; updatedSince?: string; status?: string },
  cursor?: string,
  limit = 100,
) {
  const page = await listTicketsPage(asMember(owner), filters, cursor, limit)
  if (page.kind !== 'page') throw new Error(page.kind)
  return { ...page, numbers: (JSON.parse(page.json) as Array<{ number: number }>).map((t) => t.number) }
}

describe('GET /tickets?changed_after', () => {
  it('a change held open across a poll is returned by the next poll', async () => {
    const owner = await createMember('owner')
    const held = await createTicketFor(owner)
    const other = await createTicketFor(owner)
    // A poll after both were made, once no transaction older than their creation runs anywhere in
    // the cluster (another test file's): a mark lists again what such a transaction might hide.
    const { page: first } = await until(
      async () => {
        const page = await poll(owner, {})
        return { page, again: await poll(owner, { changedAfter: page.nextChangedAfter }) }
      },
      ({ again }) => again.numbers.length === 0,
    )
    expect(first.numbers).toEqual(expect.arrayContaining([held.number, other.number]))

    // A teammate's change: its updated_at is taken now, it commits after the next poll.
    const change = await holdTransaction((tx) =>
      updateTickets(asMember(owner), [held.ticketId], { status: 'pending' }, tx),
    )
    const during = await poll(owner, { changedAfter: first.nextChangedAfter })
    const polledAt = new Date().toISOString()
    await change.commit()

    // The clock missed it: its updated_at is before the poll it committed after.
    expect((await poll(owner, { updatedSince: polledAt })).numbers).toEqual([])
    // The mark did not, whatever else ran meanwhile.
    const next = await poll(owner, { changedAfter: during.nextChangedAfter })
    expect(next.numbers).toContain(held.number)
    const [shown] = JSON.parse(next.json) as Array<{ number: number; status: string }>
    expect(shown).toMatchObject({ number: held.number, status: 'pending' })
  })

  it('every page of a poll gives its first page’s mark, so a change made while paging is not missed', async () => {
    const owner = await createMember('owner')
    const oldest = await createTicketFor(owner)
    await createTicketFor(owner)
    const newest = await createTicketFor(owner)
    const page1 = await poll(owner, {}, undefined, 1)
    expect(page1.numbers).toEqual([newest.number])
    // The ticket of the page already read changes and commits before the next page is read.
    await updateTickets(asMember(owner), [newest.ticketId], { priority: 'urgent' })
    const page2 = await poll(owner, {}, page1.nextCursor!, 1)
    const page3 = await poll(owner, {}, page2.nextCursor!, 1)
    expect(page3.numbers).toEqual([oldest.number])
    expect(page2.nextChangedAfter).toBe(page1.nextChangedAfter)
    expect(page3.nextChangedAfter).toBe(page1.nextChangedAfter)
    expect((await poll(owner, { changedAfter: page3.nextChangedAfter })).numbers).toContain(newest.number)
  })

  it('combines with the other filters, and refuses a mark it did not give out', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const { nextChangedAfter } = await poll(owner, {})
    await updateTickets(asMember(owner), [ticket.ticketId], { status: 'pending' })
    expect(
      await listTicketsPage(
        asMember(owner),
        { changedAfter: nextChangedAfter, status: 'open' },
        undefined,
        10,
      ),
    ).toMatchObject({ kind: 'page', json: '[]' })
    expect((await poll(owner, { changedAfter: nextChangedAfter, status: 'pending' })).numbers).toEqual([
      ticket.number,
    ])
    // A mark from the future (a database restored from a dump) or from the beginning lists every ticket.
    for (const mark of ['999999999999999999', '0']) {
      const all = await poll(owner, {
        changedAfter: Buffer.from(`["changes","${mark}"]`).toString('base64url'),
      })
      expect(all.numbers).toEqual([ticket.number])
    }
    for (const bad of [
      'x',
      Buffer.from('["changes","-1"]').toString('base64url'),
      Buffer.from('["changes","9999999999999999999"]').toString('base64url'),
      Buffer.from('["tickets","1"]').toString('base64url'),
    ]) {
      expect(await listTicketsPage(asMember(owner), { changedAfter: bad }, undefined, 10)).toEqual({
        kind: 'invalid-changed-after',
      })
    }
  })

  it('lists the tickets whose contact reads differently: a rename, and a merge that fills the kept contact’s name', async () => {
    const owner = await createMember('owner')
    const renamed = await createTicketFor(owner, { customerEmail: `renamed-${Date.now()}@example.net` })
    const kept = await createTicketFor(owner, { customerEmail: `nameless-${Date.now()}@example.net` })
    const moved = await createTicketFor(owner, {
      customerEmail: `named-${Date.now()}@example.net`,
      customerName: 'Named Person',
    })
    const contactOf = async (ticketId: string) =>
      (await getDb().select({ id: tickets.contactId }).from(tickets).where(eq(tickets.id, ticketId)))[0]!.id
    const keepId = await contactOf(kept.ticketId)
    await getDb().update(contacts).set({ name: '' }).where(eq(contacts.id, keepId))
    const { nextChangedAfter } = await poll(owner, {})
    await renameContact(asMember(owner), await contactOf(renamed.ticketId), 'New Name')
    await mergeContacts(asMember(owner), { keepId, mergeId: await contactOf(moved.ticketId) })
    const next = await poll(owner, { changedAfter: nextChangedAfter })
    expect(next.numbers).toEqual(expect.arrayContaining([renamed.number, kept.number, moved.number]))
    const shown = JSON.parse(next.json) as Array<{ number: number; contact: { name: string } }>
    expect(shown.find((t) => t.number === kept.number)!.contact.name).toBe('Named Person')
  })
})
