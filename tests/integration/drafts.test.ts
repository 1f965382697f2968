import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { drafts } from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as draftRoute from '#app/routes/w.$slug.tickets.$number_.draft.tsx'
import * as queueRoute from '#app/routes/w.$slug.tickets._index.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction, callLoader, inboxRows, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Agent = Awaited<ReturnType<typeof createMember>>

function saveDraft(
  agent: Agent,
  number: number,
  fields: Record<string, string>,
  slug = agent.workspace.slug,
  calls?: RealtimeCalls,
) {
  return callAction(draftRoute, `/w/${slug}/tickets/${number}/draft`, fields, {
    cookie: agent.cookie,
    params: { slug, number: String(number) },
    context: testContext(calls),
  })
}

function loadTicket(agent: Agent, number: number) {
  return callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}`, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
  })
}

async function storedDrafts(ticketId: string) {
  return getDb()
    .select({ userId: drafts.userId, body: drafts.body, kind: drafts.kind })
    .from(drafts)
    .where(eq(drafts.ticketId, ticketId))
}

function draftClearedFor(agent: Agent, ticket: { ticketId: string; number: number }) {
  return {
    type: 'draft.cleared',
    workspaceId: agent.workspace.id,
    userId: agent.user.id,
    ticketId: ticket.ticketId,
    number: ticket.number,
    at: expect.any(String),
  }
}

describe('drafts', () => {
  it('saves the composer text per ticket and agent, replaces it, and restores it on the ticket page', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    expect((await saveDraft(agent, ticket.number, { kind: 'reply', body: 'Hello, I am' })).status).toBe(204)
    expect(
      (await saveDraft(agent, ticket.number, { kind: 'note', body: 'Hello, I am checking' })).status,
    ).toBe(204)
    expect(await storedDrafts(ticket.ticketId)).toEqual([
      { userId: agent.user.id, body: 'Hello, I am checking', kind: 'note' },
    ])
    const page = await loadTicket(agent, ticket.number)
    expect(page.data.drafts).toEqual({
      // A typed draft keeps nothing else (an undone reply's CC, BCC, status and files: undo-send.test.ts).
      mine: {
        body: 'Hello, I am checking',
        kind: 'note',
        updatedAt: expect.any(Date),
        cc: null,
        bcc: [],
        status: null,
        files: [],
      },
      others: [],
    })
  })

  it('deletes the draft when the text is emptied, and tells the agent’s other tabs (draft.cleared)', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    await saveDraft(agent, ticket.number, { kind: 'reply', body: 'Something' }, undefined, calls)
    expect(calls.published).toEqual([])
    await saveDraft(agent, ticket.number, { kind: 'reply', body: '' }, undefined, calls)
    expect(await storedDrafts(ticket.ticketId)).toEqual([])
    expect(calls.published).toEqual([draftClearedFor(agent, ticket)])
  })

  it('clears the draft when the reply is sent', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    await saveDraft(agent, ticket.number, { kind: 'reply', body: 'On its way' })
    const form = new FormData()
    for (const [k, v] of Object.entries({ intent: 'reply', kind: 'reply', body: 'On its way' }))
      form.append(k, v)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const sent = await callAction(ticketRoute, `/w/${agent.workspace.slug}/tickets/${ticket.number}`, form, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(ticket.number) },
      context: testContext(calls),
    })
    expect(sent.status).toBe(302)
    expect(await storedDrafts(ticket.ticketId)).toEqual([])
    // Held for undo, so not announced yet; the agent's other tabs still learn at once that the
    // draft they believe saved is gone.
    expect(calls.published).toEqual([draftClearedFor(agent, ticket)])
  })

  it('shows a teammate "has a draft" with its text, and marks the queue row for its author only', async () => {
    const agent = await createMember('agent')
    const teammate = await createMember('agent', agent.workspace)
    const ticket = await createTicketFor(agent)
    await createTicketFor(agent)
    await saveDraft(teammate, ticket.number, { kind: 'reply', body: 'Draft by the teammate' })

    const page = await loadTicket(agent, ticket.number)
    expect(page.data.drafts.mine).toBeNull()
    expect(page.data.drafts.others).toEqual([
      {
        userId: teammate.user.id,
        name: teammate.user.name,
        body: 'Draft by the teammate',
        kind: 'reply',
        updatedAt: expect.any(Date),
      },
    ])

    const queueFor = (who: Agent) =>
      callLoader(queueRoute, `/w/${who.workspace.slug}/tickets?view=all`, {
        cookie: who.cookie,
        params: { slug: who.workspace.slug },
      })
    const marked = (rows: Array<{ number: number; draft?: boolean }>) =>
      rows.filter((r) => r.draft).map((r) => r.number)
    expect(marked(inboxRows(await queueFor(teammate)))).toEqual([ticket.number])
    expect(marked(inboxRows(await queueFor(agent)))).toEqual([])
  })

  it('refuses another workspace: 404 for a member of another workspace, nothing written', async () => {
    const agent = await createMember('agent')
    const outsider = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const foreign = await saveDraft(
      outsider,
      ticket.number,
      { kind: 'reply', body: 'x' },
      agent.workspace.slug,
    )
    expect(foreign.status).toBe(404)
    // In their own workspace the same number is not this ticket.
    const own = await saveDraft(outsider, ticket.number, { kind: 'reply', body: 'x' })
    expect(own.status).toBe(404)
    expect(await storedDrafts(ticket.ticketId)).toEqual([])
    await saveDraft(agent, ticket.number, { kind: 'reply', body: 'Mine' })
    const [row] = await getDb()
      .select({ workspaceId: drafts.workspaceId })
      .from(drafts)
      .where(and(eq(drafts.ticketId, ticket.ticketId), eq(drafts.userId, agent.user.id)))
    expect(row.workspaceId).toBe(agent.workspace.id)
  })

  it('refuses a bad kind or an oversized body with 400 and writes nothing', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    expect((await saveDraft(agent, ticket.number, { kind: 'shout', body: 'x' })).status).toBe(400)
    expect((await saveDraft(agent, ticket.number, { kind: 'reply', body: 'x'.repeat(100_001) })).status).toBe(
      400,
    )
    expect(await storedDrafts(ticket.ticketId)).toEqual([])
  })
})
