import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { tickets, users, workspaces } from '#db/schema.ts'
import * as workspaceRoute from '#app/routes/w.$slug.tsx'
import * as ticketsRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { createMember, createTicketFor, createWorkspace, setTicket } from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext } from '#tests/helpers/routes.ts'

// The navigation's Mine/Unassigned counts read queue_counts, which statement-level triggers on
// tickets keep exact (migration 0021_queue_counts). Each test checks the layout's numbers and that
// the whole table equals a fresh count of tickets.

type Actor = Awaited<ReturnType<typeof createMember>>

async function navCounts(actor: Actor) {
  const slug = actor.workspace.slug
  const result = await callLoader(workspaceRoute, `/w/${slug}`, { cookie: actor.cookie, params: { slug } })
  expect(result.status).toBe(200)
  return result.data.counts as { mine: number; unassigned: number }
}

/** Every counter row against a count of the tickets themselves (both directions, zeros dropped). */
async function expectCountsExact() {
  const { rows } = await getDb().execute<{ key: string; kept: number | null; actual: number | null }>(sql`
    with actual as (select workspace_id, assignee_id, status, count(*)::int as n from tickets group by 1, 2, 3)
    select concat_ws('/', coalesce(a.workspace_id, q.workspace_id), coalesce(a.assignee_id, q.assignee_id),
             coalesce(a.status, q.status)) as key, q.n as kept, a.n as actual
    from actual a full join queue_counts q on q.workspace_id = a.workspace_id
      and q.assignee_id is not distinct from a.assignee_id and q.status = a.status
    where q.n is distinct from a.n`)
  expect(rows).toEqual([])
}

function bulk(actor: Actor, ticketIds: string[], fields: Array<[string, string]>) {
  const slug = actor.workspace.slug
  return callAction(
    ticketsRoute,
    `/w/${slug}/tickets?index`,
    [['intent', 'bulk'], ...ticketIds.map((id): [string, string] => ['ticketIds', id]), ...fields],
    { cookie: actor.cookie, params: { slug }, context: testContext() },
  )
}

describe('queue counts kept by PostgreSQL', () => {
  it('follows create, assign, status changes, bulk actions and their undo, each visible on the next request', async () => {
    const me = await createMember('owner')
    const colleague = await createMember('agent', me.workspace)
    expect(await navCounts(me)).toEqual({ mine: 0, unassigned: 0 })

    const made = []
    for (let i = 0; i < 4; i++) made.push(await createTicketFor(me))
    expect(await navCounts(me)).toEqual({ mine: 0, unassigned: 4 })

    const assigned = await bulk(
      me,
      made.slice(0, 3).map((t) => t.ticketId),
      [
        ['operation', 'assign'],
        ['assignee', me.user.id],
      ],
    )
    expect(assigned.status).toBe(302)
    expect(await navCounts(me)).toEqual({ mine: 3, unassigned: 1 })
    expect(await navCounts(colleague)).toEqual({ mine: 0, unassigned: 1 })

    // Pending still counts; resolved and closed do not.
    await bulk(
      me,
      [made[0].ticketId],
      [
        ['operation', 'status'],
        ['status', 'pending'],
      ],
    )
    expect(await navCounts(me)).toEqual({ mine: 3, unassigned: 1 })
    const resolved = await bulk(
      me,
      made.map((t) => t.ticketId),
      [
        ['operation', 'status'],
        ['status', 'resolved'],
      ],
    )
    expect(await navCounts(me)).toEqual({ mine: 0, unassigned: 0 })

    const batchId = new URL(resolved.location!, 'http://x').searchParams.get('bulk')!
    const undone = await callAction(
      ticketsRoute,
      `/w/${me.workspace.slug}/tickets?view=all&index`,
      [
        ['intent', 'undo-bulk'],
        ['batchId', batchId],
      ],
      { cookie: me.cookie, params: { slug: me.workspace.slug }, context: testContext() },
    )
    expect(undone.status).toBe(302)
    expect(await navCounts(me)).toEqual({ mine: 3, unassigned: 1 })

    await bulk(
      me,
      made.slice(1, 3).map((t) => t.ticketId),
      [
        ['operation', 'assign'],
        ['assignee', colleague.user.id],
      ],
    )
    expect(await navCounts(me)).toEqual({ mine: 1, unassigned: 1 })
    expect(await navCounts(colleague)).toEqual({ mine: 2, unassigned: 1 })
    await expectCountsExact()
  })

  it('follows deletes, a move to another workspace, a removed user and a deleted workspace', async () => {
    const me = await createMember('owner')
    const helper = await createMember('agent', me.workspace)
    const other = await createMember('owner')
    const made = []
    for (let i = 0; i < 5; i++) made.push(await createTicketFor(me))
    await setTicket(made[0].ticketId, { assigneeId: me.user.id })
    await setTicket(made[1].ticketId, { assigneeId: helper.user.id })
    await setTicket(made[2].ticketId, { assigneeId: helper.user.id, status: 'pending' })
    expect(await navCounts(me)).toEqual({ mine: 1, unassigned: 2 })

    await getDb().delete(tickets).where(eq(tickets.id, made[3].ticketId))
    expect(await navCounts(me)).toEqual({ mine: 1, unassigned: 1 })

    // Moved into the other workspace (only the counts matter here, not its mailbox and contact).
    await getDb()
      .update(tickets)
      .set({ workspaceId: other.workspace.id })
      .where(eq(tickets.id, made[4].ticketId))
    expect(await navCounts(me)).toEqual({ mine: 1, unassigned: 0 })
    expect(await navCounts(other)).toEqual({ mine: 0, unassigned: 1 })
    await expectCountsExact()

    // Deleting a user unassigns their tickets (ON DELETE SET NULL): the cascade's update is counted.
    await getDb().delete(users).where(eq(users.id, helper.user.id))
    expect(await navCounts(me)).toEqual({ mine: 1, unassigned: 2 })
    await expectCountsExact()

    // Moved back (its contact and mailbox are still this workspace's), then the workspace deleted:
    // the cascade's delete of its tickets leaves no counter rows behind.
    await getDb()
      .update(tickets)
      .set({ workspaceId: me.workspace.id })
      .where(eq(tickets.id, made[4].ticketId))
    expect(await navCounts(other)).toEqual({ mine: 0, unassigned: 0 })
    await getDb().delete(workspaces).where(eq(workspaces.id, me.workspace.id))
    const left = await getDb().execute(
      sql`select 1 from queue_counts where workspace_id = ${me.workspace.id}`,
    )
    expect(left.rows).toEqual([])
    await expectCountsExact()
  })

  it('counts past 1,000 exactly after one bulk insert and update', async () => {
    const me = await createMember('owner')
    const [ticket] = [await createTicketFor(me)]
    const db = getDb()
    // 1,500 copies of a real ticket in one INSERT: one counter upsert for the whole statement.
    await db.execute(sql`
      insert into tickets (id, workspace_id, number, mailbox_id, contact_id, subject, channel, thread_message_id)
      select gen_random_uuid(), t.workspace_id, t.number + g, t.mailbox_id, t.contact_id, t.subject, t.channel,
        t.thread_message_id || g
      from tickets t, generate_series(1, 1500) g where t.id = ${ticket.ticketId}`)
    expect(await navCounts(me)).toEqual({ mine: 0, unassigned: 1501 })
    await db.execute(sql`update tickets set assignee_id = ${me.user.id}
      where workspace_id = ${me.workspace.id} and number % 3 = 0`)
    const mine = Number(
      (
        await db.execute<{ n: number }>(
          sql`select count(*)::int as n from tickets where workspace_id = ${me.workspace.id} and number % 3 = 0`,
        )
      ).rows[0].n,
    )
    expect(await navCounts(me)).toEqual({ mine, unassigned: 1501 - mine })
    await expectCountsExact()
  })

  it('stays exact under concurrent writers on the same counters', async () => {
    const me = await createMember('owner')
    const colleague = await createMember('agent', me.workspace)
    const made = []
    for (let i = 0; i < 12; i++) made.push(await createTicketFor(me))
    // Concurrent transactions: new tickets, single and bulk assignments, status changes, all
    // touching the same (workspace, unassigned, open) row and others, in different orders.
    await Promise.all([
      ...Array.from({ length: 6 }, () => createTicketFor(me)),
      ...made
        .slice(0, 6)
        .map((t, i) => setTicket(t.ticketId, { assigneeId: i % 2 ? me.user.id : colleague.user.id })),
      bulk(
        me,
        made.slice(6, 9).map((t) => t.ticketId),
        [
          ['operation', 'status'],
          ['status', 'pending'],
        ],
      ),
      bulk(
        colleague,
        made.slice(9).map((t) => t.ticketId),
        [
          ['operation', 'assign'],
          ['assignee', colleague.user.id],
        ],
      ),
    ])
    expect(await navCounts(me)).toEqual({ mine: 3, unassigned: 9 })
    expect(await navCounts(colleague)).toEqual({ mine: 6, unassigned: 9 })
    await expectCountsExact()
  })

  it('counts only the workspace asked for', async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    await createTicketFor(a)
    await createTicketFor(b)
    await createTicketFor(b)
    const empty = await createWorkspace()
    expect(await navCounts(a)).toEqual({ mine: 0, unassigned: 1 })
    expect(await navCounts(b)).toEqual({ mine: 0, unassigned: 2 })
    const rows = await getDb().execute(sql`select 1 from queue_counts where workspace_id = ${empty.id}`)
    expect(rows.rows).toEqual([])
  })
})
