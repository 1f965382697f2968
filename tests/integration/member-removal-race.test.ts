import { and, eq, ne } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { memberships, notifications, tickets } from '#db/schema.ts'
import { updateApiTicket } from '#app/domain/api-resources.server.ts'
import { runBulkAction } from '#app/domain/bulk-actions.server.ts'
import { changeTicket } from '#app/domain/ticket-page.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { removeMember } from '#app/domain/workspaces.server.ts'
import { asMember, createTicketFor, setTicket, team } from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'

/** The member's tickets not closed: what their removal must leave none of. */
async function openTicketsOf(userId: string) {
  return getDb()
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.assigneeId, userId), ne(tickets.status, 'closed')))
}

describe('removing a member while tickets are assigned to them', () => {
  it('waits for an assignment under way and hands its tickets back', async () => {
    const { owner, agent } = await team()
    const first = await createTicketFor(owner)
    const second = await createTicketFor(owner)
    // An assignment (the sidebar, the bulk bar, the API: all through updateTickets) not yet committed.
    const assignment = await holdTransaction((tx) =>
      updateTickets(asMember(owner), [first.ticketId, second.ticketId], { assigneeId: agent.user.id }, tx),
    )
    const removal = removeMember(asMember(owner), agent.membershipId)
    await lockWaiters(1, assignment)
    await assignment.commit()
    const removed = await removal

    expect(removed).toMatchObject({ kind: 'ok', ticketsUnassigned: 2 })
    expect(await openTicketsOf(agent.user.id)).toEqual([])
    const audit = await auditFor(owner.workspace.id, 'member.removed')
    expect(audit).toMatchObject([{ data: { userId: agent.user.id, ticketsUnassigned: 2 } }])
  })

  it('refuses an assignment that reached the member after their removal (sidebar, bulk, API)', async () => {
    const { owner, admin, agent } = await team()
    const [a, b, c] = [
      await createTicketFor(owner),
      await createTicketFor(owner),
      await createTicketFor(owner),
    ]
    // The removal's own steps (every membership locked, the member's row deleted), held open.
    const removal = await holdTransaction(async (tx) => {
      await tx.select().from(memberships).where(eq(memberships.workspaceId, owner.workspace.id)).for('update')
      await tx.delete(memberships).where(eq(memberships.id, agent.membershipId))
    })
    const assigner = asMember(admin)
    const assignments = Promise.all([
      changeTicket(assigner, a.number, { assigneeId: agent.user.id }),
      runBulkAction(assigner, { operation: 'assign', assigneeId: agent.user.id, ticketIds: [b.ticketId] }),
      updateApiTicket(assigner, c.number, { assigneeId: agent.user.id }),
    ])
    await lockWaiters(3, removal)
    await removal.commit()

    expect(await assignments).toEqual([
      { kind: 'unknown-assignee' },
      { kind: 'unknown-assignee' },
      { kind: 'unknown-assignee' },
    ])
    expect(await openTicketsOf(agent.user.id)).toEqual([])
    expect(await auditFor(owner.workspace.id, 'ticket.assigned-changed')).toEqual([])
    const told = await getDb().select().from(notifications).where(eq(notifications.userId, agent.user.id))
    expect(told).toEqual([])
  })

  it('a bulk assignment and a removal of its assignee end without a deadlock', async () => {
    const { owner, admin, agent } = await team()
    const made = [await createTicketFor(owner), await createTicketFor(owner)]
    // Tickets are locked in id order: the bulk takes `first`, then waits for `second`, which a
    // teammate's change holds. `first` is already the member's, so the removal wants it too.
    const [first, second] = made.map((t) => t.ticketId).sort()
    await setTicket(first!, { assigneeId: agent.user.id })
    const teammate = await holdTransaction((tx) =>
      updateTickets(asMember(owner), [second!], { priority: 'high' }, tx),
    )
    const bulk = runBulkAction(asMember(admin), {
      operation: 'assign',
      assigneeId: agent.user.id,
      ticketIds: [first!, second!],
    })
    await lockWaiters(1, teammate)
    const removal = removeMember(asMember(owner), agent.membershipId)
    await lockWaiters(2, teammate)
    const started = Date.now()
    await teammate.commit()
    const [assigned, removed] = await Promise.all([bulk, removal])
    // Taken in opposite orders (the bulk: tickets, then the membership) the two deadlocked, found
    // after deadlock_timeout (1 s); the assignment takes the membership first, as the removal does.
    expect(Date.now() - started).toBeLessThan(900)
    expect(assigned).toMatchObject({ kind: 'updated' })
    expect(removed).toMatchObject({ kind: 'ok', ticketsUnassigned: 2 })
    expect(await openTicketsOf(agent.user.id)).toEqual([])
  })
})
