import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb, type Tx } from '#db/client.ts'
import { drafts, memberships, users } from '#db/schema.ts'
import { saveDraft } from '#app/domain/drafts.server.ts'
import { upsertDraft } from '#db/queries/drafts.ts'
import { lockMembershipOf } from '#db/queries/workspaces.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { undoReply } from '#app/domain/undo-send.server.ts'
import { removeMember } from '#app/domain/workspaces.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { asMember, createTicketFor, team } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Drafts are shown to teammates ("<name> has a draft"): a removed member's must all go with them.
// A draft write that read the membership before the removal (the route's requireMember) and
// wrote after it left a draft behind: it now takes the membership's lock first, as removeMember
// takes every membership's before it deletes the member's drafts.

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

async function draftsOf(workspaceId: string, userId: string) {
  return getDb()
    .select({ body: drafts.body })
    .from(drafts)
    .where(and(eq(drafts.workspaceId, workspaceId), eq(drafts.userId, userId)))
}

/** removeMember's own first steps (every membership locked, the member's row deleted), held open. */
function heldRemoval(workspaceId: string, membershipId: string) {
  return holdTransaction(async (tx: Tx) => {
    await tx.select().from(memberships).where(eq(memberships.workspaceId, workspaceId)).for('update')
    await tx.delete(memberships).where(eq(memberships.id, membershipId))
    await tx.delete(drafts).where(eq(drafts.workspaceId, workspaceId))
  })
}

describe('a draft written while its author is removed', () => {
  it('a save that reaches the database during the removal writes nothing', async () => {
    const { owner, agent } = await team()
    const ticket = await createTicketFor(owner)
    const removal = await heldRemoval(owner.workspace.id, agent.membershipId)
    const save = saveDraft(asMember(agent), ticket.number, {
      body: 'Left behind?',
      kind: 'reply',
      generation: 0,
    })
    await lockWaiters(1, removal)
    await removal.commit()
    expect(await save).toEqual({ kind: 'not-found' })
    expect(await draftsOf(owner.workspace.id, agent.user.id)).toEqual([])
  })

  it('a removal that starts while a save is under way waits for it and deletes that draft too', async () => {
    const { owner, agent } = await team()
    const ticket = await createTicketFor(owner)
    // saveDraft's steps, held open before its commit: the membership's lock, then the draft.
    const save = await holdTransaction(async (tx: Tx) => {
      expect(await lockMembershipOf(tx, asMember(agent))).toBe(true)
      await upsertDraft(tx, {
        workspaceId: owner.workspace.id,
        ticketId: ticket.ticketId,
        userId: agent.user.id,
        body: 'Typed just now',
        kind: 'reply',
        generation: 0,
      })
    })
    const removal = removeMember(asMember(owner), agent.membershipId)
    await lockWaiters(1, save)
    await save.commit()
    expect(await removal).toMatchObject({ kind: 'ok' })
    expect(await draftsOf(owner.workspace.id, agent.user.id)).toEqual([])
  })

  it('an Undo send during the removal restores no draft', async () => {
    const { owner, agent } = await team()
    await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, agent.user.id))
    const ticket = await createTicketFor(owner)
    const sent = await replyToTicket(asMember(agent), ticket.number, { kind: 'reply', body: 'Taken back' })
    if (sent.kind !== 'sent') throw new Error(`reply: ${sent.kind}`)
    const removal = await heldRemoval(owner.workspace.id, agent.membershipId)
    const undo = undoReply(asMember(agent), ticket.number, sent.messageId).catch((e: unknown) => e)
    await lockWaiters(1, removal)
    await removal.commit()
    const answer = await undo
    expect(answer).toBeInstanceOf(Response)
    expect((answer as Response).status).toBe(404)
    expect(await draftsOf(owner.workspace.id, agent.user.id)).toEqual([])
  })
})
