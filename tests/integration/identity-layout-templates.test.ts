import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { getIdentityWithLayout } from '#db/queries/layout.ts'
import { sql } from 'drizzle-orm'
import { listQueue, type QueueListingInput } from '#db/queries/queue.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import { addTags } from '#app/domain/tickets.server.ts'
import { saveDraft } from '#app/domain/drafts.server.ts'
import { customerReply, replyToTicket } from '#app/domain/messages.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { asMember, createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/**
 * getIdentityWithLayout builds its statement once per shape and puts each request's values (slug,
 * session, filter values, cursor) where the template has markers (db/queries/layout.ts). In tests
 * every call is also checked against a fresh build, so each call here fails if a
 * template and the statement for its input differ. Two members of two workspaces ask the same
 * shapes one after the other: each gets their own session's identity, workspace and tickets.
 */
type Member = Awaited<ReturnType<typeof createMember>>

// A reply enqueues its email.
beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

async function workspaceWithTickets(subject: string) {
  const member = await createMember('owner')
  const teammate = await createMember('agent', member.workspace)
  const [mailbox] = await listMailboxes(getDb(), { workspaceId: member.workspace.id })
  const tickets = []
  for (let i = 0; i < 4; i++)
    tickets.push((await createTicketFor(member, { subject: `${subject} ${i}` })).ticket)
  await setTicket(tickets[0]!.id, { status: 'pending', priority: 'high', assigneeId: member.user.id })
  await setTicket(tickets[1]!.id, { assigneeId: teammate.user.id, priority: 'urgent' })
  await setTicket(tickets[2]!.id, { status: 'resolved' })
  await addTags({ workspaceId: member.workspace.id, userId: member.user.id }, [tickets[3]!.id], ['billing'])
  return { member, teammate, mailboxId: mailbox!.id, tickets }
}

function shapes(w: Awaited<ReturnType<typeof workspaceWithTickets>>): QueueListingInput[] {
  const base = { rowExtras: true, limit: 2 } as const
  const out: QueueListingInput[] = []
  for (const view of ['mine', 'unassigned', 'open', 'pending', 'resolved', 'all'] as const)
    for (const sort of ['activity', 'created', 'priority'] as const)
      out.push({ ...base, filters: { view }, sort })
  out.push(
    { ...base, filters: { view: 'all', status: 'open', priority: 'urgent' }, sort: 'activity' },
    { ...base, filters: { view: 'all', assigneeId: 'none' }, sort: 'activity' },
    { ...base, filters: { view: 'all', assigneeId: w.teammate.user.id }, sort: 'created' },
    {
      ...base,
      filters: { view: 'all', mailboxId: w.mailboxId, updatedSince: '2000-01-01T00:00:00Z' },
      sort: 'activity',
    },
    { ...base, filters: { view: 'all', contactId: w.tickets[0]!.contactId }, sort: 'activity' },
    { filters: { view: 'all' }, sort: 'activity', rowExtras: false },
  )
  return out
}

async function identity(member: Member, queuePage: QueueListingInput | null, extra = {}) {
  return getIdentityWithLayout(getDb(), {
    sessionId: member.sessionId,
    slug: member.workspace.slug,
    withQueueOptions: true,
    queuePage,
    ...extra,
  })
}

describe('the identity statement built once per shape', () => {
  it('gives each member their own identity, workspace and tickets for every shape, cursors and tags included', async () => {
    const a = await workspaceWithTickets('Alpha')
    const b = await workspaceWithTickets('Beta')
    for (const shape of shapes(a)) {
      for (const [w, own, other] of [
        [a, 'Alpha', 'Beta'],
        [b, 'Beta', 'Alpha'],
      ] as const) {
        const found = await identity(w.member, shape)
        expect(found!.row.session_id).toBe(w.member.sessionId)
        expect(found!.row.workspace_slug).toBe(w.member.workspace.slug)
        const subjects = found!.queuePage!.rows.map((row) => row.subject)
        for (const subject of subjects) {
          expect(subject).toContain(own)
          expect(subject).not.toContain(other)
        }
        // The next page from this one's last row, and back: the cursor is this request's.
        const last = found!.queuePage!.rows.at(-1)
        if (found!.queuePage!.hasNext && last) {
          const next = await identity(w.member, { ...shape, cursor: last.sortKey, direction: 'next' })
          const prev = await identity(w.member, {
            ...shape,
            cursor: next!.queuePage!.rows[0]!.sortKey,
            direction: 'prev',
          })
          expect(next!.queuePage!.hasPrev).toBe(true)
          expect(prev!.queuePage!.rows.map((row) => row.id)).toEqual(
            found!.queuePage!.rows.map((row) => row.id),
          )
        }
      }
    }
    const tagged = await identity(a.member, { filters: { view: 'all' }, sort: 'activity', rowExtras: true })
    const billing = tagged!.queuePage!.rows.find((row) => row.id === a.tickets[3]!.id)!.tags
    expect(billing.map((tag) => tag.name)).toEqual(['billing'])
    const tagId = billing[0]!.id
    const byTag = await identity(a.member, {
      filters: { view: 'all', tagId },
      sort: 'activity',
      rowExtras: true,
    })
    expect(byTag!.queuePage!.rows.map((row) => row.id)).toEqual([a.tickets[3]!.id])
  })

  it('without a page, and for a session of another workspace or none: the same shapes, nothing shared', async () => {
    const a = await workspaceWithTickets('Gamma')
    const b = await workspaceWithTickets('Delta')
    for (const extra of [{ withChecklist: true }, { withQueueOptions: false }, {}]) {
      const own = await identity(a.member, null, extra)
      expect(own!.row.workspace_slug).toBe(a.member.workspace.slug)
      expect(own!.queuePage).toBeNull()
      // B's session asking for A's workspace: B's identity, no membership, no layout.
      const stranger = await getIdentityWithLayout(getDb(), {
        sessionId: b.member.sessionId,
        slug: a.member.workspace.slug,
        ...extra,
      })
      expect(stranger!.row.user_id).toBe(b.member.user.id)
      expect(stranger!.row.workspace_id).toBeNull()
      expect(stranger!.row.workspaces).toBeNull()
      expect(
        await getIdentityWithLayout(getDb(), {
          sessionId: 'no-such-session',
          slug: a.member.workspace.slug,
          ...extra,
        }),
      ).toBeUndefined()
    }
  })

  it('carries the same page, every field of every row, as listQueue reads on its own', async () => {
    const w = await workspaceWithTickets('Epsilon')
    const [plain, tagged, noted, replied] = w.tickets
    const me = w.member
    // Every field of a row set on some row and unset on another: a draft of the member's, a
    // triage gist, a note (an agent's last line), a customer's reply after it (waiting since),
    // an attachment, a read marker older than the customer's last message and one newer.
    await getDb().execute(
      sql`insert into ticket_triage (ticket_id, workspace_id, gist) values (${tagged!.id}, ${me.workspace.id}, 'Wants a refund')`,
    )
    await replyToTicket(asMember(me), noted!.number, { kind: 'note', body: 'Checked the order.' })
    // After the note, which empties its author's draft.
    await saveDraft(asMember(me), noted!.number, { body: 'Half a reply', kind: 'reply', generation: 1 })
    await replyToTicket(asMember(me), plain!.number, { kind: 'reply', body: 'Sorted, thanks.' })
    const reply = await replyToTicket(asMember(me), replied!.number, { kind: 'reply', body: 'On its way.' })
    if (reply.kind !== 'sent') throw new Error(`reply: ${reply.kind}`)
    await getDb()
      .execute(sql`insert into attachments (id, workspace_id, message_id, filename, content_type, size, sha256)
      values (gen_random_uuid(), ${me.workspace.id}, ${reply.messageId}, 'label.pdf', 'application/pdf', 10, ${'a'.repeat(64)})`)
    await customerReply({ ticketId: replied!.id, workspaceId: me.workspace.id }, 'Still waiting.')
    await getDb().execute(sql`insert into ticket_reads (user_id, ticket_id, read_at)
      values (${me.user.id}, ${plain!.id}, now() + interval '1 hour'), (${me.user.id}, ${replied!.id}, now() - interval '1 hour')
      on conflict (user_id, ticket_id) do update set read_at = excluded.read_at`)
    const inputs: QueueListingInput[] = [
      { filters: { view: 'all' }, sort: 'activity', rowExtras: true },
      { filters: { view: 'all' }, sort: 'created', rowExtras: true, limit: 2 },
      { filters: { view: 'all' }, sort: 'priority', rowExtras: true },
      { filters: { view: 'open' }, sort: 'activity', rowExtras: false },
    ]
    for (const input of inputs) {
      const carried = (await identity(me, input))!.queuePage!
      const own = await listQueue(getDb(), { ...input, workspaceId: me.workspace.id, userId: me.user.id })
      expect(carried, JSON.stringify(input)).toEqual(own)
    }
    const rows = (await identity(me, inputs[0]!))!.queuePage!.rows
    const byId = new Map(rows.map((row) => [row.id, row]))
    expect(byId.get(noted!.id)).toMatchObject({ hasDraft: true, lastMessage: { fromAgent: false } })
    expect(byId.get(tagged!.id)).toMatchObject({ gist: 'Wants a refund', hasDraft: false })
    expect(byId.get(replied!.id)).toMatchObject({
      hasAttachments: true,
      unread: true,
      lastMessage: { text: 'Still waiting.' },
    })
    expect(byId.get(replied!.id)!.waitingSince).toBeTruthy()
    expect(byId.get(plain!.id)).toMatchObject({
      unread: false,
      hasAttachments: false,
      gist: null,
      lastMessage: { text: 'Sorted, thanks.', fromAgent: true },
    })
  })
})
