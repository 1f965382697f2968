import { eq, inArray, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, contacts as contactsTable, mailboxes, tags, ticketTags, tickets } from '#db/schema.ts'
import { addTags } from '#app/domain/tickets.server.ts'
import * as workspaceRoute from '#app/routes/w.$slug.tsx'
import * as ticketsRoute from '#app/routes/w.$slug.tickets._index.tsx'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import * as customersRoute from '#app/routes/w.$slug.customers._index.tsx'
import { createMember, createTicketFor, createWorkspace, setTicket } from '#tests/helpers/factories.ts'
import {
  callAction,
  callLoader,
  inboxRows,
  testContext,
  type RealtimeCalls,
  type RouteResult,
} from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

function queue(actor: Actor, search = '', slug = actor.workspace.slug) {
  return callLoader(ticketsRoute, `/w/${slug}/tickets${search}`, { cookie: actor.cookie, params: { slug } })
}

const numbers = (result: RouteResult) => inboxRows(result).map((r: { number: number }) => r.number)
const cursor = (key: Array<string | number>) => Buffer.from(JSON.stringify(key)).toString('base64url')

/** Posts the bulk form as a browser would: repeated ticketIds, the query string kept in the URL. */
function bulk(
  actor: Actor,
  fields: Array<[string, string]>,
  options: { search?: string; calls?: RealtimeCalls; slug?: string } = {},
) {
  const slug = options.slug ?? actor.workspace.slug
  return callAction(
    ticketsRoute,
    `/w/${slug}/tickets${options.search ?? '?index'}`,
    [['intent', 'bulk'], ...fields],
    {
      cookie: actor.cookie,
      params: { slug },
      context: testContext(options.calls),
    },
  )
}

const ids = (list: Array<{ ticketId: string }>) =>
  list.map((t): [string, string] => ['ticketIds', t.ticketId])

async function ticketRows(ticketIds: string[]) {
  return getDb()
    .select({ id: tickets.id, status: tickets.status, assigneeId: tickets.assigneeId })
    .from(tickets)
    .where(inArray(tickets.id, ticketIds))
}

/**
 * A team with five tickets, one per view: mine (open), unassigned (open), unassigned (pending),
 * resolved, and a colleague's (open). Activity times go back one minute per ticket.
 */
async function team() {
  const me = await createMember('owner')
  const colleague = await createMember('agent', me.workspace)
  const made = []
  for (const subject of ['Mine', 'Unassigned open', 'Unassigned pending', 'Resolved one', 'Colleague']) {
    made.push(await createTicketFor(me, { subject }))
  }
  const [mine, openOne, pendingOne, resolvedOne, theirs] = made
  const base = Date.parse('2026-11-02T10:00:00Z')
  for (const [i, t] of made.entries())
    await setTicket(t.ticketId, { lastActivityAt: new Date(base - i * 60_000) })
  await setTicket(mine.ticketId, { assigneeId: me.user.id })
  await setTicket(pendingOne.ticketId, { status: 'pending' })
  await setTicket(resolvedOne.ticketId, { status: 'resolved' })
  await setTicket(theirs.ticketId, { assigneeId: colleague.user.id })
  return { me, colleague, mine, openOne, pendingOne, resolvedOne, theirs }
}

describe('queue views and filters', () => {
  it('shows each built-in view, with "All open" as the default', async () => {
    const t = await team()
    expect(numbers(await queue(t.me))).toEqual([t.mine.number, t.openOne.number, t.theirs.number])
    expect(numbers(await queue(t.me, '?view=mine'))).toEqual([t.mine.number])
    expect(numbers(await queue(t.me, '?view=unassigned'))).toEqual([t.openOne.number, t.pendingOne.number])
    expect(numbers(await queue(t.me, '?view=pending'))).toEqual([t.pendingOne.number])
    expect(numbers(await queue(t.me, '?view=resolved'))).toEqual([t.resolvedOne.number])
    expect(numbers(await queue(t.me, '?view=all'))).toHaveLength(5)
    // The colleague's "Mine" is their own ticket.
    expect(numbers(await queue(t.colleague, '?view=mine'))).toEqual([t.theirs.number])
  })

  it('returns what each row shows: customer, status, priority, assignee, tags, activity and unread', async () => {
    const t = await team()
    await addTags({ workspaceId: t.me.workspace.id, userId: t.me.user.id }, [t.mine.ticketId], ['Billing'])
    const result = await queue(t.me, '?view=mine')
    expect(result.status).toBe(200)
    expect(Date.parse(result.data.now)).not.toBeNaN()
    expect(inboxRows(result)[0]).toMatchObject({
      number: t.mine.number,
      subject: 'Mine',
      status: 'open',
      priority: 'normal',
      contactName: 'Casey Customer',
      assigneeName: t.me.user.name,
      unread: true,
      tags: [{ name: 'Billing' }],
      lastActivityAt: '2026-11-02T10:00:00.000Z',
    })
    // No search, no snippet (an absent optional field is empty to the table).
    expect(inboxRows(result)[0].snippet).toBeFalsy()
  })

  it('counts Mine and Unassigned for the navigation', async () => {
    const t = await team()
    const slug = t.me.workspace.slug
    const layout = await callLoader(workspaceRoute, `/w/${slug}`, { cookie: t.me.cookie, params: { slug } })
    expect(layout.data.counts).toEqual({ mine: 1, unassigned: 2 })
  })

  it('combines filters freely and echoes them for the form', async () => {
    const t = await team()
    const [second] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: t.me.workspace.id,
        name: 'Billing',
        key: 'billing',
        address: 'billing@example.com',
        fromName: 'Billing',
      })
      .returning({ id: mailboxes.id })
    await setTicket(t.openOne.ticketId, { mailboxId: second.id, priority: 'urgent' })
    await setTicket(t.pendingOne.ticketId, { mailboxId: second.id })
    await addTags({ workspaceId: t.me.workspace.id, userId: null }, [t.pendingOne.ticketId], ['VIP'])
    const [vip] = await getDb().select({ id: tags.id }).from(tags).where(eq(tags.name, 'VIP'))

    expect(numbers(await queue(t.me, `?view=all&mailbox=${second.id}`))).toEqual([
      t.openOne.number,
      t.pendingOne.number,
    ])
    expect(numbers(await queue(t.me, `?view=all&mailbox=${second.id}&priority=urgent`))).toEqual([
      t.openOne.number,
    ])
    expect(numbers(await queue(t.me, `?view=all&assignee=none&status=pending`))).toEqual([
      t.pendingOne.number,
    ])
    expect(numbers(await queue(t.me, `?view=all&assignee=${t.colleague.user.id}`))).toEqual([t.theirs.number])
    const tagged = await queue(t.me, `?view=all&tag=${vip.id}&mailbox=${second.id}`)
    expect(numbers(tagged)).toEqual([t.pendingOne.number])
    expect(tagged.data.query).toMatchObject({
      view: 'all',
      explicitView: 'all',
      tag: vip.id,
      mailbox: second.id,
    })
    const options = JSON.parse(tagged.data.options)
    expect(options.tags).toEqual([{ id: vip.id, name: 'VIP' }])
    expect(options.mailboxes.map((m: { name: string }) => m.name)).toEqual(['Support', 'Billing'])
  })

  it('drops invalid filter values and shows them as "All" instead of failing', async () => {
    const t = await team()
    const result = await queue(
      t.me,
      '?view=everything&status=bogus&priority=extreme&mailbox=not-a-uuid&assignee=me&tag=1%27%20or%201=1&sort=random',
    )
    expect(result.status).toBe(200)
    expect(result.data.query).toMatchObject({
      view: 'open',
      explicitView: null,
      status: '',
      priority: '',
      mailbox: '',
      assignee: '',
      tag: '',
      sort: 'activity',
    })
    expect(numbers(result)).toEqual([t.mine.number, t.openOne.number, t.theirs.number])
  })

  it("never shows another workspace's tickets, whatever ids the filters carry", async () => {
    const t = await team()
    const other = await createMember('owner')
    const foreign = await createTicketFor(other, { subject: 'Secret of B' })
    await setTicket(foreign.ticketId, { assigneeId: other.user.id })
    await addTags({ workspaceId: other.workspace.id, userId: null }, [foreign.ticketId], ['B-only'])
    const [bTag] = await getDb().select({ id: tags.id }).from(tags).where(eq(tags.name, 'B-only'))
    for (const search of [
      `?view=all&mailbox=${foreign.mailboxId}`,
      `?view=all&tag=${bTag.id}`,
      `?view=all&assignee=${other.user.id}`,
      `?view=all&q=Secret`,
    ]) {
      const result = await queue(t.me, search)
      expect(result.status, search).toBe(200)
      expect(numbers(result), search).toEqual([])
    }
    const everything = await queue(t.me, '?view=all')
    expect(JSON.stringify(everything.data)).not.toContain('Secret of B')
    expect(JSON.stringify(everything.data)).not.toContain('B-only')
  })
})

describe('queue sorting and pagination', () => {
  it('sorts by last activity (default), created and priority', async () => {
    const t = await team()
    const day = 24 * 60 * 60 * 1000
    await setTicket(t.mine.ticketId, { createdAt: new Date(Date.now() - 3 * day), priority: 'low' })
    await setTicket(t.openOne.ticketId, { createdAt: new Date(Date.now() - 1 * day), priority: 'urgent' })
    await setTicket(t.theirs.ticketId, { createdAt: new Date(Date.now() - 2 * day), priority: 'high' })
    expect(numbers(await queue(t.me, '?sort=activity'))).toEqual([
      t.mine.number,
      t.openOne.number,
      t.theirs.number,
    ])
    expect(numbers(await queue(t.me, '?sort=created'))).toEqual([
      t.openOne.number,
      t.theirs.number,
      t.mine.number,
    ])
    expect(numbers(await queue(t.me, '?sort=priority'))).toEqual([
      t.openOne.number,
      t.theirs.number,
      t.mine.number,
    ])
    // Relevance needs a search: without one it falls back to last activity.
    const relevance = await queue(t.me, '?sort=relevance')
    expect(relevance.data.query.sort).toBe('activity')
    expect(numbers(relevance)).toEqual([t.mine.number, t.openOne.number, t.theirs.number])
  })

  it('pages 25 at a time with cursors that stay put while new tickets arrive', async () => {
    const member = await createMember()
    const made = []
    for (let i = 0; i < 30; i++) made.push(await createTicketFor(member, { subject: `Question ${i}` }))
    // All 30 within one millisecond, a microsecond apart: cursors must keep that precision.
    await getDb().execute(sql`
      update tickets set last_activity_at = '2026-11-02T10:00:00.123Z'::timestamptz - (number * interval '1 microsecond')
      where workspace_id = ${member.workspace.id}`)
    const expected = made.map((t) => t.number).sort((a, b) => a - b)

    const page1 = await queue(member)
    expect(numbers(page1)).toEqual(expected.slice(0, 25))
    expect(page1.data.page.prevCursor).toBeNull()
    expect(page1.data.page.nextCursor).toEqual(expect.any(String))

    await createTicketFor(member, { subject: 'Arrived later' })
    const page2 = await queue(member, `?after=${page1.data.page.nextCursor}`)
    expect(numbers(page2)).toEqual(expected.slice(25))
    expect(page2.data.page.nextCursor).toBeNull()

    const back = await queue(member, `?before=${page2.data.page.prevCursor}`)
    expect(numbers(back)).toEqual(expected.slice(0, 25))
  })

  it.each([
    ['garbage', 'not%20base64%20at%20all!!'],
    ['JSON of the wrong shape', cursor(['a', 'b', 'c', 'd'])],
    ['an invalid date', cursor(['2026-13-45T99:00:00.000000Z', '0195f0a0-0000-7000-8000-000000000000'])],
    [
      'a date PostgreSQL would reject',
      cursor(['0000-01-01T00:00:00.000000Z', '0195f0a0-0000-7000-8000-000000000000']),
    ],
    ['SQL in the id', cursor(['2026-11-02T10:00:00.000000Z', "x'); drop table tickets; --"])],
    [
      'a cursor for another sort',
      cursor(['urgent', '2026-11-02T10:00:00.000000Z', '0195f0a0-0000-7000-8000-000000000000']),
    ],
    ['a huge cursor', 'A'.repeat(5000)],
    [
      'a sort key without the name of its list',
      cursor(['2026-11-02T10:00:00.000000Z', '0195f0a0-0000-7000-8000-000000000000']),
    ],
  ])('answers %s with a 400 that shows the first page and says why', async (_, value) => {
    const t = await team()
    for (const param of ['after', 'before']) {
      const result = await queue(t.me, `?${param}=${value}`)
      expect(result.status).toBe(400)
      expect(result.data.cursorRefused).toBe(true)
      expect(numbers(result)).toEqual([t.mine.number, t.openOne.number, t.theirs.number])
      expect(result.data.page.prevCursor).toBeNull()
    }
  })

  it("binds a page link's cursor to its list: another view's, sort's, filter's or search's, or the customer list's, is refused", async () => {
    const member = await createMember()
    // One customer's 27 tickets: the customer page pages them too.
    for (let i = 0; i < 27; i++)
      await createTicketFor(member, { subject: `Question ${i}`, customerEmail: 'regular@example.net' })
    const base = Date.parse('2026-11-02T10:00:00Z')
    const made = await getDb()
      .select({ id: tickets.id, number: tickets.number })
      .from(tickets)
      .where(eq(tickets.workspaceId, member.workspace.id))
    for (const t of made) await setTicket(t.id, { lastActivityAt: new Date(base - t.number * 60_000) })

    const first = await queue(member, '?view=open&sort=activity')
    const next = first.data.page.nextCursor as string
    // Its own list takes it, in either direction.
    const second = await queue(member, `?view=open&sort=activity&after=${next}`)
    expect(second.status).toBe(200)
    expect(second.data.cursorRefused).toBe(false)
    expect(numbers(second)).toHaveLength(2)
    expect(
      (await queue(member, `?view=open&sort=activity&before=${second.data.page.prevCursor}`)).status,
    ).toBe(200)

    // The same key shape read in another list was a position in it (sort by created: a page in the middle).
    for (const other of [
      'view=all',
      'view=unassigned',
      'sort=created',
      'status=open',
      'priority=normal',
      'q=question&sort=activity',
    ]) {
      const result = await queue(member, `?${other}&after=${next}`)
      expect({ other, status: result.status, refused: result.data.cursorRefused }).toEqual({
        other,
        status: 400,
        refused: true,
      })
      expect(result.data.page.prevCursor).toBeNull()
    }

    // The customer list's cursors are of the same shape (a time and an id): not the queue's.
    const contacts = Array.from({ length: 51 }, (_, i) => ({
      workspaceId: member.workspace.id,
      name: `Person ${i}`,
      email: `person-${i}@example.net`,
    }))
    await getDb().insert(contactsTable).values(contacts)
    const customers = await callLoader(customersRoute, `/w/${member.workspace.slug}/customers`, {
      cookie: member.cookie,
      params: { slug: member.workspace.slug },
    })
    const customerCursor = customers.data.next as string
    expect(customerCursor).toEqual(expect.any(String))
    expect((await queue(member, `?view=open&sort=activity&after=${customerCursor}`)).status).toBe(400)
    const crossed = await callLoader(customersRoute, `/w/${member.workspace.slug}/customers?after=${next}`, {
      cookie: member.cookie,
      params: { slug: member.workspace.slug },
    })
    expect(crossed.status).toBe(400)
    expect(crossed.data.cursorRefused).toBe(true)

    // A customer's page lists their tickets with the queue's rows and cursors: the inbox's is not one of them.
    const [contact] = await getDb()
      .select({ id: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.workspaceId, member.workspace.id))
      .limit(1)
    const page = await callLoader(
      customerRoute,
      `/w/${member.workspace.slug}/customers/${contact.id}?after=${next}`,
      {
        cookie: member.cookie,
        params: { slug: member.workspace.slug, id: contact.id },
      },
    )
    expect(page.data.tickets.prevCursor).toBeNull()
    expect(page.data.tickets.rows).toHaveLength(25)
    const ownNext = page.data.tickets.nextCursor as string
    const secondPage = await callLoader(
      customerRoute,
      `/w/${member.workspace.slug}/customers/${contact.id}?after=${ownNext}`,
      {
        cookie: member.cookie,
        params: { slug: member.workspace.slug, id: contact.id },
      },
    )
    expect(secondPage.data.tickets.rows).toHaveLength(2)
    expect(secondPage.data.tickets.prevCursor).toEqual(expect.any(String))
  })
})

describe('queue search', () => {
  it('finds tickets by words with highlighted snippets, ranked, within the filters', async () => {
    const member = await createMember()
    const kettle = await createTicketFor(member, {
      subject: 'Broken kettle',
      body: 'The handle of my kettle snapped off after one week.',
    })
    await createTicketFor(member, { subject: 'Invoice question', body: 'Please send the invoice again.' })
    const result = await queue(member, '?q=snapped')
    expect(result.status).toBe(200)
    expect(result.data.query).toMatchObject({ q: 'snapped', sort: 'relevance', view: 'all' })
    expect(numbers(result)).toEqual([kettle.number])
    const snippet = inboxRows(result)[0].snippet
    expect(snippet).toContainEqual({ text: 'snapped', highlight: true })
    expect(snippet.map((p: { text: string }) => p.text).join('')).toContain('handle of my kettle')
    // Within the filters: the kettle ticket is not pending.
    expect(numbers(await queue(member, '?q=snapped&view=pending'))).toEqual([])
  })

  it('gives a search row its snippet instead of the last message, and the message where the snippet is empty', async () => {
    const member = await createMember()
    const kettle = await createTicketFor(member, {
      subject: 'Broken kettle',
      body: 'The handle of my kettle snapped off.\nSecond line.',
    })
    // Found by its customer's address alone, with no subject left to highlight: an empty snippet.
    const quiet = await createTicketFor(member, {
      subject: 'Quiet one',
      body: 'Nothing to see here.',
      customerEmail: 'zebulon-xq@example.net',
    })
    await getDb().update(tickets).set({ subject: '' }).where(eq(tickets.id, quiet.ticketId))
    type Row = { number: number; snippet?: unknown; preview?: string; previewFromAgent?: boolean }
    const row = (result: RouteResult, number: number) =>
      inboxRows(result).find((r: Row) => r.number === number) as Row

    const listed = await queue(member, '?view=all')
    expect(row(listed, kettle.number)).toMatchObject({ preview: 'The handle of my kettle snapped off.' })
    expect(row(listed, kettle.number).snippet).toBeFalsy()
    expect(row(listed, quiet.number)).toMatchObject({ preview: 'Nothing to see here.' })
    expect(row(listed, quiet.number).snippet).toBeFalsy()

    const found = await queue(member, '?q=snapped')
    expect(numbers(found)).toEqual([kettle.number])
    expect(row(found, kettle.number).snippet).toContainEqual({ text: 'snapped', highlight: true })
    // The snippet replaces the preview line.
    expect(row(found, kettle.number).preview).toBeFalsy()
    expect(row(found, kettle.number).previewFromAgent).toBeFalsy()

    const byAddress = await queue(member, '?q=zebulon')
    expect(numbers(byAddress)).toEqual([quiet.number])
    expect(row(byAddress, quiet.number)).toMatchObject({ preview: 'Nothing to see here.' })
    expect(row(byAddress, quiet.number).snippet).toBeFalsy()
  })

  it('jumps to a ticket when the search is #<number>, and says so when there is none', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { subject: 'Order 999 never came' })
    const result = await queue(member, `?q=%23${ticket.number}`)
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/w/${member.workspace.slug}/tickets/${ticket.number}`)
    // No such ticket here (another workspace's number included): the search page with a note,
    // not a jump to "Page not found".
    const stranger = await createMember()
    const theirs = await createTicketFor(stranger)
    for (const number of [999_999, theirs.number + 1000]) {
      const missing = await queue(member, `?q=%23${number}`)
      expect(missing.status).toBe(200)
      expect(missing.data.noSuchTicket).toBe(number)
    }
    // The number of a ticket another workspace has, in a workspace without it.
    const other = await createMember()
    expect((await queue(other, `?q=%23${theirs.number}`)).status).toBe(200)
    // A bare number is an ordinary search.
    const bare = await queue(member, '?q=999')
    expect(bare.status).toBe(200)
    expect(bare.data.noSuchTicket).toBeNull()
  })

  it.each([
    ['a 1000-character query', 'kettle '.repeat(143).slice(0, 1000)],
    ['a 5000-character query', 'a'.repeat(5000)],
    ['a quote', "'"],
    ['operators', "kettle & ' :* \\ | ! <-> ( )"],
    ['a prefix marker', 'kett:*'],
    ['backslashes', '\\\\\\'],
    ['only quotes', '""""'],
    ['LIKE wildcards', '%_%'],
    ['a NUL-free control character', '\u0007bell'],
  ])('answers %s with results or an empty page, never an error', async (_, q) => {
    const member = await createMember()
    await createTicketFor(member, { subject: 'Broken kettle' })
    const result = await queue(member, `?q=${encodeURIComponent(q)}`)
    expect(result.status).toBe(200)
    expect(Array.isArray(inboxRows(result))).toBe(true)
    expect(result.data.query.q.length).toBeLessThanOrEqual(1000)
  })
})

describe('bulk actions', () => {
  it('assigns, unassigns, sets status and adds tags, then returns to the same filtered page', async () => {
    const t = await team()
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const selection = [t.openOne, t.pendingOne]
    const assigned = await bulk(
      t.me,
      [...ids(selection), ['operation', 'assign'], ['assignee', t.colleague.user.id]],
      { search: '?view=unassigned&priority=normal&index', calls },
    )
    expect(assigned.status).toBe(302)
    // The same filtered page, plus the result to show (its toast with Undo: bulk-undo.test.ts).
    expect(assigned.location).toMatch(
      new RegExp(`^/w/${t.me.workspace.slug}/tickets\\?view=unassigned&priority=normal&bulk=[0-9a-f-]{36}$`),
    )
    expect((await ticketRows(selection.map((s) => s.ticketId))).map((r) => r.assigneeId)).toEqual([
      t.colleague.user.id,
      t.colleague.user.id,
    ])
    const updates = calls.published?.filter((e) => e.type === 'ticket.updated') ?? []
    expect(updates.map((e) => e.ticketId).sort()).toEqual(selection.map((s) => s.ticketId).sort())
    expect(updates[0]).toMatchObject({ changes: { assigneeId: t.colleague.user.id } })

    const unassigned = await bulk(t.me, [...ids(selection), ['operation', 'assign'], ['assignee', 'none']])
    expect(unassigned.status).toBe(302)
    expect((await ticketRows(selection.map((s) => s.ticketId))).every((r) => r.assigneeId === null)).toBe(
      true,
    )

    const resolved = await bulk(t.me, [...ids(selection), ['operation', 'status'], ['status', 'resolved']])
    expect(resolved.status).toBe(302)
    expect((await ticketRows(selection.map((s) => s.ticketId))).every((r) => r.status === 'resolved')).toBe(
      true,
    )

    const tagged = await bulk(t.me, [...ids(selection), ['operation', 'tag'], ['tag', '  Refunds  ']])
    expect(tagged.status).toBe(302)
    const tagRows = await getDb()
      .select({ ticketId: ticketTags.ticketId, name: tags.name })
      .from(ticketTags)
      .innerJoin(tags, eq(tags.id, ticketTags.tagId))
      .where(
        inArray(
          ticketTags.ticketId,
          selection.map((s) => s.ticketId),
        ),
      )
    expect(tagRows.map((r) => r.name)).toEqual(['Refunds', 'Refunds'])
  })

  it('lets an agent use bulk actions', async () => {
    const t = await team()
    const result = await bulk(t.colleague, [
      ...ids([t.openOne]),
      ['operation', 'status'],
      ['status', 'pending'],
    ])
    expect(result.status).toBe(302)
    expect((await ticketRows([t.openOne.ticketId]))[0].status).toBe('pending')
  })

  it("refuses tickets of another workspace and changes nothing, not even this workspace's", async () => {
    const t = await team()
    const other = await createMember()
    const foreign = await createTicketFor(other)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const auditBefore = await getDb().select().from(auditEvents)
    for (const fields of [
      [
        ['operation', 'status'],
        ['status', 'closed'],
      ],
      [
        ['operation', 'assign'],
        ['assignee', t.me.user.id],
      ],
      [
        ['operation', 'tag'],
        ['tag', 'Hijacked'],
      ],
    ] as Array<Array<[string, string]>>) {
      const result = await bulk(t.me, [...ids([t.openOne, foreign]), ...fields], { calls })
      expect(result.status).toBe(404)
      expect(result.data.result.error['']).toEqual([expect.stringContaining('Nothing was changed')])
    }
    const rows = await ticketRows([t.openOne.ticketId, foreign.ticketId])
    expect(rows.every((r) => r.status === 'open' && r.assigneeId === null)).toBe(true)
    expect(await getDb().select().from(tags).where(eq(tags.name, 'Hijacked'))).toEqual([])
    expect(await getDb().select().from(auditEvents)).toEqual(auditBefore)
    expect(calls.published).toEqual([])
  })

  it('refuses an assignee who is not a member of the workspace', async () => {
    const t = await team()
    const stranger = await createMember()
    const result = await bulk(t.me, [
      ...ids([t.openOne]),
      ['operation', 'assign'],
      ['assignee', stranger.user.id],
    ])
    expect(result.status).toBe(400)
    expect(result.data.result.error.assignee).toEqual(['Choose a member of this workspace'])
    expect((await ticketRows([t.openOne.ticketId]))[0].assigneeId).toBeNull()
  })

  it.each([
    [
      'no ticket selected',
      [
        ['ticketIds', ''],
        ['operation', 'status'],
        ['status', 'open'],
      ],
      'ticketIds',
    ],
    [
      'a malformed id',
      [
        ['ticketIds', '42'],
        ['operation', 'status'],
        ['status', 'open'],
      ],
      'ticketIds[0]',
    ],
    [
      'more than 100 tickets',
      [
        ...Array.from({ length: 101 }, (): [string, string] => ['ticketIds', crypto.randomUUID()]),
        ['operation', 'status'],
        ['status', 'open'],
      ],
      'ticketIds',
    ],
    [
      'a status outside the enum',
      [
        ['operation', 'status'],
        ['status', 'archived'],
      ],
      'status',
    ],
    [
      'an empty tag',
      [
        ['operation', 'tag'],
        ['tag', '   '],
      ],
      'tag',
    ],
    [
      'a 51-character tag',
      [
        ['operation', 'tag'],
        ['tag', 'x'.repeat(51)],
      ],
      'tag',
    ],
    ['a missing assignee', [['operation', 'assign']], 'assignee'],
    ['an unknown operation', [['operation', 'delete']], 'operation'],
  ] as Array<[string, Array<[string, string]>, string]>)(
    'answers %s with 400 and changes nothing',
    async (_, fields, key) => {
      const t = await team()
      const selection = fields.some(([k]) => k === 'ticketIds') ? [] : ids([t.openOne])
      const result = await bulk(t.me, [...selection, ...fields])
      expect(result.status).toBe(400)
      expect(result.data.result.error[key]).toEqual(expect.any(Array))
      const [row] = await ticketRows([t.openOne.ticketId])
      expect(row).toMatchObject({ status: 'open', assigneeId: null })
    },
  )
})

describe('queue tenancy', () => {
  it('gives a member of A a 404 for the queue and bulk actions of B, changing nothing', async () => {
    const a = await createMember()
    const b = await createMember()
    const bTicket = await createTicketFor(b)
    const loaded = await queue(a, '?view=all', b.workspace.slug)
    expect(loaded.status).toBe(404)
    const posted = await bulk(a, [...ids([bTicket]), ['operation', 'status'], ['status', 'closed']], {
      slug: b.workspace.slug,
    })
    expect(posted.status).toBe(404)
    expect((await ticketRows([bTicket.ticketId]))[0].status).toBe('open')
    const nav = await callLoader(workspaceRoute, `/w/${b.workspace.slug}`, {
      cookie: a.cookie,
      params: { slug: b.workspace.slug },
    })
    expect(nav.status).toBe(404)
  })

  it('sends a signed-out visitor to the login page', async () => {
    const workspace = await createWorkspace()
    const path = `/w/${workspace.slug}/tickets?view=mine`
    const result = await callLoader(ticketsRoute, path, { params: { slug: workspace.slug } })
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/login?redirectTo=${encodeURIComponent(path)}`)
  })
})
