import { and, eq, isNull } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb, type Tx } from '#db/client.ts'
import { RECIPIENT_LEFT_ERROR } from '#db/queries/emails.ts'
import { emails, memberships, notifications, tickets, users } from '#db/schema.ts'
import { deliverEmail } from '#app/domain/email.server.ts'
import { customerReply, recordReply, replyToTicket } from '#app/domain/messages.server.ts'
import { notify } from '#app/domain/notifications.server.ts'
import { removeMember } from '#app/domain/workspaces.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { asMember, createTicketFor, setTicket, team } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// A notification email is written when the notification is queued and sent later: one queued for
// a member removed since (before the removal, or by a mention racing it) went to someone who can
// no longer open the ticket it names, with the ticket's subject and the note's words in it.

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

async function verifiedTeam() {
  const t = await team()
  // A name of their own: every test user is "Test User", and a mention needs one member it names.
  const name = `Dana ${t.agent.user.id.slice(0, 8)}`
  await getDb().update(users).set({ emailVerifiedAt: new Date(), name }).where(eq(users.id, t.agent.user.id))
  return { ...t, agent: { ...t.agent, user: { ...t.agent.user, name } } }
}

async function notificationEmailsTo(userId: string) {
  return getDb()
    .select({ id: emails.id, status: emails.status, error: emails.error })
    .from(emails)
    .where(and(eq(emails.kind, 'notification'), eq(emails.recipientUserId, userId)))
}

async function unreadOf(workspaceId: string, userId: string) {
  return getDb()
    .select({ id: notifications.id })
    .from(notifications)
    .where(
      and(
        eq(notifications.workspaceId, workspaceId),
        eq(notifications.userId, userId),
        isNull(notifications.readAt),
      ),
    )
}

describe('notifications of a member removed before their email is sent', () => {
  it('the removal drops their unread notifications and fails their queued emails, saying why', async () => {
    const { owner, agent } = await verifiedTeam()
    const ticket = await createTicketFor(owner, { subject: 'Printer on fire' })
    const mentioned = await replyToTicket(asMember(owner), ticket.number, {
      kind: 'note',
      body: `@${agent.user.name} can you look?`,
    })
    expect(mentioned.kind).toBe('sent')
    const [queued] = await notificationEmailsTo(agent.user.id)
    expect(queued).toMatchObject({ status: 'queued' })
    expect(await unreadOf(owner.workspace.id, agent.user.id)).toHaveLength(1)

    await removeMember(asMember(owner), agent.membershipId)

    expect(await unreadOf(owner.workspace.id, agent.user.id)).toEqual([])
    expect(await notificationEmailsTo(agent.user.id)).toEqual([
      { id: queued!.id, status: 'failed', error: RECIPIENT_LEFT_ERROR },
    ])
    expect((await deliverEmail(queued!.id)).outcome).toBe('already-failed')
  })

  it('a notification queued by a mention racing the removal is not sent', async () => {
    const { owner, agent } = await verifiedTeam()
    const ticket = await createTicketFor(owner, { subject: 'Printer on fire' })
    // The mention's transaction, open while the removal runs and commits: the removal's sweep
    // cannot see its uncommitted email.
    const mention = await holdTransaction((tx: Tx) =>
      notify(tx, {
        workspaceId: owner.workspace.id,
        userId: agent.user.id,
        kind: 'mentioned',
        ticketId: ticket.ticketId,
        number: ticket.number,
        actorUserId: owner.user.id,
        excerpt: 'Secret plans',
      }),
    )
    expect(await removeMember(asMember(owner), agent.membershipId)).toMatchObject({ kind: 'ok' })
    await mention.commit()
    const [queued] = await notificationEmailsTo(agent.user.id)
    expect(queued).toMatchObject({ status: 'queued' })

    expect((await deliverEmail(queued!.id)).outcome).toBe('recipient-left')
    expect(await notificationEmailsTo(agent.user.id)).toEqual([
      { id: queued!.id, status: 'failed', error: RECIPIENT_LEFT_ERROR },
    ])
  })

  it('a note mentioning a member whose removal is under way waits for it and notifies no one', async () => {
    const { owner, agent } = await verifiedTeam()
    const ticket = await createTicketFor(owner)
    // The removal's first steps, held open: the workspace's memberships locked, theirs deleted.
    const removal = await holdTransaction(async (tx: Tx) => {
      await tx.select().from(memberships).where(eq(memberships.workspaceId, owner.workspace.id)).for('update')
      await tx.delete(memberships).where(eq(memberships.id, agent.membershipId))
    })
    const note = replyToTicket(asMember(owner), ticket.number, {
      kind: 'note',
      body: `@${agent.user.name} can you look?`,
    })
    await lockWaiters(1, removal)
    await removal.commit()
    expect(await note).toMatchObject({ kind: 'sent' })
    expect(await unreadOf(owner.workspace.id, agent.user.id)).toEqual([])
    expect(await notificationEmailsTo(agent.user.id)).toEqual([])
  })

  it('a removal racing a note that mentions the member waits for it and drops its notification', async () => {
    const { owner, agent } = await verifiedTeam()
    const ticket = await createTicketFor(owner)
    // The note's transaction, held open after it wrote the mention's notification.
    const note = await holdTransaction((tx: Tx) =>
      recordReply(tx, asMember(owner), ticket.number, { kind: 'note', body: `@${agent.user.name} look` }, 0),
    )
    const removal = removeMember(asMember(owner), agent.membershipId)
    await lockWaiters(1, note)
    await note.commit()
    expect(await removal).toMatchObject({ kind: 'ok' })
    expect(await unreadOf(owner.workspace.id, agent.user.id)).toEqual([])
    expect(await notificationEmailsTo(agent.user.id)).toEqual([
      expect.objectContaining({ status: 'failed', error: RECIPIENT_LEFT_ERROR }),
    ])
  })

  it('a customer’s reply to a closed ticket of a member whose removal is under way notifies no one', async () => {
    const { owner, agent } = await verifiedTeam()
    const ticket = await createTicketFor(owner)
    await setTicket(ticket.ticketId, { status: 'closed', assigneeId: agent.user.id })
    const removal = await holdTransaction(async (tx: Tx) => {
      await tx.select().from(memberships).where(eq(memberships.workspaceId, owner.workspace.id)).for('update')
      await tx.delete(memberships).where(eq(memberships.id, agent.membershipId))
    })
    const reply = customerReply(
      { ticketId: ticket.ticketId, workspaceId: owner.workspace.id },
      'Broken again.',
    )
    await lockWaiters(1, removal)
    await removal.commit()
    await reply
    expect(await unreadOf(owner.workspace.id, agent.user.id)).toEqual([])
    expect(await notificationEmailsTo(agent.user.id)).toEqual([])
  })

  it('a removal racing a customer’s reply that reopens their closed ticket waits for it: the ticket is handed back, the notification dropped', async () => {
    const { owner, agent } = await verifiedTeam()
    const ticket = await createTicketFor(owner)
    await setTicket(ticket.ticketId, { status: 'closed', assigneeId: agent.user.id })
    const reply = await holdTransaction((tx: Tx) =>
      customerReply({ ticketId: ticket.ticketId, workspaceId: owner.workspace.id }, 'Broken again.', [], {
        tx,
      }),
    )
    const removal = removeMember(asMember(owner), agent.membershipId)
    await lockWaiters(1, reply)
    await reply.commit()
    expect(await removal).toMatchObject({ kind: 'ok', ticketsUnassigned: 1 })
    expect(await unreadOf(owner.workspace.id, agent.user.id)).toEqual([])
    const [row] = await getDb()
      .select({ status: tickets.status, assigneeId: tickets.assigneeId })
      .from(tickets)
      .where(eq(tickets.id, ticket.ticketId))
    expect(row).toEqual({ status: 'open', assigneeId: null })
  })

  it('a member’s notification email is sent as before', async () => {
    const { owner, agent } = await verifiedTeam()
    const ticket = await createTicketFor(owner)
    await replyToTicket(asMember(owner), ticket.number, { kind: 'note', body: `@${agent.user.name} hi` })
    const [queued] = await notificationEmailsTo(agent.user.id)
    expect((await deliverEmail(queued!.id)).outcome).toBe('sent')
  })
})
