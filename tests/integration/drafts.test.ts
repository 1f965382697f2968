import { and, eq, ne } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { drafts, tickets } from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as draftRoute from '#app/routes/w.$slug.tickets.$number_.draft.tsx'
import * as queueRoute from '#app/routes/w.$slug.tickets._index.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { deleteEmptyDrafts } from '#app/domain/drafts.server.ts'
import { removeMember } from '#app/domain/workspaces.server.ts'
import { EMPTY_DRAFT_KEPT_MS } from '#db/queries/drafts.ts'
import {
  callAction,
  callLoader,
  inboxRows,
  testContext,
  withJson,
  type RealtimeCalls,
} from '#tests/helpers/routes.ts'
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
  // The generation a freshly loaded page gives its composer, unless the test says otherwise.
  return callAction(
    draftRoute,
    `/w/${slug}/tickets/${number}/draft`,
    { generation: '0', ...fields },
    {
      cookie: agent.cookie,
      params: { slug, number: String(number) },
      context: testContext(calls),
    },
  ).then(withJson)
}

function loadTicket(agent: Agent, number: number) {
  return callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}`, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
  })
}

async function storedDrafts(ticketId: string) {
  return (
    getDb()
      .select({ userId: drafts.userId, body: drafts.body, kind: drafts.kind })
      .from(drafts)
      // A sent or emptied draft stays as an empty row keeping its generation: no draft to anyone.
      .where(and(eq(drafts.ticketId, ticketId), ne(drafts.body, '')))
  )
}

/** Every draft row of the ticket, empty ones included. */
function draftRows(ticketId: string) {
  return getDb()
    .select({ userId: drafts.userId, body: drafts.body, generation: drafts.generation })
    .from(drafts)
    .where(eq(drafts.ticketId, ticketId))
    .orderBy(drafts.userId)
}

function draftClearedFor(agent: Agent, ticket: { ticketId: string; number: number }) {
  return {
    type: 'draft.cleared',
    workspaceId: agent.workspace.id,
    userId: agent.user.id,
    ticketId: ticket.ticketId,
    number: ticket.number,
    generation: expect.any(Number),
    at: expect.any(String),
  }
}

function queueFor(who: Agent) {
  return callLoader(queueRoute, `/w/${who.workspace.slug}/tickets?view=all`, {
    cookie: who.cookie,
    params: { slug: who.workspace.slug },
  })
}

function sendReply(agent: Agent, number: number, body: string, calls?: RealtimeCalls) {
  return callAction(
    ticketRoute,
    `/w/${agent.workspace.slug}/tickets/${number}`,
    { intent: 'reply', kind: 'reply', body, sendAnyway: '1' },
    {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(number) },
      context: testContext(calls),
    },
  )
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
        translation: null,
      },
      others: [],
      generation: 0,
      // What the composer's first save carries (draft-revisions.test.ts).
      revision: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
  })

  it('deletes the draft when the text is emptied, and tells the agent’s other tabs (draft.cleared)', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    await saveDraft(agent, ticket.number, { kind: 'reply', body: 'Something' }, undefined, calls)
    // Text tells the other tabs it was saved (draft.saved: draft-revisions.test.ts).
    expect(calls.published?.map((e) => e.type)).toEqual(['draft.saved'])
    calls.published = []
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

  it('ignores a save from before the send (an autosave on the wire as Send was pressed): the sent text never comes back as a draft', async () => {
    const agent = await createMember('agent')
    const teammate = await createMember('agent', agent.workspace)
    const ticket = await createTicketFor(agent)
    expect((await saveDraft(agent, ticket.number, { kind: 'reply', body: 'On its way' })).status).toBe(204)
    expect((await sendReply(agent, ticket.number, 'On its way')).status).toBe(302)
    const late = await saveDraft(agent, ticket.number, { kind: 'reply', body: 'On its way' })
    expect(late.status).toBe(200)
    expect(late.data).toEqual({ ignored: true, generation: 1, revision: expect.any(String) })
    expect(await storedDrafts(ticket.ticketId)).toEqual([])
    const page = await loadTicket(agent, ticket.number)
    expect(page.data.drafts).toMatchObject({ mine: null, generation: 1 })
    expect((await loadTicket(teammate, ticket.number)).data.drafts.others).toEqual([])
    const row = inboxRows(await queueFor(agent)).find((r: { number: number }) => r.number === ticket.number)
    expect(row.draft).toBeFalsy()
    // The page after the send gives its composer the new generation: its saves are kept.
    expect(
      (await saveDraft(agent, ticket.number, { kind: 'reply', body: 'Next one', generation: '1' })).status,
    ).toBe(204)
    expect(await storedDrafts(ticket.ticketId)).toEqual([
      { userId: agent.user.id, body: 'Next one', kind: 'reply' },
    ])
    // The row that was empty has text again: the queue marks it (drafts_with_text_idx follows).
    const again = inboxRows(await queueFor(agent)).find((r: { number: number }) => r.number === ticket.number)
    expect(again.draft).toBe(true)
  })

  it('never keeps the sent text when a save and the send race, in either order', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    for (let round = 0; round < 8; round++) {
      const page = await loadTicket(agent, ticket.number)
      const generation = String(page.data.drafts.generation)
      const body = `Race ${round}`
      const [saved, sent] = await Promise.all([
        saveDraft(agent, ticket.number, { kind: 'reply', body, generation }),
        sendReply(agent, ticket.number, body),
      ])
      expect(sent.status).toBe(302)
      expect([200, 204]).toContain(saved.status)
      expect(await storedDrafts(ticket.ticketId)).toEqual([])
    }
  })

  it('another tab, told by draft.cleared, saves its own text under the new generation', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    expect((await sendReply(agent, ticket.number, 'From tab one', calls)).status).toBe(302)
    const cleared = calls.published!.find((e) => e.type === 'draft.cleared')
    expect(cleared).toMatchObject({ generation: 1 })
    const stale = await saveDraft(agent, ticket.number, { kind: 'note', body: 'Tab two' })
    expect(stale.data).toEqual({ ignored: true, generation: 1, revision: expect.any(String) })
    const again = await saveDraft(agent, ticket.number, {
      kind: 'note',
      body: 'Tab two',
      generation: String((cleared as unknown as { generation: number }).generation),
    })
    expect(again.status).toBe(204)
    expect(await storedDrafts(ticket.ticketId)).toEqual([
      { userId: agent.user.id, body: 'Tab two', kind: 'note' },
    ])
  })

  it('leaves no row behind for a draft emptied, or emptied before it was ever saved', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    expect((await saveDraft(agent, ticket.number, { kind: 'reply', body: '' })).status).toBe(204)
    expect(await draftRows(ticket.ticketId)).toEqual([])
    await saveDraft(agent, ticket.number, { kind: 'reply', body: 'Something' })
    expect((await saveDraft(agent, ticket.number, { kind: 'reply', body: '   ' })).status).toBe(204)
    expect(await draftRows(ticket.ticketId)).toEqual([])
  })

  it('keeps a sent draft’s empty row only while a save from before the send could arrive', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    await saveDraft(agent, ticket.number, { kind: 'reply', body: 'On its way' })
    expect((await sendReply(agent, ticket.number, 'On its way')).status).toBe(302)
    // Its generation fends off the autosave that was on the wire as Send was pressed.
    expect(await draftRows(ticket.ticketId)).toEqual([{ userId: agent.user.id, body: '', generation: 1 }])
    expect((await saveDraft(agent, ticket.number, { kind: 'reply', body: 'On its way' })).status).toBe(200)
    // Emptied again under the new generation: still kept, for that generation.
    await saveDraft(agent, ticket.number, { kind: 'reply', body: 'Next', generation: '1' })
    await saveDraft(agent, ticket.number, { kind: 'reply', body: '', generation: '1' })
    expect(await draftRows(ticket.ticketId)).toEqual([{ userId: agent.user.id, body: '', generation: 1 }])
    const typed = await createTicketFor(agent)
    await saveDraft(agent, typed.number, { kind: 'note', body: 'Still typing' })

    expect(await deleteEmptyDrafts()).toBe(0)
    const anHourLater = Date.now() + EMPTY_DRAFT_KEPT_MS + 60_000
    expect(await deleteEmptyDrafts(anHourLater)).toBeGreaterThanOrEqual(1)
    expect(await draftRows(ticket.ticketId)).toEqual([])
    // A draft with text is never swept.
    expect(await draftRows(typed.ticketId)).toEqual([
      { userId: agent.user.id, body: 'Still typing', generation: 0 },
    ])
  })

  it('deletes the drafts of a member removed from the workspace: nothing left for the teammates to read', async () => {
    const owner = await createMember('owner')
    const leaving = await createMember('agent', owner.workspace)
    const staying = await createMember('agent', owner.workspace)
    const ticket = await createTicketFor(owner)
    await saveDraft(leaving, ticket.number, { kind: 'note', body: 'My private thoughts on this customer' })
    await saveDraft(staying, ticket.number, { kind: 'reply', body: 'Hello' })
    expect((await loadTicket(owner, ticket.number)).data.drafts.others).toHaveLength(2)

    const removed = await removeMember(asMember(owner), leaving.membershipId)
    expect(removed.kind).toBe('ok')
    expect((await draftRows(ticket.ticketId)).map((r) => r.userId)).toEqual([staying.user.id])
    const others = (await loadTicket(owner, ticket.number)).data.drafts.others
    expect(others.map((o: { userId: string }) => o.userId)).toEqual([staying.user.id])
  })

  it('shows no draft of someone who is not a member any more, whatever rows are left', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const outsider = await createMember('agent')
    // A row left from before removals deleted drafts (migration 0032 deletes those).
    await getDb().insert(drafts).values({
      workspaceId: owner.workspace.id,
      ticketId: ticket.ticketId,
      userId: outsider.user.id,
      body: 'Left behind',
      kind: 'reply',
    })
    expect((await loadTicket(owner, ticket.number)).data.drafts.others).toEqual([])
  })

  it('refuses a save without a generation (400) and writes nothing', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    for (const generation of ['', 'x', '-1', '1.5']) {
      expect((await saveDraft(agent, ticket.number, { kind: 'reply', body: 'x', generation })).status).toBe(
        400,
      )
    }
    expect(await storedDrafts(ticket.ticketId)).toEqual([])
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
        // Not an AI translation (one says so to teammates, with its original).
        translation: null,
      },
    ])

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

  it('keeps the CC, BCC and status the composer shows with the text: a CC the agent removed stays removed', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    await getDb()
      .update(tickets)
      .set({ cc: ['cc1@example.com'] })
      .where(eq(tickets.id, ticket.ticketId))
    const mine = async () => ((await loadTicket(agent, ticket.number)).data.drafts as { mine: unknown }).mine
    // CC left as the ticket has it (no ccShown): the draft follows the ticket's list.
    const asTyped = { kind: 'reply', body: 'Private answer', bcc: 'audit@example.com', status: 'pending' }
    expect((await saveDraft(agent, ticket.number, asTyped)).status).toBe(204)
    expect(await mine()).toMatchObject({ cc: null, bcc: ['audit@example.com'], status: 'pending' })
    // CC emptied: no CCs, not the ticket's.
    expect((await saveDraft(agent, ticket.number, { ...asTyped, ccShown: '1', cc: '' })).status).toBe(204)
    expect(await mine()).toMatchObject({ body: 'Private answer', cc: [], bcc: ['audit@example.com'] })
    // Another list, the BCC emptied, the status kept.
    const other = {
      kind: 'reply',
      body: 'Private answer.',
      ccShown: '1',
      cc: 'cc2@EXAMPLE.com; cc2@example.com',
    }
    expect((await saveDraft(agent, ticket.number, other)).status).toBe(204)
    expect(await mine()).toMatchObject({ cc: ['cc2@example.com'], bcc: [], status: null })
    // A note keeps what the reply's fields showed.
    expect(
      (await saveDraft(agent, ticket.number, { ...other, kind: 'note', status: 'resolved' })).status,
    ).toBe(204)
    expect(await mine()).toMatchObject({ kind: 'note', cc: ['cc2@example.com'], status: 'resolved' })
  })

  it('refuses a draft whose CC or BCC is not an address list, or whose status is unknown (400, the field named): nothing written', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const base = { kind: 'reply', body: 'Saved first', ccShown: '1', cc: 'a@example.com' }
    expect((await saveDraft(agent, ticket.number, base)).status).toBe(204)
    for (const [fields, field, message] of [
      [{ cc: 'a@example.com, cc1@' }, 'cc', 'CC: “cc1@” is not an email address'],
      [{ bcc: 'nope' }, 'bcc', 'BCC: “nope” is not an email address'],
      [
        { cc: Array.from({ length: 11 }, (_, i) => `p${i}@example.com`).join(',') },
        'cc',
        'CC: at most 10 addresses',
      ],
      [{ status: 'gone' }, 'status', expect.any(String)],
    ] as const) {
      const response = await saveDraft(agent, ticket.number, { ...base, body: 'Changed', ...fields })
      expect(response.status).toBe(400)
      expect((response.data as { error: Record<string, string[]> }).error[field]).toEqual([message])
    }
    expect(await storedDrafts(ticket.ticketId)).toEqual([
      { userId: agent.user.id, body: 'Saved first', kind: 'reply' },
    ])
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
