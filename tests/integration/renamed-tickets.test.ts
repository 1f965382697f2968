import { and, eq, sql } from 'drizzle-orm'
import type { JobWithMetadata } from 'pg-boss'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { tickets } from '#db/schema.ts'
import { getMailbox } from '#db/queries/mailboxes.ts'
import { updateName } from '#app/domain/accounts.server.ts'
import { getApiTicket, listMessagesPage, listTicketsPage } from '#app/domain/api-resources.server.ts'
import { createMailbox, updateMailbox } from '#app/domain/mailboxes.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { RENAME_BATCH } from '#app/domain/renamed-tickets.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { queue, startQueue, type JobPayloads } from '#app/jobs/queue.server.ts'
import { markRenamedTicketBatches } from '#app/jobs/worker.server.ts'
import {
  addMember,
  asMember,
  createMember,
  createTicketFor,
  type TestMember,
} from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// A mailbox's name (the API's `mailbox.name`) and a member's (`assignee.name`, their messages'
// `author.name`) show on tickets: renaming either changed those tickets' API answers, but neither
// `updated_since` nor `changed_after` listed them. A rename marks them updated: the first 1,000
// in its own transaction, the rest in batches of the `tickets.name-changed` job.

const LONG_AGO = new Date('2020-01-01T00:00:00Z')
const SINCE = '2021-01-01T00:00:00Z'
const JOB = 'tickets.name-changed'

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

/** Everything written so far is "long ago": only a change from here on is "updated since". */
async function ageAll() {
  await getDb().update(tickets).set({ updatedAt: LONG_AGO })
}

async function pageOf(member: Member, filters: { updatedSince?: string; changedAfter?: string }) {
  const page = await listTicketsPage(member, filters, undefined, 100)
  if (page.kind !== 'page') throw new Error(page.kind)
  return { numbers: (JSON.parse(page.json) as Array<{ number: number }>).map((t) => t.number), page }
}

const updatedSince = async (member: Member) => (await pageOf(member, { updatedSince: SINCE })).numbers

/** Runs the walk's jobs as the worker does, one fetch at a time, until none is left. */
async function drainRenameJobs() {
  let runs = 0
  for (;;) {
    const jobs = (await queue().fetch(JOB, { includeMetadata: true })) as JobWithMetadata<
      JobPayloads[typeof JOB]
    >[]
    if (jobs.length === 0) return runs
    await markRenamedTicketBatches(jobs)
    for (const job of jobs) await queue().complete(JOB, job.id)
    runs += jobs.length
  }
}

async function renameMailbox(member: Member, mailboxId: string, name: string) {
  const mailbox = (await getMailbox(getDb(), { workspaceId: member.workspaceId, id: mailboxId }))!
  const outcome = await updateMailbox(member, mailboxId, {
    name,
    address: mailbox.address,
    fromName: mailbox.fromName,
    signature: mailbox.signature,
  })
  expect(outcome.kind).toBe('saved')
}

async function markedCount(where: ReturnType<typeof eq>) {
  const [row] = await getDb()
    .select({ n: sql<number>`count(*)::int` })
    .from(tickets)
    .where(and(where, sql`${tickets.updatedAt} > ${LONG_AGO.toISOString()}::timestamptz`))
  return row!.n
}

describe('a mailbox renamed', () => {
  let owner: TestMember
  let member: Member
  beforeAll(async () => {
    owner = await createMember('owner')
    member = asMember(owner)
  })

  it('marks its tickets updated (updated_since, changed_after) and only them; GET shows the new name', async () => {
    const inIt = await createTicketFor(owner)
    const other = await createTicketFor(owner)
    const second = await createMailbox(member, {
      name: 'Billing',
      address: 'billing@example.com',
      fromName: 'B',
      signature: '',
    })
    if (second.kind !== 'created') throw new Error(second.kind)
    await getDb().update(tickets).set({ mailboxId: second.mailbox.id }).where(eq(tickets.id, other.ticketId))
    await ageAll()
    const { page } = await pageOf(member, {})
    expect(await updatedSince(member)).toEqual([])

    await renameMailbox(member, inIt.mailboxId, 'Support (renamed)')
    expect(await drainRenameJobs()).toBe(0)

    expect(await updatedSince(member)).toEqual([inIt.number])
    const changed = await pageOf(member, { changedAfter: page.nextChangedAfter })
    expect(changed.numbers).toContain(inIt.number)
    expect(changed.numbers).not.toContain(other.number)
    expect((await getApiTicket(member, inIt.number))!.mailboxName).toBe('Support (renamed)')

    // Saving it again with the same name, or another field only, marks nothing.
    await ageAll()
    await renameMailbox(member, inIt.mailboxId, 'Support (renamed)')
    expect(await updatedSince(member)).toEqual([])
  })

  it(`past ${RENAME_BATCH} tickets: the first ${RENAME_BATCH} in the rename's transaction, the rest by jobs of ${RENAME_BATCH}, each its own`, async () => {
    const template = await createTicketFor(owner)
    const count = 2 * RENAME_BATCH + 500
    await getDb().execute(sql`
      insert into tickets (id, workspace_id, number, mailbox_id, contact_id, subject, channel, thread_message_id)
      select gen_random_uuid(), t.workspace_id,
        (select max(number) from tickets where workspace_id = t.workspace_id) + g, t.mailbox_id, t.contact_id,
        t.subject, t.channel, '<copy-' || g || '@example.net>'
      from tickets t, generate_series(1, ${count}) g where t.id = ${template.ticketId}`)
    const inMailbox = eq(tickets.mailboxId, template.mailboxId)
    const [{ n: total }] = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(tickets)
      .where(inMailbox)
    await ageAll()
    const { page } = await pageOf(member, {})

    await renameMailbox(member, template.mailboxId, 'Support, once more')
    expect(await markedCount(inMailbox)).toBe(RENAME_BATCH)

    // One job at a time: each batch commits with the job for the next.
    const fetched = (await queue().fetch(JOB, { includeMetadata: true })) as JobWithMetadata<
      JobPayloads[typeof JOB]
    >[]
    expect(fetched).toHaveLength(1)
    await markRenamedTicketBatches(fetched)
    expect(await markedCount(inMailbox)).toBe(2 * RENAME_BATCH)
    // The same job run again (its process died before pg-boss recorded it done) enqueues no second
    // walk over the rest.
    await markRenamedTicketBatches(fetched)
    await queue().complete(JOB, fetched[0]!.id)
    expect(await drainRenameJobs()).toBe(Math.ceil(total / RENAME_BATCH) - 2)
    expect(await markedCount(inMailbox)).toBe(total)
    expect(await markedCount(sql`true` as never)).toBe(total)

    let listed = 0
    let cursor: string | undefined
    do {
      const next = await listTicketsPage(member, { changedAfter: page.nextChangedAfter }, cursor, 100)
      if (next.kind !== 'page') throw new Error(next.kind)
      listed += (JSON.parse(next.json) as unknown[]).length
      cursor = next.nextCursor ?? undefined
    } while (cursor)
    expect(listed).toBe(total)
  })
})

describe('a member renamed', () => {
  it('marks the tickets assigned to them and those with a message or note of theirs, in every workspace, and only those', async () => {
    const owner = await createMember('owner')
    const elsewhere = await createMember('owner')
    await addMember(elsewhere.workspace.id, owner.user.id, 'agent')
    const member = asMember(owner)
    const memberElsewhere = { ...asMember(elsewhere), userId: owner.user.id, role: 'agent' as const }
    const assigned = await createTicketFor(owner)
    const noted = await createTicketFor(elsewhere)
    const untouched = await createTicketFor(owner)
    const othersNote = await createTicketFor(elsewhere)
    await updateTickets(member, [assigned.ticketId], { assigneeId: owner.user.id })
    await replyToTicket(memberElsewhere, noted.number, { kind: 'note', body: 'Checked the order' })
    await replyToTicket(asMember(elsewhere), othersNote.number, { kind: 'note', body: 'Not theirs' })
    await ageAll()
    const before = await pageOf(member, {})
    const beforeElsewhere = await pageOf(asMember(elsewhere), {})

    await updateName(owner.user.id, 'Dana Renamed')
    await drainRenameJobs()

    expect(await updatedSince(member)).toEqual([assigned.number])
    expect(await updatedSince(asMember(elsewhere))).toEqual([noted.number])
    expect((await pageOf(member, { changedAfter: before.page.nextChangedAfter })).numbers).toContain(
      assigned.number,
    )
    expect((await pageOf(member, { changedAfter: before.page.nextChangedAfter })).numbers).not.toContain(
      untouched.number,
    )
    const changedElsewhere = await pageOf(asMember(elsewhere), {
      changedAfter: beforeElsewhere.page.nextChangedAfter,
    })
    expect(changedElsewhere.numbers).toContain(noted.number)
    expect(changedElsewhere.numbers).not.toContain(othersNote.number)
    // What they show now.
    expect((await getApiTicket(member, assigned.number))!.assignee).toEqual({
      id: owner.user.id,
      name: 'Dana Renamed',
    })
    const thread = await listMessagesPage(asMember(elsewhere), noted.number, undefined, 100)
    if (thread.kind !== 'page') throw new Error(thread.kind)
    expect(thread.rows.some((m) => m.authorUserName === 'Dana Renamed')).toBe(true)

    // The same name again writes nothing.
    await ageAll()
    await updateName(owner.user.id, 'Dana Renamed')
    await drainRenameJobs()
    expect(await updatedSince(member)).toEqual([])
  })
})
