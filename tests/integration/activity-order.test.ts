import { describe, expect, it } from 'vitest'
import type { Tx } from '#db/client.ts'
import { loadTicketPage } from '#app/domain/ticket-page.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { holdTransaction } from '#tests/helpers/held-transaction.ts'

describe('the order of concurrent changes in a ticket’s activity', () => {
  it('a change whose transaction began first but applied last is the newest', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    // A transaction that began first (a request that then waited on something)...
    let early!: Tx
    const held = await holdTransaction(async (tx) => {
      early = tx
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    // ...a teammate's change that began after it and committed...
    await updateTickets(asMember(owner), [ticket.ticketId], { priority: 'high' })
    // ...and then the first transaction's own change, applied on top of it.
    await updateTickets(asMember(owner), [ticket.ticketId], { priority: 'low' }, early)
    await held.commit()

    const page = await loadTicketPage(asMember(owner), ticket.number, { language: 'en' })
    const changes = page.activity.filter((a: { action: string }) => a.action === 'ticket.priority-changed')
    // Newest first, as the timeline reads them: the last change applied, which the ticket shows.
    expect(changes.map((a: { data: unknown }) => a.data)).toEqual([
      { before: 'high', after: 'low' },
      { before: 'normal', after: 'high' },
    ])
  })
})
