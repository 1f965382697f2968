import type { Client } from '@modelcontextprotocol/client'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, tickets } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { mcpClient } from '#tests/helpers/mcp-client.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// After a customer's email with `Cc: dave@…` (dave on the ticket's CC list), MCP's draft_reply
// answered {"sent":false,"to":"carol@…"} while send_reply emailed carol and CC'd dave, and the
// ticket in the API and get_ticket had no `cc` at all.

let server: Awaited<ReturnType<typeof startTestServer>>
let owner: Awaited<ReturnType<typeof createMember>>
let token: string
let client: Client

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
  client = await mcpClient(server.url, token)
})
afterAll(async () => {
  await client.close()
  await server.close()
  await stopQueue()
})

describe('who else gets a reply', () => {
  it('the ticket shows its CC list (API, get_ticket) and draft_reply names every recipient send_reply emails', async () => {
    const ticket = await createTicketFor(owner, { customerEmail: 'carol@example.com' })
    await getDb()
      .update(tickets)
      .set({ cc: ['dave@example.net', 'Carol@example.com', 'dave@example.net'] })
      .where(eq(tickets.id, ticket.ticketId))

    const api = apiClient(server.url)
    const got = await api('GET', `/api/v1/tickets/${ticket.number}`, { token })
    expect(got.status).toBe(200)
    // As a reply copies them: once each, the customer left out.
    expect(got.json.cc).toEqual(['dave@example.net'])
    const openapi = await api('GET', '/api/v1/openapi.json')
    expect(openapi.json.components.schemas.Ticket.required).toEqual(expect.arrayContaining(['cc']))

    const shown = (await client.callTool({ name: 'get_ticket', arguments: { number: ticket.number } })) as {
      structuredContent: { ticket: { cc: string[] } }
    }
    expect(shown.structuredContent.ticket.cc).toEqual(['dave@example.net'])

    const draft = (await client.callTool({
      name: 'draft_reply',
      arguments: { number: ticket.number, body: 'It ships today.' },
    })) as { structuredContent: { to: string; cc: string[]; bcc: string[]; last_seen_message_id: string } }
    expect(draft.structuredContent).toMatchObject({
      to: 'carol@example.com',
      cc: ['dave@example.net'],
      bcc: [],
    })

    const sent = (await client.callTool({
      name: 'send_reply',
      arguments: {
        number: ticket.number,
        body: 'It ships today.',
        last_seen_message_id: draft.structuredContent.last_seen_message_id,
      },
    })) as { isError?: boolean; structuredContent: { id: string } }
    expect(sent.isError).toBeFalsy()
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, sent.structuredContent.id))
    // What the draft said is what was sent.
    expect(email).toMatchObject({
      toAddress: draft.structuredContent.to,
      cc: draft.structuredContent.cc,
      bcc: draft.structuredContent.bcc,
    })
  })
})
