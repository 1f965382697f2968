import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { ticketTags } from '#db/schema.ts'
import { getApiTicket } from '#app/domain/api-resources.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import * as ticketRoute from '#app/routes/api.v1.tickets.$number._index.ts'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testContext } from '#tests/helpers/routes.ts'

// Three updates with three tag sets, released together behind a teammate's change to the ticket
// (held open until all three wait for the row): the ticket must end with one of the sets. Each
// round is deterministic, so one round fails without the lock; a few show it holds.
const ROUNDS = 4
const SETS = [['set-a1', 'set-a2'], ['set-b1'], ['set-c1', 'set-c2', 'set-c3']]

let server: Awaited<ReturnType<typeof startTestServer>>
let owner: Awaited<ReturnType<typeof createMember>>
let token: string

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
  owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
})
afterAll(async () => {
  await server.close()
})

/** PATCH /api/v1/tickets/{number} through the route module (this source, not the build). */
async function patch(number: number, body: unknown) {
  const request = new Request(`http://localhost:3000/api/v1/tickets/${number}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const response = (await ticketRoute.action({
    request,
    params: { number: String(number) },
    context: testContext(),
  })) as Response
  return response.status
}

async function tagNames(number: number) {
  const ticket = await getApiTicket(asMember(owner), number)
  return ticket!.tags.map((t) => t.name).sort()
}

/** Runs the three updates behind a teammate's held change and returns the ticket's tags after. */
async function race(
  number: number,
  ticketId: string,
  round: number,
  update: (tags: string[]) => Promise<unknown>,
) {
  const teammate = await holdTransaction((tx) =>
    updateTickets(asMember(owner), [ticketId], { priority: round % 2 ? 'high' : 'low' }, tx),
  )
  const updates = Promise.all(SETS.map((tags) => update(tags)))
  await lockWaiters(SETS.length, teammate)
  await teammate.commit()
  const results = await updates
  return { results, tags: await tagNames(number) }
}

describe('a ticket update with tags (the complete set) racing others', () => {
  it('PATCH ends with exactly one of the requested sets', async () => {
    const ticket = await createTicketFor(owner)
    for (let round = 0; round < ROUNDS; round++) {
      await getDb().delete(ticketTags).where(eq(ticketTags.ticketId, ticket.ticketId))
      const { results, tags } = await race(ticket.number, ticket.ticketId, round, (tags) =>
        patch(ticket.number, { tags }),
      )
      expect(results).toEqual([200, 200, 200])
      expect(SETS.map((s) => [...s].sort())).toContainEqual(tags)
    }
  })

  it('MCP update_ticket ends with exactly one of the requested sets', async () => {
    const ticket = await createTicketFor(owner)
    const client = new Client({ name: 'race-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    )
    try {
      for (let round = 0; round < ROUNDS; round++) {
        await getDb().delete(ticketTags).where(eq(ticketTags.ticketId, ticket.ticketId))
        const { results, tags } = await race(ticket.number, ticket.ticketId, round, (tags) =>
          client.callTool({ name: 'update_ticket', arguments: { number: ticket.number, changes: { tags } } }),
        )
        expect(results.map((r) => (r as { isError?: boolean }).isError ?? false)).toEqual([
          false,
          false,
          false,
        ])
        expect(SETS.map((s) => [...s].sort())).toContainEqual(tags)
      }
    } finally {
      await client.close()
    }
  })
})
