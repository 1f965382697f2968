import { and, desc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, tags, ticketTags, tickets } from '#db/schema.ts'
import { runBulkAction, undoBulkAction } from '#app/domain/bulk-actions.server.ts'
import { removeTag, updateTickets } from '#app/domain/tickets.server.ts'
import { asMember, createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'

// Each round is made deterministic (a teammate's change held open until the bulk action or its
// undo waits for the row), so one round fails without the row locks; a few rounds show it holds.
const ROUNDS = 5

async function team() {
  const me = await createMember('owner')
  const colleague = await createMember('agent', me.workspace)
  const ticket = await createTicketFor(me)
  return { me: asMember(me), colleague: asMember(colleague), ticketId: ticket.ticketId }
}

async function statusOf(ticketId: string) {
  const [row] = await getDb().select({ status: tickets.status }).from(tickets).where(eq(tickets.id, ticketId))
  return row.status
}

/** What the batch's record says the ticket had before, and what the action's own audit row says. */
async function befores(batchId: string, ticketId: string, actorUserId: string) {
  const [record] = await getDb()
    .select({ data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.targetType, 'bulk'), eq(auditEvents.targetId, batchId)))
  const [audit] = await getDb()
    .select({ data: auditEvents.data })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.targetId, ticketId),
        eq(auditEvents.action, 'ticket.status-changed'),
        eq(auditEvents.actorUserId, actorUserId),
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(1)
  return {
    record: (record.data as { tickets: Array<{ before: string }> }).tickets[0].before,
    audit: (audit.data as { before: string }).before,
  }
}

describe('bulk actions racing a teammate’s change', () => {
  it('record the status the ticket had when the action changed it, as its audit entry does', async () => {
    const t = await team()
    for (let round = 0; round < ROUNDS; round++) {
      await setTicket(t.ticketId, { status: 'open' })
      // The teammate sets "pending" and commits while the bulk action waits for the row.
      const pending = await holdTransaction((tx) =>
        updateTickets(t.colleague, [t.ticketId], { status: 'pending' }, tx),
      )
      const bulk = runBulkAction(t.me, { operation: 'status', status: 'resolved', ticketIds: [t.ticketId] })
      await lockWaiters(1, pending)
      await pending.commit()
      const done = await bulk
      expect(done.kind).toBe('updated')
      const batchId = (done as { batchId: string }).batchId
      expect(await befores(batchId, t.ticketId, t.me.userId)).toEqual({ record: 'pending', audit: 'pending' })
    }
  })

  it('undo of a status leaves a teammate’s newer change alone', async () => {
    const t = await team()
    for (let round = 0; round < ROUNDS; round++) {
      await setTicket(t.ticketId, { status: 'open' })
      const done = await runBulkAction(t.me, {
        operation: 'status',
        status: 'resolved',
        ticketIds: [t.ticketId],
      })
      const batchId = (done as { batchId: string }).batchId
      // The teammate closes it and commits while the undo waits: the newer "closed" stays.
      const closed = await holdTransaction((tx) =>
        updateTickets(t.colleague, [t.ticketId], { status: 'closed' }, tx),
      )
      const undo = undoBulkAction(t.me, batchId)
      await lockWaiters(1, closed)
      await closed.commit()
      expect(await undo).toMatchObject({ kind: 'undone', restored: 0, skipped: 1, events: [] })
      expect(await statusOf(t.ticketId)).toBe('closed')
    }
  })

  it('undo of a tag counts a tag a teammate removed meanwhile as skipped, with no second untag entry', async () => {
    const t = await team()
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-${round}`
      const done = await runBulkAction(t.me, { operation: 'tag', tag: name, ticketIds: [t.ticketId] })
      const batchId = (done as { batchId: string }).batchId
      const [tag] = await getDb().select({ id: tags.id }).from(tags).where(eq(tags.name, name))

      const removed = await holdTransaction((tx) => removeTag(t.colleague, t.ticketId, tag.id, tx))
      const undo = undoBulkAction(t.me, batchId)
      await lockWaiters(1, removed)
      await removed.commit()
      expect(await undo).toMatchObject({ kind: 'undone', restored: 0, skipped: 1, events: [] })
      const untagged = await getDb()
        .select({ actor: auditEvents.actorUserId })
        .from(auditEvents)
        .where(and(eq(auditEvents.targetId, t.ticketId), eq(auditEvents.action, 'ticket.untagged')))
      expect(untagged.filter((row) => row.actor === t.me.userId)).toEqual([])
      const left = await getDb().select().from(ticketTags).where(eq(ticketTags.tagId, tag.id))
      expect(left).toEqual([])
    }
  })

  it('an assignee undo leaves a teammate’s newer assignment alone', async () => {
    const t = await team()
    for (let round = 0; round < ROUNDS; round++) {
      await setTicket(t.ticketId, { assigneeId: null })
      const done = await runBulkAction(t.me, {
        operation: 'assign',
        assigneeId: t.me.userId,
        ticketIds: [t.ticketId],
      })
      const batchId = (done as { batchId: string }).batchId
      const taken = await holdTransaction((tx) =>
        updateTickets(t.colleague, [t.ticketId], { assigneeId: t.colleague.userId }, tx),
      )
      const undo = undoBulkAction(t.me, batchId)
      await lockWaiters(1, taken)
      await taken.commit()
      expect(await undo).toMatchObject({ kind: 'undone', restored: 0, skipped: 1 })
      const [row] = await getDb()
        .select({ assigneeId: tickets.assigneeId })
        .from(tickets)
        .where(eq(tickets.id, t.ticketId))
      expect(row.assigneeId).toBe(t.colleague.userId)
    }
  })

  it('undo of a status skips a ticket a teammate changed and changed back since (A → B → A)', async () => {
    const t = await team()
    for (let round = 0; round < ROUNDS; round++) {
      await setTicket(t.ticketId, { status: 'open' })
      const done = await runBulkAction(t.me, {
        operation: 'status',
        status: 'resolved',
        ticketIds: [t.ticketId],
      })
      const batchId = (done as { batchId: string }).batchId
      // The teammate reopens it as pending, then sets it resolved again, committing that while
      // the undo waits: the ticket has the value the action left, but it is the teammate's now.
      await updateTickets(t.colleague, [t.ticketId], { status: 'pending' })
      const back = await holdTransaction((tx) =>
        updateTickets(t.colleague, [t.ticketId], { status: 'resolved' }, tx),
      )
      const undo = undoBulkAction(t.me, batchId)
      await lockWaiters(1, back)
      await back.commit()
      expect(await undo).toMatchObject({ kind: 'undone', restored: 0, skipped: 1, events: [] })
      expect(await statusOf(t.ticketId)).toBe('resolved')
    }
  })

  it('an assignee undo skips a ticket a teammate took and handed back since', async () => {
    const t = await team()
    for (let round = 0; round < ROUNDS; round++) {
      await setTicket(t.ticketId, { assigneeId: null })
      const done = await runBulkAction(t.me, {
        operation: 'assign',
        assigneeId: t.me.userId,
        ticketIds: [t.ticketId],
      })
      const batchId = (done as { batchId: string }).batchId
      await updateTickets(t.colleague, [t.ticketId], { assigneeId: t.colleague.userId })
      const back = await holdTransaction((tx) =>
        updateTickets(t.colleague, [t.ticketId], { assigneeId: t.me.userId }, tx),
      )
      const undo = undoBulkAction(t.me, batchId)
      await lockWaiters(1, back)
      await back.commit()
      expect(await undo).toMatchObject({ kind: 'undone', restored: 0, skipped: 1, events: [] })
      const [row] = await getDb()
        .select({ assigneeId: tickets.assigneeId })
        .from(tickets)
        .where(eq(tickets.id, t.ticketId))
      expect(row.assigneeId).toBe(t.me.userId)
    }
  })

  it('undo of a status still restores a ticket whose other fields changed since', async () => {
    const t = await team()
    await setTicket(t.ticketId, { status: 'open' })
    const done = await runBulkAction(t.me, {
      operation: 'status',
      status: 'resolved',
      ticketIds: [t.ticketId],
    })
    await updateTickets(t.colleague, [t.ticketId], { priority: 'high', assigneeId: t.colleague.userId })
    const undone = await undoBulkAction(t.me, (done as { batchId: string }).batchId)
    expect(undone).toMatchObject({ kind: 'undone', restored: 1, skipped: 0 })
    expect(await statusOf(t.ticketId)).toBe('open')
  })
})
