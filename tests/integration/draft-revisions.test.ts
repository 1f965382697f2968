import type { Socket } from 'socket.io-client'
import { and, eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { drafts } from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { closeSockets, connectSocket, nextEvent } from '#tests/helpers/sockets.ts'

// Two tabs (or a laptop and a phone) of one agent on one ticket: a draft save overwrites only the
// text its composer last saw (its revision), never another tab's newer text unseen; the other
// tabs learn of a save at once (draft.saved, to the agent's own sockets only).

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer()
})
afterEach(closeSockets)
afterAll(async () => {
  await server.close()
})

type Agent = Awaited<ReturnType<typeof createMember>>
const TAB_A = 'tab-a-0000-0000'
const TAB_B = 'tab-b-0000-0000'

function draftUrl(agent: Agent, number: number) {
  return `${server.url}/w/${agent.workspace.slug}/tickets/${number}/draft`
}

function save(agent: Agent, number: number, fields: Record<string, string>) {
  return fetch(draftUrl(agent, number), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: agent.cookie, origin: server.url },
    body: new URLSearchParams({ kind: 'reply', generation: '0', ...fields }),
  })
}

async function storedBody(agent: Agent, ticketId: string) {
  const [row] = await getDb()
    .select({ body: drafts.body, revision: drafts.revision })
    .from(drafts)
    .where(and(eq(drafts.ticketId, ticketId), eq(drafts.userId, agent.user.id)))
  return row
}

/** Every draft event a socket receives, by type. */
function draftEvents(socket: Socket) {
  const received: Array<{ type: string }> = []
  socket.on('ticket-event', (e: { type: string }) => {
    if (e.type.startsWith('draft.')) received.push(e)
  })
  return received
}

describe('a draft save from a tab that has not seen the newer draft', () => {
  it('is refused as stale (409, nothing written), and saved when it names the revision it now knows ("Keep mine")', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const long = 'A long answer, written with care in tab A.'
    // Tab A saves first (no draft seen): saved, with the new revision.
    const first = await save(agent, ticket.number, { body: long, revision: 'none', writer: TAB_A })
    expect(first.status).toBe(204)
    const revision = first.headers.get('Draft-Revision')
    expect(revision).toMatch(/^[0-9a-f-]{36}$/)
    expect((await storedBody(agent, ticket.ticketId)).revision).toBe(revision)

    // Tab B, opened before, showing an empty composer: its note does not replace A's answer.
    const stale = await save(agent, ticket.number, { body: 'Short note', revision: 'none', writer: TAB_B })
    expect(stale.status).toBe(409)
    expect(await stale.json()).toEqual({ stale: true, generation: 0, revision })
    expect((await storedBody(agent, ticket.ticketId)).body).toBe(long)
    // Emptying what B saw (nothing) is no license to delete A's text either.
    const emptied = await save(agent, ticket.number, { body: '', revision: 'none', writer: TAB_B })
    expect(emptied.status).toBe(409)
    expect((await storedBody(agent, ticket.ticketId)).body).toBe(long)

    // "Load it": B reads the draft as stored.
    const loaded = await fetch(draftUrl(agent, ticket.number), { headers: { cookie: agent.cookie } })
    expect(loaded.status).toBe(200)
    expect(await loaded.json()).toMatchObject({
      draft: { body: long, kind: 'reply' },
      generation: 0,
      revision,
    })

    // "Keep mine": B saves again naming the revision it was told of, knowingly.
    const kept = await save(agent, ticket.number, {
      body: 'Short note',
      revision: revision!,
      writer: TAB_B,
    })
    expect(kept.status).toBe(204)
    expect((await storedBody(agent, ticket.ticketId)).body).toBe('Short note')
    // Now A is the one that has not seen the draft.
    const fromA = await save(agent, ticket.number, {
      body: `${long} More.`,
      revision: revision!,
      writer: TAB_A,
    })
    expect(fromA.status).toBe(409)
    expect((await storedBody(agent, ticket.ticketId)).body).toBe('Short note')
  })

  it('is saved when its own page wrote the draft last (its saves overlap on the wire), over an empty draft, and unchecked from a page without revisions', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const first = await save(agent, ticket.number, { body: 'One', revision: 'none', writer: TAB_A })
    expect(first.status).toBe(204)
    // Sent before the first save's answer came: it still carries 'none'.
    const second = await save(agent, ticket.number, { body: 'One two', revision: 'none', writer: TAB_A })
    expect(second.status).toBe(204)
    expect((await storedBody(agent, ticket.ticketId)).body).toBe('One two')
    // A page from before revisions (no revision field): as before, the newest save wins.
    expect((await save(agent, ticket.number, { body: 'Old page' })).status).toBe(204)
    expect((await storedBody(agent, ticket.ticketId)).body).toBe('Old page')
    // A malformed revision is refused, nothing written.
    const bad = await save(agent, ticket.number, { body: 'x', revision: 'r1', writer: TAB_A })
    expect(bad.status).toBe(400)
    expect((await storedBody(agent, ticket.ticketId)).body).toBe('Old page')
  })
})

describe('draft.saved', () => {
  it('goes to the agent’s own sockets only: not to a teammate’s, nor to another workspace’s member', async () => {
    const agent = await createMember('agent')
    const teammate = await createMember('agent', agent.workspace)
    const outsider = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const otherTab = await connectSocket(server.url, agent.cookie)
    const teammateSocket = await connectSocket(server.url, teammate.cookie)
    const outsiderSocket = await connectSocket(server.url, outsider.cookie)
    const teammateGot = draftEvents(teammateSocket)
    const outsiderGot = draftEvents(outsiderSocket)

    const seen = nextEvent<{ type: string }>(otherTab, 'ticket-event', (e) => e.type === 'draft.saved')
    const response = await save(agent, ticket.number, {
      body: 'Typed in tab A',
      revision: 'none',
      writer: TAB_A,
    })
    expect(response.status).toBe(204)
    expect(await seen).toEqual({
      type: 'draft.saved',
      workspaceId: agent.workspace.id,
      userId: agent.user.id,
      ticketId: ticket.ticketId,
      number: ticket.number,
      generation: 0,
      revision: response.headers.get('Draft-Revision'),
      writer: TAB_A,
      at: expect.any(String),
    })
    // Events reach a socket in order: a later draft.cleared of the teammate's own reaches them
    // after the agent's would have.
    const teammateCleared = nextEvent<{ type: string }>(
      teammateSocket,
      'ticket-event',
      (e) => e.type === 'draft.cleared',
    )
    await save(teammate, ticket.number, { body: 'Mine', revision: 'none', writer: TAB_B })
    await save(teammate, ticket.number, { body: '', revision: 'none', writer: TAB_B })
    await teammateCleared
    expect(teammateGot.map((e) => e.type)).toEqual(['draft.saved', 'draft.cleared'])
    expect(outsiderGot).toEqual([])
    // A stale save tells nobody: nothing changed.
    const agentGot = draftEvents(otherTab)
    expect((await save(agent, ticket.number, { body: 'B', revision: 'none', writer: TAB_B })).status).toBe(
      409,
    )
    const cleared = nextEvent<{ type: string }>(otherTab, 'ticket-event', (e) => e.type === 'draft.saved')
    expect(
      (await save(agent, ticket.number, { body: 'A again', revision: 'none', writer: TAB_A })).status,
    ).toBe(204)
    await cleared
    expect(agentGot.map((e) => e.type)).toEqual(['draft.saved'])
  })

  it('GET of the draft is a 404 for a member of another workspace', async () => {
    const agent = await createMember('agent')
    const outsider = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const response = await fetch(
      `${server.url}/w/${outsider.workspace.slug}/tickets/${ticket.number}/draft`,
      { headers: { cookie: outsider.cookie } },
    )
    expect(response.status).toBe(404)
    const foreign = await fetch(draftUrl(agent, ticket.number), { headers: { cookie: outsider.cookie } })
    expect(foreign.status).toBe(404)
  })
})
