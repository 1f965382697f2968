import { eq } from 'drizzle-orm'
import { beforeAll, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { tickets, users } from '#db/schema.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { undoReply } from '#app/domain/undo-send.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { callAction } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

const statusOf = async (ticketId: string) =>
  (await getDb().select({ status: tickets.status }).from(tickets).where(eq(tickets.id, ticketId)))[0]!.status

it('Undo send leaves a status a teammate set while the undo waited for the ticket', async () => {
  const agent = await createMember('agent')
  const colleague = await createMember('agent', agent.workspace)
  await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, agent.user.id))
  const ticket = await createTicketFor(agent)
  for (let round = 0; round < 3; round++) {
    // The reply sets "pending" (from "open"); Undo would put "open" back while it is still pending.
    const form = new FormData()
    for (const [k, v] of Object.entries({
      intent: 'reply',
      kind: 'reply',
      body: `Round ${round}`,
      status: 'pending',
    }))
      form.append(k, v)
    const sent = await callAction(ticketRoute, `/w/${agent.workspace.slug}/tickets/${ticket.number}`, form, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(ticket.number) },
    })
    expect(sent.status).toBe(302)
    const messageId = sent.location!.split('#m-')[1]!
    expect(await statusOf(ticket.ticketId)).toBe('pending')

    // The teammate closes the ticket and commits while the undo waits for the ticket's row.
    const closed = await holdTransaction((tx) =>
      updateTickets(asMember(colleague), [ticket.ticketId], { status: 'closed' }, tx),
    )
    const undo = undoReply(asMember(agent), ticket.number, messageId)
    await lockWaiters(1, closed)
    await closed.commit()
    expect((await undo).kind).toBe('undone')
    expect(await statusOf(ticket.ticketId)).toBe('closed')
    await updateTickets(asMember(colleague), [ticket.ticketId], { status: 'open' })
  }
})
