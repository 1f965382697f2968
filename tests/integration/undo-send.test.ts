import { createHash } from 'node:crypto'
import { and, asc, eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, auditEvents, drafts, emails, messages, tickets, users } from '#db/schema.ts'
import { customerTicketView } from '#app/domain/customer-portal.server.ts'
import { deliverEmail } from '#app/domain/email.server.ts'
import { findTicketByCustomerToken } from '#app/domain/messages.server.ts'
import { releaseHeldReply } from '#app/domain/undo-send.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import * as draftRoute from '#app/routes/w.$slug.tickets.$number_.draft.tsx'
import * as inboxRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext, withJson, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until } from '#tests/helpers/wait.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Agent = Awaited<ReturnType<typeof createMember>>

function post(
  agent: Agent,
  number: number,
  fields: Record<string, string | string[] | File | File[]>,
  calls?: RealtimeCalls,
) {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one)
  return callAction(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}`, form, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
    context: testContext(calls),
  })
}

async function setDelay(agent: Agent, seconds: number) {
  await getDb().update(users).set({ undoSendSeconds: seconds }).where(eq(users.id, agent.user.id))
}

async function jobRow(id: string) {
  const result = await getDb().execute(
    sql`select state, start_after, created_on from pgboss.job where name = 'email.send' and id = ${id}`,
  )
  return result.rows[0] as { state: string; start_after: Date; created_on: Date } | undefined
}

async function sendReply(agent: Agent, number: number, body: string, calls: RealtimeCalls) {
  const sent = await post(agent, number, { intent: 'reply', kind: 'reply', body }, calls)
  expect(sent.status).toBe(302)
  const messageId = sent.location!.split('#m-')[1]
  const [email] = await getDb().select().from(emails).where(eq(emails.messageId, messageId))
  return { messageId, email }
}

describe('undo send', () => {
  it('holds a reply for the agent’s delay: the email row exists at once, its job starts later, nothing is announced', async () => {
    const agent = await createMember('agent')
    // The longest delay, so the reply is still held when the page is read on a busy machine.
    await setDelay(agent, 30)
    const ticket = await createTicketFor(agent)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const { messageId, email } = await sendReply(agent, ticket.number, 'On its way', calls)
    expect(email).toMatchObject({ status: 'queued', kind: 'agent-reply' })
    expect(email.headers['Message-ID']).toMatch(/^<msg-.+>$/)
    const job = await jobRow(email.jobId!)
    const wait = (new Date(job!.start_after).getTime() - new Date(job!.created_on).getTime()) / 1000
    expect(wait).toBeGreaterThanOrEqual(29.5)
    expect(wait).toBeLessThanOrEqual(31)
    const [message] = await getDb().select().from(messages).where(eq(messages.id, messageId))
    expect(message.heldUntil).toBeInstanceOf(Date)
    expect(calls.published!.filter((e) => e.type === 'message.created')).toEqual([])
    // Nor does the customer's private link show it before its email goes.
    const token = ticket.customerLink.split('/support/t/')[1]
    const portal = await customerTicketView((await findTicketByCustomerToken(token))!)
    expect(portal.thread.map((m) => m.bodyText)).not.toContain('On its way')
    const page = await callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${ticket.number}`, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(ticket.number) },
    })
    expect(page.data.held).toEqual([{ messageId, heldUntil: message.heldUntil }])
  })

  it('Undo deletes the reply, its email row and its job in one go and restores the text as the draft', async () => {
    const agent = await createMember('agent')
    await setDelay(agent, 30)
    const ticket = await createTicketFor(agent)
    const before = (await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId)))[0]
    const { messageId, email } = await sendReply(agent, ticket.number, 'Oops, wrong ticket', {
      disconnected: [],
      removed: [],
    })
    const undone = await post(agent, ticket.number, { intent: 'undo-send', messageId })
    expect(undone.status).toBe(302)
    expect(undone.location).toBe(`/w/${agent.workspace.slug}/tickets/${ticket.number}#undone-${messageId}`)
    expect(await getDb().select().from(messages).where(eq(messages.id, messageId))).toEqual([])
    expect(await getDb().select().from(emails).where(eq(emails.id, email.id))).toEqual([])
    expect(await jobRow(email.jobId!)).toBeUndefined()
    const after = (await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId)))[0]
    expect(after.messageCount).toBe(before.messageCount)
    expect(after.firstResponseAt).toBeNull()
    expect(
      await getDb()
        .select({ body: drafts.body, kind: drafts.kind })
        .from(drafts)
        .where(eq(drafts.ticketId, ticket.ticketId)),
    ).toEqual([{ body: 'Oops, wrong ticket', kind: 'reply' }])
    // A second Undo (or one after the job ran) is too late and changes nothing.
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId })).status).toBe(409)
  })

  it('the draft Undo restores wins over saves from before it (an autosave on the wire at the send, or a tab that saw the send)', async () => {
    const agent = await createMember('agent')
    await setDelay(agent, 30)
    const ticket = await createTicketFor(agent)
    const save = (body: string, generation: number) =>
      callAction(
        draftRoute,
        `/w/${agent.workspace.slug}/tickets/${ticket.number}/draft`,
        { kind: 'reply', body, generation: String(generation) },
        {
          cookie: agent.cookie,
          params: { slug: agent.workspace.slug, number: String(ticket.number) },
          context: testContext(),
        },
      ).then(withJson)
    expect((await save('Oops', 0)).status).toBe(204)
    const { messageId } = await sendReply(agent, ticket.number, 'Oops, sent', {
      disconnected: [],
      removed: [],
    })
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId })).status).toBe(302)
    // From before the send, and from a page (or a tab told by draft.cleared) after it: both older.
    expect((await save('Oops', 0)).data).toEqual({
      ignored: true,
      generation: 2,
      revision: expect.any(String),
    })
    expect((await save('', 1)).data).toEqual({ ignored: true, generation: 2, revision: expect.any(String) })
    const stored = () =>
      getDb()
        .select({ body: drafts.body, generation: drafts.generation })
        .from(drafts)
        .where(eq(drafts.ticketId, ticket.ticketId))
    expect(await stored()).toEqual([{ body: 'Oops, sent', generation: 2 }])
    // The page after the Undo gives the composer the restored draft's generation.
    const page = await callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${ticket.number}`, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(ticket.number) },
    })
    expect(page.data.drafts).toMatchObject({ mine: { body: 'Oops, sent' }, generation: 2 })
    expect((await save('Oops, sent, edited', 2)).status).toBe(204)
    expect(await stored()).toEqual([{ body: 'Oops, sent, edited', generation: 2 }])
  })

  it('Undo restores the whole reply (files, CC, BCC, status choice), puts back the status and CC the send set, and the next send attaches the kept files', async () => {
    const agent = await createMember('agent')
    await setDelay(agent, 30)
    const ticket = await createTicketFor(agent)
    await setTicket(ticket.ticketId, { status: 'closed' })
    const content = 'order 1042, shipped'
    const sha256 = createHash('sha256').update(content).digest('hex')
    const sent = await post(agent, ticket.number, {
      intent: 'reply',
      kind: 'reply',
      body: 'See the attached note',
      status: 'pending',
      ccShown: '1',
      cc: 'boss@example.com',
      bcc: 'audit@example.com',
      files: new File([content], 'note.txt', { type: 'text/plain' }),
    })
    expect(sent.status).toBe(302)
    const messageId = sent.location!.split('#m-')[1]
    const ticketRow = async () =>
      (await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId)))[0]
    expect(await ticketRow()).toMatchObject({ status: 'pending', cc: ['boss@example.com'] })

    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId }, calls)).status).toBe(302)
    expect(await ticketRow()).toMatchObject({ status: 'closed', cc: [] })
    expect(calls.published).toEqual([
      expect.objectContaining({ type: 'ticket.updated', changes: { status: 'closed' } }),
      expect.objectContaining({ type: 'ticket.updated', changes: { cc: [] } }),
    ])
    const audit = await getDb()
      .select({ action: auditEvents.action, data: auditEvents.data })
      .from(auditEvents)
      .where(eq(auditEvents.targetId, ticket.ticketId))
      .orderBy(asc(auditEvents.createdAt), asc(auditEvents.id))
    expect(audit.slice(-4).map((a) => [a.action, (a.data as { after?: string }).after])).toEqual([
      ['message.replied', undefined],
      ['ticket.status-changed', 'pending'],
      ['ticket.status-changed', 'closed'],
      ['message.unsent', undefined],
    ])
    const restored = {
      body: 'See the attached note',
      kind: 'reply',
      cc: ['boss@example.com'],
      bcc: ['audit@example.com'],
      status: 'pending',
    }
    expect(
      await getDb()
        .select({
          body: drafts.body,
          kind: drafts.kind,
          cc: drafts.cc,
          bcc: drafts.bcc,
          status: drafts.status,
          files: drafts.files,
        })
        .from(drafts)
        .where(eq(drafts.ticketId, ticket.ticketId)),
    ).toEqual([
      {
        ...restored,
        files: [{ filename: 'note.txt', contentType: 'text/plain', size: content.length, sha256 }],
      },
    ])
    // The page gives the composer all of it (no content type: the composer only lists the files).
    const page = await callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${ticket.number}`, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(ticket.number) },
    })
    expect(page.data.drafts.mine).toEqual({
      ...restored,
      updatedAt: expect.any(Date),
      files: [{ filename: 'note.txt', size: content.length, sha256 }],
      // Not an AI translation to review ("Translate to <language>" sets it; an undone reply never has it).
      translation: null,
    })

    // Sent again with the kept file ticked (and a file the draft does not hold, ignored).
    const again = await post(agent, ticket.number, {
      intent: 'reply',
      kind: 'reply',
      body: 'See the attached note',
      keepFile: [sha256, 'f'.repeat(64)],
    })
    expect(again.status).toBe(302)
    const resentId = again.location!.split('#m-')[1]
    expect(
      await getDb()
        .select({ filename: attachments.filename, sha256: attachments.sha256 })
        .from(attachments)
        .where(eq(attachments.messageId, resentId)),
    ).toEqual([{ filename: 'note.txt', sha256 }])
    // The send emptied the draft (kept as an empty row with its generation) and what it kept.
    expect(
      await getDb()
        .select({ body: drafts.body, files: drafts.files, cc: drafts.cc, status: drafts.status })
        .from(drafts)
        .where(eq(drafts.ticketId, ticket.ticketId)),
    ).toEqual([{ body: '', files: [], cc: null, status: null }])
  })

  it('kept files count toward the 10-file limit with the newly attached ones', async () => {
    const agent = await createMember('agent')
    await setDelay(agent, 30)
    const ticket = await createTicketFor(agent)
    const kept = 'kept sheet'
    const sha256 = createHash('sha256').update(kept).digest('hex')
    const sent = await post(agent, ticket.number, {
      intent: 'reply',
      kind: 'reply',
      body: 'With a sheet',
      files: new File([kept], 'kept.txt', { type: 'text/plain' }),
    })
    const messageId = sent.location!.split('#m-')[1]
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId })).status).toBe(302)
    const ten = Array.from(
      { length: 10 },
      (_, i) => new File([`new ${i}`], `new-${i}.txt`, { type: 'text/plain' }),
    )
    const refused = await post(agent, ticket.number, {
      intent: 'reply',
      kind: 'reply',
      body: 'With a sheet',
      keepFile: sha256,
      files: ten,
    })
    expect(refused.status).toBe(400)
    expect(refused.data).toMatchObject({
      result: { error: { files: ['Attach at most 10 files, kept ones included'] } },
    })
    const [draft] = await getDb().select().from(drafts).where(eq(drafts.ticketId, ticket.ticketId))
    expect(draft?.files).toEqual([expect.objectContaining({ sha256 })])
    expect(
      await getDb().select().from(attachments).where(eq(attachments.workspaceId, agent.workspace.id)),
    ).toEqual([])
  })

  it('Undo leaves a status someone changed since the send as it is, and says so in the audit', async () => {
    const agent = await createMember('agent')
    await setDelay(agent, 30)
    const ticket = await createTicketFor(agent)
    const sent = await post(agent, ticket.number, {
      intent: 'reply',
      kind: 'reply',
      body: 'Pending on you',
      status: 'pending',
    })
    const messageId = sent.location!.split('#m-')[1]
    await setTicket(ticket.ticketId, { status: 'resolved' })
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId }, calls)).status).toBe(302)
    const [row] = await getDb()
      .select({ status: tickets.status })
      .from(tickets)
      .where(eq(tickets.id, ticket.ticketId))
    expect(row.status).toBe('resolved')
    expect(calls.published).toEqual([])
    const [unsent] = await getDb()
      .select({ data: auditEvents.data })
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, ticket.ticketId), eq(auditEvents.action, 'message.unsent')))
    expect(unsent.data).toMatchObject({ messageId, statusRestored: false })
    // The choice comes back with the draft all the same.
    const [draft] = await getDb()
      .select({ status: drafts.status })
      .from(drafts)
      .where(eq(drafts.ticketId, ticket.ticketId))
    expect(draft.status).toBe('pending')
  })

  it('after the delay the job releases the reply (announced then) and the email goes; Undo is then too late', async () => {
    const agent = await createMember('agent')
    await setDelay(agent, 1)
    const ticket = await createTicketFor(agent)
    const { messageId, email } = await sendReply(agent, ticket.number, 'Here you go', {
      disconnected: [],
      removed: [],
    })
    // Not available to a worker before its delay; then it is.
    const fetchOurs = async () =>
      ((await queue().fetch<{ emailId: string }>('email.send', { batchSize: 10 })) ?? []).filter(
        (j) => j.id === email.jobId,
      )
    expect(await fetchOurs()).toEqual([])
    await until(fetchOurs, (jobs) => jobs.length === 1)
    const events = await releaseHeldReply(email.id)
    expect(events).toEqual([
      expect.objectContaining({ type: 'message.created', messageId, actorUserId: agent.user.id }),
    ])
    expect((await deliverEmail(email.id, email.jobId!)).outcome).toBe('sent')
    const token = ticket.customerLink.split('/support/t/')[1]
    const portal = await customerTicketView((await findTicketByCustomerToken(token))!)
    expect(portal.thread.map((m) => m.bodyText)).toContain('Here you go')
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId })).status).toBe(409)
    expect(
      await getDb().select({ id: messages.id }).from(messages).where(eq(messages.id, messageId)),
    ).toHaveLength(1)
  })

  it('sends at once with a delay of 0, and an agent cannot undo someone else’s reply or another workspace’s', async () => {
    const agent = await createMember('agent')
    const teammate = await createMember('agent', agent.workspace)
    const outsider = await createMember('agent')
    await setDelay(agent, 0)
    const ticket = await createTicketFor(agent)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const { messageId } = await sendReply(agent, ticket.number, 'Immediate', calls)
    expect(calls.published!.some((e) => e.type === 'message.created')).toBe(true)
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId })).status).toBe(409)

    await setDelay(agent, 30)
    const held = await sendReply(agent, ticket.number, 'Held', { disconnected: [], removed: [] })
    expect(
      (await post(teammate, ticket.number, { intent: 'undo-send', messageId: held.messageId })).status,
    ).toBe(409)
    const foreign = await callAction(
      ticketRoute,
      `/w/${agent.workspace.slug}/tickets/${ticket.number}`,
      { intent: 'undo-send', messageId: held.messageId },
      { cookie: outsider.cookie, params: { slug: agent.workspace.slug, number: String(ticket.number) } },
    )
    expect(foreign.status).toBe(404)
    expect(
      await getDb().select({ id: messages.id }).from(messages).where(eq(messages.id, held.messageId)),
    ).toHaveLength(1)
  })

  it('stores the delay from the account page, 0 to 30 seconds', async () => {
    const agent = await createMember('agent')
    const save = (seconds: string) =>
      callAction(accountRoute, '/account', { intent: 'undo-send', seconds }, { cookie: agent.cookie })
    expect((await save('12')).status).toBe(200)
    const stored = async () =>
      (await getDb().select({ s: users.undoSendSeconds }).from(users).where(eq(users.id, agent.user.id)))[0].s
    expect(await stored()).toBe(12)
    expect((await save('31')).status).toBe(400)
    expect((await save('-1')).status).toBe(400)
    expect(await stored()).toBe(12)
  })
})

describe('undo send of an AI-translated reply', () => {
  // Found from outside: Undo took the reply back but left its note saying it was sent in Spanish,
  // and the draft came back without its translation mark (the original lost).
  const translated = {
    intent: 'reply',
    kind: 'reply',
    body: 'Su hervidor sale hoy.',
    translatedFrom: 'Your kettle ships today. @someone',
    translationLanguage: 'es',
    // The model's translation, which the reply still is (ec28549: a reply no longer derived from
    // it is not marked, and its send writes no note).
    translationText: 'Su hervidor sale hoy.',
  }
  const pageOf = (agent: Agent, number: number, search = '') =>
    callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}${search}`, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(number) },
    })
  const threadOf = (ticketId: string) =>
    getDb()
      .select({
        id: messages.id,
        kind: messages.kind,
        body: messages.bodyText,
        heldUntil: messages.heldUntil,
      })
      .from(messages)
      .where(eq(messages.ticketId, ticketId))
      .orderBy(asc(messages.createdAt), asc(messages.id))
  const bodiesShown = (page: Awaited<ReturnType<typeof pageOf>>) =>
    (page.data.thread as Array<{ bodyText: string }>).map((m) => m.bodyText)

  it('holds the note with the reply, for the author only; Undo takes both back and the draft is the translation again; the re-send writes one note', async () => {
    const agent = await createMember('owner')
    const teammate = await createMember('agent', agent.workspace)
    await setDelay(agent, 30)
    const ticket = await createTicketFor(agent)
    const before = (await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId)))[0]
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const sent = await post(agent, ticket.number, translated, calls)
    expect(sent.status).toBe(302)
    const messageId = sent.location!.split('#m-')[1]
    const [, reply, note] = await threadOf(ticket.ticketId)
    expect(reply).toMatchObject({ id: messageId, kind: 'reply', body: 'Su hervidor sale hoy.' })
    expect(note).toMatchObject({ kind: 'note', heldUntil: reply!.heldUntil })
    expect(note!.body).toMatch(/^Reply sent in Spanish, translated by AI and reviewed by /)
    // Neither is announced nor shown to a teammate while the reply can be undone; the quoted
    // `@name` notifies nobody; the author's page offers one Undo, for the reply.
    expect(
      calls.published!.filter((e) => e.type === 'message.created' || e.type === 'notification.created'),
    ).toEqual([])
    expect(bodiesShown(await pageOf(teammate, ticket.number))).not.toContain(note!.body)
    const mine = await pageOf(agent, ticket.number)
    expect(bodiesShown(mine)).toContain(note!.body)
    expect(mine.data.held).toEqual([{ messageId, heldUntil: reply!.heldUntil }])

    const undone = await post(agent, ticket.number, { intent: 'undo-send', messageId })
    expect(undone.status).toBe(302)
    expect((await threadOf(ticket.ticketId)).map((m) => m.kind)).toEqual(['reply'])
    const after = (await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId)))[0]
    expect(after.messageCount).toBe(before.messageCount)
    // The page after the Undo (with or without JavaScript: the composer is drawn from it) shows
    // the translation with its original and language.
    const back = await pageOf(agent, ticket.number)
    expect(back.data.drafts.mine).toMatchObject({
      body: 'Su hervidor sale hoy.',
      kind: 'reply',
      translation: { language: 'es', original: 'Your kettle ships today. @someone' },
    })

    // Sent again from that draft: one reply and one note, released together.
    const again = await post(agent, ticket.number, translated)
    const againId = again.location!.split('#m-')[1]
    const thread = await threadOf(ticket.ticketId)
    expect(thread.map((m) => m.kind)).toEqual(['reply', 'reply', 'note'])
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, againId))
    const events = await releaseHeldReply(email!.id)
    expect(events).toEqual([
      expect.objectContaining({ type: 'message.created', messageId: againId, kind: 'reply' }),
      expect.objectContaining({ type: 'message.created', messageId: thread[2]!.id, kind: 'note' }),
    ])
    expect((await threadOf(ticket.ticketId)).map((m) => m.heldUntil)).toEqual([null, null, null])
    expect(bodiesShown(await pageOf(teammate, ticket.number))).toContain(thread[2]!.body)
    // Undo is now too late, and takes nothing.
    expect((await post(agent, ticket.number, { intent: 'undo-send', messageId: againId })).status).toBe(409)
    expect(await threadOf(ticket.ticketId)).toHaveLength(3)
  })

  it('Undo from the page Send & next lands on takes the note back too', async () => {
    const agent = await createMember('owner')
    await setDelay(agent, 30)
    const first = await createTicketFor(agent, { subject: 'First' })
    const second = await createTicketFor(agent, { subject: 'Second' })
    const sent = await post(agent, second.number, { ...translated, intent: 'reply-next', from: 'view=all' })
    const messageId = new URL(sent.location!, 'http://app.test').searchParams.get('sent')!
    expect((await threadOf(second.ticketId)).map((m) => m.kind)).toEqual(['reply', 'reply', 'note'])
    expect((await post(agent, second.number, { intent: 'undo-send', messageId })).status).toBe(302)
    expect((await threadOf(second.ticketId)).map((m) => m.kind)).toEqual(['reply'])
    expect(first.number).not.toBe(second.number)
  })

  it('with no undo window the note is written at once, announced with the reply', async () => {
    const agent = await createMember('owner')
    await setDelay(agent, 0)
    const ticket = await createTicketFor(agent)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    await post(agent, ticket.number, translated, calls)
    const [, reply, note] = await threadOf(ticket.ticketId)
    expect([reply!.heldUntil, note!.heldUntil]).toEqual([null, null])
    expect(
      calls.published!.filter((e) => e.type === 'message.created').map((e) => 'kind' in e && e.kind),
    ).toEqual(['reply', 'note'])
  })
})

describe('undo from the page Send & next lands on', () => {
  // Found from outside: Send & next moved on with no Undo for the reply it had just sent.
  const ticketPage = (agent: Agent, number: number, search: string) =>
    callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}${search}`, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(number) },
    })

  it('names the held reply in the next ticket’s address, for its author only, until it is sent', async () => {
    const agent = await createMember('owner')
    const teammate = await createMember('agent', agent.workspace)
    const stranger = await createMember('owner')
    await setDelay(agent, 30)
    const first = await createTicketFor(agent, { subject: 'First' })
    const second = await createTicketFor(agent, { subject: 'Second' })
    const sent = await post(agent, second.number, {
      intent: 'reply-next',
      kind: 'reply',
      body: 'Held for a while',
      from: 'view=all',
    })
    expect(sent.status).toBe(302)
    const landing = new URL(sent.location!, 'http://app.test')
    expect(landing.pathname).toBe(`/w/${agent.workspace.slug}/tickets/${first.number}`)
    const messageId = landing.searchParams.get('sent')!
    const [message] = await getDb().select().from(messages).where(eq(messages.id, messageId))
    expect(message!.heldUntil).not.toBeNull()

    const page = await ticketPage(agent, first.number, landing.search)
    expect(page.data.held).toEqual([
      { messageId, heldUntil: message!.heldUntil, ticketNumber: second.number },
    ])
    // Anyone else given the address (a teammate, another workspace) is offered nothing.
    expect((await ticketPage(teammate, first.number, landing.search)).data.held).toEqual([])
    const theirs = await createTicketFor(stranger)
    expect((await ticketPage(stranger, theirs.number, landing.search)).data.held).toEqual([])
    // Nor a malformed id.
    expect((await ticketPage(agent, first.number, '?sent=not-a-uuid')).data.held).toEqual([])
    // The inbox, when Send & next had nothing to go to, offers it the same way.
    const inbox = await callLoader(inboxRoute, `/w/${agent.workspace.slug}/tickets${landing.search}`, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug },
    })
    expect(inbox.data.heldReply).toEqual({ messageId, number: second.number, heldUntil: message!.heldUntil })

    // Sent (the undo window over): nothing left to offer.
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, messageId))
    await releaseHeldReply(email!.id)
    expect((await ticketPage(agent, first.number, landing.search)).data.held).toEqual([])
  })

  it('leaves the address alone when the reply went at once', async () => {
    const agent = await createMember('owner')
    await setDelay(agent, 0)
    const first = await createTicketFor(agent, { subject: 'First' })
    const second = await createTicketFor(agent, { subject: 'Second' })
    const sent = await post(agent, second.number, {
      intent: 'reply-next',
      kind: 'reply',
      body: 'Sent at once',
      from: 'view=all',
    })
    const landing = new URL(sent.location!, 'http://app.test')
    expect(landing.pathname).toBe(`/w/${agent.workspace.slug}/tickets/${first.number}`)
    expect(landing.searchParams.has('sent')).toBe(false)
  })
})
