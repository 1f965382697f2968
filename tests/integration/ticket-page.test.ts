import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { and, asc, count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { getDb } from '#db/client.ts'
import {
  attachments,
  auditEvents,
  cannedResponses,
  emails,
  messages,
  ticketReads,
  tickets,
} from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { UNKNOWN_INTENT_MESSAGE } from '#app/http/form-data.server.ts'
import { customerReply, replyToTicket } from '#app/domain/messages.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import {
  asMember,
  createMember,
  createTicketFor,
  createWorkspace,
  setTicket,
} from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Uploaded files land under DATA_DIR/files: a directory of this test file's own, set before
// any app module reads the configuration (hoisted above the imports, hence no imported fs).
const dataDir = vi.hoisted(() => {
  const nodeFs = process.getBuiltinModule('node:fs')
  const nodePath = process.getBuiltinModule('node:path')
  const nodeOs = process.getBuiltinModule('node:os')
  const dir = nodeFs.mkdtempSync(nodePath.join(nodeOs.tmpdir(), 'switchboard-ticket-page-'))
  process.env.DATA_DIR = dir
  return dir
})

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true })
})

type Agent = Awaited<ReturnType<typeof createMember>>
type Ticket = Awaited<ReturnType<typeof createTicketFor>>

function ticketPath(agent: Agent, number: number | string) {
  return `/w/${agent.workspace.slug}/tickets/${number}`
}

function loadTicket(agent: Agent, number: number | string) {
  return callLoader(ticketRoute, ticketPath(agent, number), {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
  })
}

function post(agent: Agent, number: number, form: Record<string, string> | FormData, calls?: RealtimeCalls) {
  return callAction(ticketRoute, ticketPath(agent, number), form, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
    context: testContext(calls),
  })
}

/** The composer's multipart post, as the browser sends it without JavaScript. */
function composerForm(fields: Record<string, string>, files: File[] = []) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const file of files) form.append('files', file)
  // An empty file input still sends one nameless, empty part.
  if (files.length === 0) form.append('files', new File([], '', { type: 'application/octet-stream' }))
  return form
}

async function ticketRow(ticket: Ticket) {
  const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
  return row
}

/** What a refused action must leave untouched. */
async function snapshot(ticket: Ticket) {
  const db = getDb()
  const row = await ticketRow(ticket)
  const thread = await db
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.ticketId, ticket.ticketId))
    .orderBy(asc(messages.id))
  const audit = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(eq(auditEvents.targetId, ticket.ticketId))
    .orderBy(asc(auditEvents.id))
  const [files] = await db
    .select({ n: count() })
    .from(attachments)
    .where(eq(attachments.workspaceId, row.workspaceId))
  const [mail] = await db.select({ n: count() }).from(emails).where(eq(emails.ticketId, ticket.ticketId))
  return {
    status: row.status,
    priority: row.priority,
    assigneeId: row.assigneeId,
    messageCount: row.messageCount,
    thread,
    audit,
    attachments: files.n,
    emails: mail.n,
  }
}

async function latestMessageId(ticket: Ticket) {
  const rows = await getDb()
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.ticketId, ticket.ticketId))
    .orderBy(asc(messages.createdAt), asc(messages.id))
  return rows[rows.length - 1].id
}

describe('ticket page loader', () => {
  it('shows the thread oldest to newest with notes, tags, members, canned responses and the field changes', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, {
      customerName: 'Casey Customer',
      body: 'Where is my kettle?',
    })
    await replyToTicket(asMember(agent), ticket.number, { kind: 'note', body: 'Checking the warehouse' })
    await replyToTicket(asMember(agent), ticket.number, { kind: 'reply', body: 'It ships tomorrow.' })
    await getDb()
      .insert(cannedResponses)
      .values({ workspaceId: agent.workspace.id, title: 'Thanks', body: 'Thanks {{customer.name}}!' })

    const result = await loadTicket(agent, ticket.number)
    expect(result.status).toBe(200)
    const page = result.data
    expect(page.ticket).toMatchObject({
      number: ticket.number,
      subject: 'My order has not arrived',
      status: 'open',
      priority: 'normal',
      assigneeId: null,
      customer: { name: 'Casey Customer' },
    })
    expect(page.thread.map((m: { kind: string; bodyText: string }) => [m.kind, m.bodyText])).toEqual([
      ['reply', 'Where is my kettle?'],
      ['note', 'Checking the warehouse'],
      ['reply', 'It ships tomorrow.'],
    ])
    expect(page.thread[0]).toMatchObject({
      fromCustomer: true,
      author: 'Casey Customer',
      deliveryStatus: null,
    })
    expect(page.thread[2]).toMatchObject({
      fromCustomer: false,
      author: agent.user.name,
      deliveryStatus: 'queued',
    })
    expect(page.members).toEqual([{ userId: agent.user.id, name: agent.user.name }])
    expect(page.mailbox).toEqual({ name: 'Support', address: `${agent.workspace.slug}@example.com` })
    expect(page.cannedResponses).toEqual([
      { id: expect.any(String), title: 'Thanks', body: 'Thanks {{customer.name}}!' },
    ])
    // Field changes only: the thread shows the note and the reply themselves.
    expect(page.activity.map((a: { action: string }) => a.action)).toEqual(['ticket.created'])
    // Loader data never carries the search document or other internals.
    expect(JSON.stringify(page)).not.toContain('threadMessageId')
  })

  it('marks the ticket read for the viewing agent only', async () => {
    const agent = await createMember('agent')
    const other = await createMember('agent', agent.workspace)
    const ticket = await createTicketFor(agent)
    const before = new Date()
    await loadTicket(agent, ticket.number)
    const reads = await getDb()
      .select({ userId: ticketReads.userId, readAt: ticketReads.readAt })
      .from(ticketReads)
      .where(eq(ticketReads.ticketId, ticket.ticketId))
    expect(reads).toHaveLength(1)
    expect(reads[0].userId).toBe(agent.user.id)
    expect(reads[0].readAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000)
    expect(reads.some((r) => r.userId === other.user.id)).toBe(false)
  })

  it('writes the read marker again only after the ticket has had activity since', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const marker = async () => {
      const result = await getDb().execute<{ version: string; read_at: string }>(
        sql`select xmin::text as version, read_at::text from ticket_reads
            where ticket_id = ${ticket.ticketId} and user_id = ${agent.user.id}`,
      )
      return result.rows[0]
    }
    await loadTicket(agent, ticket.number)
    const first = await marker()
    expect(first).toBeDefined()
    // Viewed again with nothing new: the row is not touched (same row version).
    await loadTicket(agent, ticket.number)
    expect(await marker()).toEqual(first)
    // New activity after the marker: the next view moves it.
    await setTicket(ticket.ticketId, { lastActivityAt: new Date(Date.now() + 60_000) })
    await loadTicket(agent, ticket.number)
    const after = await marker()
    expect(after!.version).not.toBe(first!.version)
    expect(new Date(after!.read_at).getTime()).toBeGreaterThan(new Date(first!.read_at).getTime())
  })

  it.each(['abc', '0', '-1', '99999999999', '2147483648', '1.5', '01', '1e3', ' 1'])(
    'answers 404 for the forged ticket number %j',
    async (number) => {
      const agent = await createMember('agent')
      await createTicketFor(agent)
      const result = await loadTicket(agent, number)
      expect(result.status).toBe(404)
      const posted = await callAction(
        ticketRoute,
        ticketPath(agent, 1),
        { intent: 'update', status: 'pending' },
        { cookie: agent.cookie, params: { slug: agent.workspace.slug, number } },
      )
      expect(posted.status).toBe(404)
    },
  )

  it('answers 404 for a number that only exists in another workspace, and for a workspace the agent is not in', async () => {
    const agent = await createMember('agent')
    const outsider = await createMember('agent')
    const theirs = await createTicketFor(outsider)
    expect((await loadTicket(agent, theirs.number)).status).toBe(404)
    const foreign = await callLoader(ticketRoute, ticketPath(outsider, theirs.number), {
      cookie: agent.cookie,
      params: { slug: outsider.workspace.slug, number: String(theirs.number) },
    })
    expect(foreign.status).toBe(404)
    const before = await snapshot(theirs)
    const posted = await callAction(
      ticketRoute,
      ticketPath(outsider, theirs.number),
      { intent: 'reply', kind: 'reply', body: 'Hello from elsewhere' },
      { cookie: agent.cookie, params: { slug: outsider.workspace.slug, number: String(theirs.number) } },
    )
    expect(posted.status).toBe(404)
    expect(await snapshot(theirs)).toEqual(before)
  })

  it('sends a visitor without a session to the login page', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const result = await callLoader(ticketRoute, ticketPath(agent, ticket.number), {
      params: { slug: agent.workspace.slug, number: String(ticket.number) },
    })
    expect(result.status).toBe(302)
    expect(result.location).toContain('/login?redirectTo=')
  })
})

describe('ticket sidebar', () => {
  it('changes status, priority and assignee one at a time, with an audit entry and an event each', async () => {
    const agent = await createMember('agent')
    const teammate = await createMember('agent', agent.workspace)
    const ticket = await createTicketFor(agent)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }

    const status = await post(agent, ticket.number, { intent: 'update', status: 'pending' }, calls)
    expect(status.status).toBe(302)
    expect(status.location).toBe(ticketPath(agent, ticket.number))
    await post(agent, ticket.number, { intent: 'update', priority: 'urgent' }, calls)
    await post(agent, ticket.number, { intent: 'update', assigneeId: teammate.user.id }, calls)

    expect(await ticketRow(ticket)).toMatchObject({
      status: 'pending',
      priority: 'urgent',
      assigneeId: teammate.user.id,
    })
    const audit = await getDb()
      .select({ action: auditEvents.action, actorUserId: auditEvents.actorUserId, data: auditEvents.data })
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, ticket.ticketId)))
      .orderBy(asc(auditEvents.createdAt))
    expect(audit.slice(1)).toEqual([
      {
        action: 'ticket.status-changed',
        actorUserId: agent.user.id,
        data: { before: 'open', after: 'pending' },
      },
      {
        action: 'ticket.priority-changed',
        actorUserId: agent.user.id,
        data: { before: 'normal', after: 'urgent' },
      },
      {
        action: 'ticket.assigned-changed',
        actorUserId: agent.user.id,
        data: { before: null, after: teammate.user.id },
      },
    ])
    const updates = calls.published?.filter((e) => e.type === 'ticket.updated')
    expect(updates?.map((e) => e.changes)).toEqual([
      { status: 'pending' },
      { priority: 'urgent' },
      { assigneeId: teammate.user.id },
    ])

    const unassigned = await post(agent, ticket.number, { intent: 'update', assigneeId: 'none' })
    expect(unassigned.status).toBe(302)
    expect((await ticketRow(ticket)).assigneeId).toBeNull()

    const page = await loadTicket(agent, ticket.number)
    expect(page.data.activity[0]).toMatchObject({
      action: 'ticket.assigned-changed',
      actorName: agent.user.name,
    })
  })

  it('refuses an assignee from another workspace with 400 and changes nothing', async () => {
    const agent = await createMember('agent')
    const stranger = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const before = await snapshot(ticket)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const result = await post(agent, ticket.number, { intent: 'update', assigneeId: stranger.user.id }, calls)
    expect(result.status).toBe(400)
    expect(result.data.sidebarError).toEqual({
      field: 'assigneeId',
      message: 'Choose a member of this workspace',
    })
    expect(await snapshot(ticket)).toEqual(before)
    expect(calls.published).toEqual([])
  })

  it.each([
    ['status', 'archived', 'Choose a valid status'],
    ['status', 'OPEN', 'Choose a valid status'],
    ['priority', 'critical', 'Choose a valid priority'],
    ['assigneeId', 'not-a-uuid', 'Choose an assignee from the list'],
  ])(
    'refuses %s=%j with 400, a human message on that control, and changes nothing',
    async (field, value, message) => {
      const agent = await createMember('agent')
      const ticket = await createTicketFor(agent)
      const before = await snapshot(ticket)
      const result = await post(agent, ticket.number, { intent: 'update', [field]: value })
      expect(result.status).toBe(400)
      expect(result.data.sidebarError).toEqual({ field, message })
      expect(await snapshot(ticket)).toEqual(before)
    },
  )

  it('adds a tag by name (created on the fly, reused case-insensitively) and removes it', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const other = await createTicketFor(agent)
    expect((await post(agent, ticket.number, { intent: 'add-tag', name: '  Billing ' })).status).toBe(302)
    expect((await post(agent, other.number, { intent: 'add-tag', name: 'billing' })).status).toBe(302)

    const page = await loadTicket(agent, ticket.number)
    expect(page.data.tags).toEqual([{ id: expect.any(String), name: 'Billing' }])
    expect(page.data.workspaceTags).toEqual(page.data.tags)
    const otherPage = await loadTicket(agent, other.number)
    expect(otherPage.data.tags).toEqual(page.data.tags)

    const removed = await post(agent, ticket.number, { intent: 'remove-tag', tagId: page.data.tags[0].id })
    expect(removed.status).toBe(302)
    expect((await loadTicket(agent, ticket.number)).data.tags).toEqual([])
    const actions = await getDb()
      .select({ action: auditEvents.action, data: auditEvents.data })
      .from(auditEvents)
      .where(eq(auditEvents.targetId, ticket.ticketId))
      .orderBy(asc(auditEvents.createdAt))
    expect(actions.slice(1)).toEqual([
      { action: 'ticket.tagged', data: { added: ['Billing'] } },
      { action: 'ticket.untagged', data: { removed: 'Billing' } },
    ])
  })

  it('refuses an empty or too long tag name, and a tag that is not on the ticket', async () => {
    const agent = await createMember('agent')
    const stranger = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const theirs = await createTicketFor(stranger)
    await post(stranger, theirs.number, { intent: 'add-tag', name: 'secret' })
    const [theirTag] = (await loadTicket(stranger, theirs.number)).data.tags
    const before = await snapshot(ticket)
    const refusals: Array<[Record<string, string>, object]> = [
      [
        { intent: 'add-tag', name: '   ' },
        { field: 'tag', message: 'Type a tag name', typed: '   ' },
      ],
      [
        // What was typed comes back, for the field without JavaScript (the page is drawn anew).
        { intent: 'add-tag', name: 'x'.repeat(51) },
        { field: 'tag', message: 'Use at most 50 characters', typed: 'x'.repeat(51) },
      ],
      // A refused × is told on its own chip (by tag id), never under the add-tag input.
      [
        { intent: 'remove-tag', tagId: 'nope' },
        {
          field: 'removeTag',
          tagId: 'nope',
          message: 'That tag is not on this ticket; reload the page to see its tags',
        },
      ],
      [
        { intent: 'remove-tag', tagId: theirTag.id },
        { field: 'removeTag', tagId: theirTag.id, message: 'That tag is not on this ticket' },
      ],
    ]
    for (const [form, error] of refusals) {
      const result = await post(agent, ticket.number, form)
      expect(result.status).toBe(400)
      expect(result.data.sidebarError).toEqual(error)
    }
    expect(await snapshot(ticket)).toEqual(before)
    expect((await loadTicket(stranger, theirs.number)).data.tags).toEqual([theirTag])
  })
})

describe('intents', () => {
  it('refuses an unknown or missing intent with 400 and changes nothing', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const before = await snapshot(ticket)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    for (const intent of ['delete', 'constructor', '__proto__', 'toString', '', undefined]) {
      const fields: Record<string, string> = { kind: 'reply', body: 'Hello' }
      if (intent !== undefined) fields.intent = intent
      const result = await post(agent, ticket.number, composerForm(fields), calls)
      expect(result.status, String(intent)).toBe(400)
      expect(result.data.result.status, String(intent)).toBe('error')
      // A form-level message the composer shows (no field shows the hidden intent), text kept.
      expect(result.data.result.error, String(intent)).toEqual({ '': [UNKNOWN_INTENT_MESSAGE] })
      expect(result.data.result.initialValue.body).toBe('Hello')
    }
    expect(calls.published).toEqual([])
    expect(await snapshot(ticket)).toEqual(before)
  })
})

describe('reply composer', () => {
  it('Send & next: replies, then redirects to the next ticket of the queue named in `from`, or back to that queue', async () => {
    const agent = await createMember('agent')
    const first = await createTicketFor(agent)
    const second = await createTicketFor(agent)
    const third = await createTicketFor(agent)
    const from = 'view=all&sort=created'
    const send = (ticket: Ticket, fields: Record<string, string> = {}) =>
      post(
        agent,
        ticket.number,
        composerForm({
          intent: 'reply-next',
          kind: 'reply',
          body: `Done with #${ticket.number}.`,
          from,
          ...fields,
        }),
      )
    // Newest created first: third, second, first.
    // The reply is held for the agent's undo-send delay (5 s by default): the page it lands on
    // names it (`sent`), to offer its Undo.
    const next = await send(third)
    expect(next.status).toBe(302)
    const sent = await getDb().select().from(messages).where(eq(messages.ticketId, third.ticketId))
    expect(sent.map((m) => m.bodyText)).toContain(`Done with #${third.number}.`)
    const reply = sent.find((m) => m.bodyText === `Done with #${third.number}.`)!
    expect(next.location).toBe(
      `${ticketPath(agent, second.number)}?from=${encodeURIComponent(from)}&sent=${reply.id}#latest`,
    )
    // The last one of the view: back to the view.
    const last = await send(first)
    expect(last.location).toMatch(
      new RegExp(`^/w/${agent.workspace.slug}/tickets\\?view=all&sort=created&sent=[0-9a-f-]{36}$`),
    )
    // A `from` that is not a clean query string is re-encoded before it reaches Location.
    const odd = await send(second, { from: 'view=all\r\nSet-Cookie: x=1' })
    expect(odd.status).toBe(302)
    expect(odd.location).not.toMatch(/[\r\n]/)
    // Too long: refused like any composer field, nothing written.
    const before = (await getDb().select().from(messages).where(eq(messages.ticketId, second.ticketId)))
      .length
    const refused = await send(second, { from: 'x'.repeat(2001) })
    expect(refused.status).toBe(400)
    expect(await getDb().select().from(messages).where(eq(messages.ticketId, second.ticketId))).toHaveLength(
      before,
    )
  })

  it('sends a public reply with an attachment stored under DATA_DIR by sha256, and sets the status', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const content = 'order,status\n1042,shipped\n'
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const result = await post(
      agent,
      ticket.number,
      composerForm(
        {
          intent: 'reply',
          kind: 'reply',
          body: '  It shipped today: see the attached sheet.  ',
          status: 'pending',
          lastSeenMessageId: await latestMessageId(ticket),
        },
        [new File([content], 'orders.csv', { type: 'text/csv' })],
      ),
      calls,
    )
    expect(result.status).toBe(302)
    const [message] = await getDb()
      .select()
      .from(messages)
      .where(and(eq(messages.ticketId, ticket.ticketId), eq(messages.authorUserId, agent.user.id)))
    expect(result.location).toBe(`${ticketPath(agent, ticket.number)}#m-${message.id}`)
    expect(message).toMatchObject({ kind: 'reply', bodyText: 'It shipped today: see the attached sheet.' })
    const files = await getDb().select().from(attachments).where(eq(attachments.messageId, message.id))
    const sha256 = createHash('sha256').update(content).digest('hex')
    expect(files).toEqual([
      expect.objectContaining({
        filename: 'orders.csv',
        contentType: 'text/csv',
        size: content.length,
        sha256,
      }),
    ])
    const stored = path.join(dataDir, 'files', sha256.slice(0, 2), sha256)
    expect(fs.readFileSync(stored, 'utf8')).toBe(content)
    expect((await ticketRow(ticket)).status).toBe('pending')
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, message.id))
    expect(email.text).toContain('It shipped today')
    // The reply waits out its author's undo-send delay (5 s by default): its email job announces
    // message.created then (tests/integration/undo-send.test.ts); the status change is immediate,
    // and so is the author's draft.cleared (their other tabs; tests/integration/drafts.test.ts).
    expect(calls.published?.map((e) => e.type)).toEqual(['ticket.updated', 'draft.cleared'])
  })

  it('a refused reply names the files it carried, which are not kept, for the page without JavaScript', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const before = await snapshot(ticket)
    const result = await post(
      agent,
      ticket.number,
      composerForm(
        {
          intent: 'reply',
          kind: 'reply',
          body: 'See the two sheets.',
          cc: 'not an address',
          ccShown: '1',
          lastSeenMessageId: await latestMessageId(ticket),
        },
        [
          new File(['a'], 'orders.csv', { type: 'text/csv' }),
          new File(['b'], 'returns.csv', { type: 'text/csv' }),
        ],
      ),
    )
    expect(result.status).toBe(400)
    expect(result.data).toMatchObject({ filesNotKept: ['orders.csv', 'returns.csv'] })
    expect(await snapshot(ticket)).toEqual(before)
  })

  it('adds an internal note that is never emailed', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const before = await snapshot(ticket)
    const result = await post(
      agent,
      ticket.number,
      composerForm({ intent: 'reply', kind: 'note', body: 'VIP customer, be nice', status: '' }),
    )
    expect(result.status).toBe(302)
    const after = await snapshot(ticket)
    expect(after.thread).toHaveLength(before.thread.length + 1)
    expect(after.emails).toBe(before.emails)
    expect(after.status).toBe('open')
    const page = await loadTicket(agent, ticket.number)
    expect(page.data.thread.at(-1)).toMatchObject({
      kind: 'note',
      bodyText: 'VIP customer, be nice',
      deliveryStatus: null,
    })
  })

  it.each([
    ['an empty body', { body: '   ' }, 'body', 'Write a message first'],
    ['a body over 100 KB', { body: 'a'.repeat(100_001) }, 'body', 'The message is too long (100 KB at most)'],
    ['an unknown kind', { kind: 'email' }, 'kind', 'Choose a reply or an internal note'],
    ['an unknown status', { status: 'archived' }, 'status', 'Choose a valid status'],
    ['a forged last-seen id', { lastSeenMessageId: 'x' }, 'lastSeenMessageId', undefined],
  ])('refuses %s with 400, keeps the draft and writes nothing', async (_name, override, field, message) => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const before = await snapshot(ticket)
    const fields = { intent: 'reply', kind: 'reply', body: 'Draft text', ...override }
    const result = await post(agent, ticket.number, composerForm(fields))
    expect(result.status).toBe(400)
    expect(result.data.result.error[field]).toBeDefined()
    if (message) expect(result.data.result.error[field]).toEqual([message])
    expect(result.data.result.initialValue.body).toBe(fields.body)
    expect(await snapshot(ticket)).toEqual(before)
  })

  it.each([
    [
      'more than 10 files',
      () =>
        Array.from(
          { length: 11 },
          (_, i) => new File([`file ${i}`], `note-${i}.txt`, { type: 'text/plain' }),
        ),
      'Attach at most 10 files',
    ],
    [
      'an executable',
      () => [new File(['MZ...'], 'setup.exe', { type: 'application/octet-stream' })],
      'setup.exe: executable files are not allowed',
    ],
    [
      'more than 25 MB together',
      () => [
        new File([new Uint8Array(13 * 1024 * 1024)], 'a.bin'),
        new File([new Uint8Array(13 * 1024 * 1024)], 'b.bin'),
      ],
      'Attachments are limited to 25 MB in total',
    ],
  ])(
    'refuses %s next to the file input, keeps the draft and writes nothing',
    async (_name, files, message) => {
      const agent = await createMember('agent')
      const ticket = await createTicketFor(agent)
      const before = await snapshot(ticket)
      const result = await post(
        agent,
        ticket.number,
        composerForm({ intent: 'reply', kind: 'reply', body: 'Here are the files' }, files()),
      )
      expect(result.status).toBe(400)
      expect(result.data.result.error.files).toEqual([message])
      expect(result.data.result.initialValue.body).toBe('Here are the files')
      expect(await snapshot(ticket)).toEqual(before)
    },
  )

  it('reports new activity since the agent last looked, then sends anyway on request', async () => {
    const agent = await createMember('agent')
    const teammate = await createMember('agent', agent.workspace)
    const ticket = await createTicketFor(agent)
    const seen = await latestMessageId(ticket)
    await customerReply({ ticketId: ticket.ticketId, workspaceId: agent.workspace.id }, 'Any news?')
    await replyToTicket(asMember(teammate), ticket.number, { kind: 'reply', body: 'On it, Casey!' })
    const before = await snapshot(ticket)

    const fields = { intent: 'reply', kind: 'reply', body: 'We are looking into it', lastSeenMessageId: seen }
    const collision = await post(agent, ticket.number, composerForm(fields))
    expect(collision.status).toBe(409)
    expect(
      collision.data.collision.map((m: { author: string; bodyText: string }) => [m.author, m.bodyText]),
    ).toEqual([
      ['Casey Customer', 'Any news?'],
      [teammate.user.name, 'On it, Casey!'],
    ])
    expect(collision.data.result.initialValue.body).toBe('We are looking into it')
    expect(await snapshot(ticket)).toEqual(before)

    const review = await post(agent, ticket.number, composerForm({ ...fields, intent: 'review' }))
    expect(review.status).toBe(200)
    expect(review.data.result.initialValue.body).toBe('We are looking into it')
    expect(await snapshot(ticket)).toEqual(before)

    const anyway = await post(agent, ticket.number, composerForm({ ...fields, sendAnyway: '1' }))
    expect(anyway.status).toBe(302)
    const after = await snapshot(ticket)
    expect(after.thread).toHaveLength(before.thread.length + 1)
  })

  it('counts the agent’s own message from another tab as new activity', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const seen = await latestMessageId(ticket)
    // The same agent, in another tab, adds a note after this tab's composer last looked.
    await replyToTicket(asMember(agent), ticket.number, { kind: 'note', body: 'My own note' })
    const before = await snapshot(ticket)
    const fields = { intent: 'reply', kind: 'reply', body: 'Hello', lastSeenMessageId: seen }
    const result = await post(agent, ticket.number, composerForm(fields))
    expect(result.status).toBe(409)
    expect(
      result.data.collision.map((m: { author: string; bodyText: string }) => [m.author, m.bodyText]),
    ).toEqual([[agent.user.name, 'My own note']])
    expect(await snapshot(ticket)).toEqual(before)
    // Having seen it (the composer follows the thread), the reply goes through.
    const seenNow = await latestMessageId(ticket)
    expect(
      (await post(agent, ticket.number, composerForm({ ...fields, lastSeenMessageId: seenNow }))).status,
    ).toBe(302)
  })

  it('shows the whole thread as new activity when the last-seen id is no message of this ticket', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const other = await createTicketFor(agent)
    // Another ticket's message (a mixed-up tab), or a reply since taken back: nothing proves
    // what was seen, so nothing is sent and every message is offered for review.
    const before = await snapshot(ticket)
    const fields = {
      intent: 'reply',
      kind: 'reply',
      body: 'Hello',
      lastSeenMessageId: await latestMessageId(other),
    }
    const result = await post(agent, ticket.number, composerForm(fields))
    expect(result.status).toBe(409)
    expect(result.data.collision.map((m: { author: string }) => m.author)).toEqual(['Casey Customer'])
    expect(await snapshot(ticket)).toEqual(before)
    expect((await post(agent, ticket.number, composerForm({ ...fields, sendAnyway: '1' }))).status).toBe(302)
  })

  it('inserts a canned response with its placeholders filled, without JavaScript', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, {
      customerName: 'Casey Jones',
      customerEmail: 'casey@example.net',
    })
    const [canned] = await getDb()
      .insert(cannedResponses)
      .values({
        workspaceId: agent.workspace.id,
        title: 'Shipping',
        body: 'Hi {{customer.name}} ({{customer.email}}), #{{ticket.number}} "{{ticket.subject}}" ships soon. {{agent.name}}',
      })
      .returning({ id: cannedResponses.id })
    const before = await snapshot(ticket)
    const result = await post(
      agent,
      ticket.number,
      composerForm({
        intent: 'insert-canned',
        kind: 'reply',
        body: 'Hello!',
        cannedId: canned.id,
        status: 'pending',
      }),
    )
    expect(result.status).toBe(200)
    expect(result.data.result.initialValue).toMatchObject({
      kind: 'reply',
      status: 'pending',
      body: `Hello!\nHi Casey Jones (casey@example.net), #${ticket.number} "My order has not arrived" ships soon. ${agent.user.name}`,
    })
    expect(await snapshot(ticket)).toEqual(before)

    const stranger = await createWorkspace()
    const [foreign] = await getDb()
      .insert(cannedResponses)
      .values({ workspaceId: stranger.id, title: 'Theirs', body: 'secret' })
      .returning({ id: cannedResponses.id })
    const refused = await post(
      agent,
      ticket.number,
      composerForm({ intent: 'insert-canned', kind: 'reply', body: 'Hello!', cannedId: foreign.id }),
    )
    expect(refused.status).toBe(400)
    expect(refused.data.result.error.cannedId).toEqual(['Choose a canned response'])
  })
})
