import { and, eq, inArray } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, notifications, tags, ticketTags, tickets } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { undoBulkAction } from '#app/domain/bulk-actions.server.ts'
import { addTags, removeTag } from '#app/domain/tickets.server.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as ticketsRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { asMember, createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import {
  callAction,
  callLoader,
  inboxRows,
  testContext,
  type RealtimeCalls,
  type RouteResult,
} from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Replies enqueue their email job.
beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Actor = Awaited<ReturnType<typeof createMember>>

/** Posts the queue's form as a browser would (repeated ticketIds), from the given queue URL. */
function post(
  actor: Actor,
  fields: Array<[string, string]>,
  options: { search?: string; calls?: RealtimeCalls; slug?: string } = {},
) {
  const slug = options.slug ?? actor.workspace.slug
  return callAction(ticketsRoute, `/w/${slug}/tickets${options.search ?? '?index'}`, fields, {
    cookie: actor.cookie,
    params: { slug },
    context: testContext(options.calls),
  })
}

function queue(actor: Actor, search: string) {
  const slug = actor.workspace.slug
  return callLoader(ticketsRoute, `/w/${slug}/tickets${search}`, { cookie: actor.cookie, params: { slug } })
}

const ids = (list: Array<{ ticketId: string }>) =>
  list.map((t): [string, string] => ['ticketIds', t.ticketId])

/** The batch id the action put in its redirect (`?bulk=<id>`). */
function batchOf(result: RouteResult) {
  expect(result.status).toBe(302)
  const batchId = new URL(result.location!, 'http://x').searchParams.get('bulk')
  expect(batchId).toMatch(/^[0-9a-f-]{36}$/)
  return batchId!
}

async function states(ticketIds: string[]) {
  const rows = await getDb()
    .select({ id: tickets.id, status: tickets.status, assigneeId: tickets.assigneeId })
    .from(tickets)
    .where(inArray(tickets.id, ticketIds))
  return Object.fromEntries(rows.map((r) => [r.id, { status: r.status, assigneeId: r.assigneeId }]))
}

async function team() {
  const me = await createMember('owner')
  const colleague = await createMember('agent', me.workspace)
  const a = await createTicketFor(me, { subject: 'Alpha' })
  const b = await createTicketFor(me, { subject: 'Bravo' })
  const c = await createTicketFor(me, { subject: 'Charlie' })
  await setTicket(b.ticketId, { status: 'pending', assigneeId: colleague.user.id })
  return { me, colleague, a, b, c }
}

describe('undo of a bulk action', () => {
  it('puts back the previous status of exactly the tickets the action changed, audited and announced', async () => {
    const t = await team()
    await setTicket(t.c.ticketId, { status: 'resolved' }) // already resolved: not part of the batch
    const before = await states([t.a.ticketId, t.b.ticketId, t.c.ticketId])
    const done = await post(t.me, [
      ['intent', 'bulk'],
      ...ids([t.a, t.b, t.c]),
      ['operation', 'status'],
      ['status', 'resolved'],
    ])
    const batchId = batchOf(done)
    const shown = await queue(t.me, `?view=all&bulk=${batchId}`)
    expect(shown.data.bulkResult).toEqual({
      batchId,
      message: '2 tickets set to Resolved',
      undoable: true,
      undone: null,
    })

    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const undone = await post(
      t.me,
      [
        ['intent', 'undo-bulk'],
        ['batchId', batchId],
      ],
      {
        search: '?view=all&index',
        calls,
      },
    )
    expect(undone.status).toBe(302)
    expect(undone.location).toBe(`/w/${t.me.workspace.slug}/tickets?view=all&bulk=${batchId}`)
    expect(await states([t.a.ticketId, t.b.ticketId, t.c.ticketId])).toEqual(before)
    const published = calls.published?.filter((e) => e.type === 'ticket.updated') ?? []
    expect(published.map((e) => e.ticketId).sort()).toEqual([t.a.ticketId, t.b.ticketId].sort())

    const audit = await getDb()
      .select({ action: auditEvents.action, data: auditEvents.data })
      .from(auditEvents)
      .where(and(eq(auditEvents.targetType, 'bulk'), eq(auditEvents.targetId, batchId)))
    expect(audit.map((r) => r.action).sort()).toEqual(['tickets.bulk-changed', 'tickets.bulk-undone'])
    expect(audit.find((r) => r.action === 'tickets.bulk-undone')?.data).toEqual({ restored: 2, skipped: 0 })
    const after = await queue(t.me, `?view=all&bulk=${batchId}`)
    expect(after.data.bulkResult).toMatchObject({ undoable: false, undone: { restored: 2, skipped: 0 } })

    // A second click changes nothing.
    const again = await post(t.me, [
      ['intent', 'undo-bulk'],
      ['batchId', batchId],
    ])
    expect(again.status).toBe(409)
    expect(again.data).toMatchObject({ undo: { error: 'This action was already undone.' } })
  })

  it('restores each previous assignee and leaves a ticket someone changed since as it is', async () => {
    const t = await team()
    const done = await post(t.me, [
      ['intent', 'bulk'],
      ...ids([t.a, t.b, t.c]),
      ['operation', 'assign'],
      ['assignee', t.me.user.id],
    ])
    const batchId = batchOf(done)
    expect((await queue(t.me, `?bulk=${batchId}`)).data.bulkResult.message).toBe('3 tickets assigned to you')
    await setTicket(t.c.ticketId, { assigneeId: t.colleague.user.id }) // reassigned meanwhile

    expect(
      (
        await post(t.me, [
          ['intent', 'undo-bulk'],
          ['batchId', batchId],
        ])
      ).status,
    ).toBe(302)
    const now = await states([t.a.ticketId, t.b.ticketId, t.c.ticketId])
    expect(now[t.a.ticketId].assigneeId).toBeNull()
    expect(now[t.b.ticketId].assigneeId).toBe(t.colleague.user.id)
    expect(now[t.c.ticketId].assigneeId).toBe(t.colleague.user.id)
    const after = await queue(t.me, `?bulk=${batchId}`)
    expect(after.data.bulkResult.undone).toEqual({ restored: 2, skipped: 1 })
    // Bravo went back to the colleague, who had it a moment ago: no "assigned to you" again.
    const told = await getDb()
      .select({ id: notifications.id })
      .from(notifications)
      .where(and(eq(notifications.userId, t.colleague.user.id), eq(notifications.ticketId, t.b.ticketId)))
    expect(told).toHaveLength(0)
  })

  it('refuses a bulk tag the sidebar would refuse (controls, bidi overrides, nothing visible), creating no tag', async () => {
    const t = await team()
    for (const name of ['\u202eabc', 'a\u0007b', 'a\nb', '\u200b']) {
      const refused = await post(t.me, [
        ['intent', 'bulk'],
        ...ids([t.a]),
        ['operation', 'tag'],
        ['tag', name],
      ])
      expect(refused.status, JSON.stringify(name)).toBe(400)
    }
    const created = await getDb()
      .select({ name: tags.name })
      .from(tags)
      .where(eq(tags.workspaceId, t.me.workspace.id))
    expect(created).toEqual([])
  })

  it('removes the tag only from the tickets that did not have it before', async () => {
    const t = await team()
    await post(t.me, [['intent', 'bulk'], ...ids([t.a]), ['operation', 'tag'], ['tag', 'Refunds']])
    const done = await post(t.me, [
      ['intent', 'bulk'],
      ...ids([t.a, t.b]),
      ['operation', 'tag'],
      ['tag', 'refunds'],
    ])
    const batchId = batchOf(done)
    expect((await queue(t.me, `?bulk=${batchId}`)).data.bulkResult.message).toBe('1 ticket tagged “Refunds”')
    expect(
      (
        await post(t.me, [
          ['intent', 'undo-bulk'],
          ['batchId', batchId],
        ])
      ).status,
    ).toBe(302)
    const tagged = await getDb()
      .select({ ticketId: ticketTags.ticketId })
      .from(ticketTags)
      .innerJoin(tags, eq(tags.id, ticketTags.tagId))
      .where(eq(tags.name, 'Refunds'))
    expect(tagged.map((r) => r.ticketId)).toEqual([t.a.ticketId])
  })

  it('leaves the tag a teammate removed and added again while the undo waited, counting it skipped', async () => {
    const t = await team()
    const done = await post(t.me, [
      ['intent', 'bulk'],
      ...ids([t.a, t.b]),
      ['operation', 'tag'],
      ['tag', 'Escalated'],
    ])
    const batchId = batchOf(done)
    const [tag] = await getDb().select({ id: tags.id }).from(tags).where(eq(tags.name, 'Escalated'))
    const colleague = asMember(t.colleague)
    // The teammate takes the tag off ticket A and puts it back on, and has not committed yet.
    const teammate = await holdTransaction(async (tx) => {
      await removeTag(colleague, t.a.ticketId, tag!.id, tx)
      await addTags(colleague, [t.a.ticketId], ['Escalated'], tx)
    })
    const undo = undoBulkAction({ workspaceId: t.me.workspace.id, userId: t.me.user.id }, batchId)
    await lockWaiters(1, teammate)
    await teammate.commit()
    const outcome = await undo
    expect(outcome).toMatchObject({ kind: 'undone', restored: 1, skipped: 1 })
    const tagged = await getDb()
      .select({ ticketId: ticketTags.ticketId })
      .from(ticketTags)
      .where(eq(ticketTags.tagId, tag!.id))
    expect(tagged.map((r) => r.ticketId)).toEqual([t.a.ticketId])
  })

  it('leaves the tag a teammate removed and added again before the undo', async () => {
    const t = await team()
    const batchId = batchOf(
      await post(t.me, [['intent', 'bulk'], ...ids([t.a, t.b]), ['operation', 'tag'], ['tag', 'Billing']]),
    )
    const [tag] = await getDb().select({ id: tags.id }).from(tags).where(eq(tags.name, 'Billing'))
    const colleague = asMember(t.colleague)
    await removeTag(colleague, t.b.ticketId, tag!.id)
    await addTags(colleague, [t.b.ticketId], ['Billing'])
    const outcome = await undoBulkAction({ workspaceId: t.me.workspace.id, userId: t.me.user.id }, batchId)
    expect(outcome).toMatchObject({ kind: 'undone', restored: 1, skipped: 1 })
    const tagged = await getDb()
      .select({ ticketId: ticketTags.ticketId })
      .from(ticketTags)
      .where(eq(ticketTags.tagId, tag!.id))
    expect(tagged.map((r) => r.ticketId)).toEqual([t.b.ticketId])
  })

  it('refuses an undo by another agent, another workspace, or a malformed id, changing nothing', async () => {
    const t = await team()
    const outsider = await createMember('owner')
    const batchId = batchOf(
      await post(t.me, [['intent', 'bulk'], ...ids([t.a]), ['operation', 'status'], ['status', 'closed']]),
    )
    const byColleague = await post(t.colleague, [
      ['intent', 'undo-bulk'],
      ['batchId', batchId],
    ])
    expect(byColleague.status).toBe(404)
    expect((await queue(t.colleague, `?bulk=${batchId}`)).data.bulkResult).toBeNull()
    const fromElsewhere = await post(outsider, [
      ['intent', 'undo-bulk'],
      ['batchId', batchId],
    ])
    expect(fromElsewhere.status).toBe(404)
    // Another workspace's queue URL is a 404 for a non-member before anything is read.
    const intoTheirs = await post(
      outsider,
      [
        ['intent', 'undo-bulk'],
        ['batchId', batchId],
      ],
      {
        slug: t.me.workspace.slug,
      },
    )
    expect(intoTheirs.status).toBe(404)
    const malformed = await post(t.me, [
      ['intent', 'undo-bulk'],
      ['batchId', 'nope'],
    ])
    expect(malformed.status).toBe(400)
    expect((await states([t.a.ticketId]))[t.a.ticketId].status).toBe('closed')
  })
})

describe('queue rows', () => {
  it("shows the last message's first line (never an internal note), waiting time, count and mailbox", async () => {
    const t = await team()
    const member = asMember(t.me)
    await setTicket(t.a.ticketId, { lastActivityAt: new Date() })
    const first = await queue(t.me, '?view=all')
    const row = inboxRows(first).find((r: { id: string }) => r.id === t.a.ticketId)
    expect(row).toMatchObject({
      preview: 'I ordered a blue kettle two weeks ago and it still has not arrived.',
      messageCount: 1,
      mailboxName: expect.any(String),
    })
    // Absent optional markers are empty: the customer wrote it, no files.
    expect(row.previewFromAgent).toBeFalsy()
    expect(row.hasAttachments).toBeFalsy()
    expect(row.waitingSince).toEqual(expect.any(String))

    await replyToTicket(member, t.a.number, { kind: 'reply', body: '\n  Thanks!   We are on it.\nMore…' })
    await replyToTicket(member, t.a.number, { kind: 'note', body: 'Secret note for the team' })
    const second = await queue(t.me, '?view=all')
    const after = inboxRows(second).find((r: { id: string }) => r.id === t.a.ticketId)
    expect(after).toMatchObject({
      preview: 'Thanks! We are on it.',
      previewFromAgent: true,
      messageCount: 3,
    })
    expect(after.waitingSince).toBeFalsy()
    expect(JSON.stringify(second.data)).not.toContain('Secret note')
  })
})
