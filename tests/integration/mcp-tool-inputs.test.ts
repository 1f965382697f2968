import type { Client } from '@modelcontextprotocol/client'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { messages, tickets } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { TOOL_NAMES } from '#app/mcp/tools.server.ts'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { mcpClient } from '#tests/helpers/mcp-client.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// The tools' inputs were plain (stripping) objects: an argument the schema did not know was
// dropped without a word, so a typo skipped what it named. add_note with "last_seen_message_ids"
// made a note without the collision check; send_reply with "stauts" emailed and left the status.

type ToolResult = {
  isError?: boolean
  content: Array<{ type: string; text?: string }>
  structuredContent?: Record<string, unknown>
}

let server: Awaited<ReturnType<typeof startTestServer>>
let owner: Awaited<ReturnType<typeof createMember>>
let client: Client

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  owner = await createMember('owner')
  const { token } = await apiTokenFor(owner)
  client = await mcpClient(server.url, token)
})
afterAll(async () => {
  await client.close()
  await server.close()
  await stopQueue()
})

async function callTool(name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as ToolResult
}

async function messagesOf(ticketId: string, workspaceId = owner.workspace.id) {
  return getDb()
    .select({ id: messages.id, kind: messages.kind })
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId)))
}

async function statusOf(ticketId: string) {
  const [row] = await getDb().select({ status: tickets.status }).from(tickets).where(eq(tickets.id, ticketId))
  return row!.status
}

/** Arguments each tool accepts, for a ticket and its newest message. */
function validArguments(
  number: number,
  lastSeen: string,
): Record<(typeof TOOL_NAMES)[number], Record<string, unknown>> {
  return {
    search_tickets: { status: 'open' },
    get_ticket: { number },
    list_views: {},
    add_note: { number, body: 'A note' },
    draft_reply: { number, body: 'A reply' },
    send_reply: { number, body: 'A reply', last_seen_message_id: lastSeen },
    update_ticket: { number, changes: { priority: 'high' } },
    lookup_contact: { q: 'example' },
  }
}

describe('unknown arguments', () => {
  it('every tool declares additionalProperties: false, and refuses an unknown argument naming it, doing nothing', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort())
    for (const tool of tools) {
      expect(tool.inputSchema.additionalProperties, tool.name).toBe(false)
    }
    const ticket = await createTicketFor(owner)
    const [first] = await messagesOf(ticket.ticketId)
    const valid = validArguments(ticket.number, first!.id)
    for (const name of TOOL_NAMES) {
      const result = await callTool(name, { ...valid[name], stauts: 'resolved' })
      expect(result.isError, `${name}: ${JSON.stringify(result)}`).toBe(true)
      expect(result.content[0]?.text, name).toContain('stauts')
    }
    // Nothing was written by the refused calls: one message (the customer's), status open, no priority.
    expect(await messagesOf(ticket.ticketId)).toHaveLength(1)
    expect(await statusOf(ticket.ticketId)).toBe('open')
    // And each valid call still works (the strict schemas took nothing away); send_reply first,
    // while the customer's message is still the newest.
    for (const name of ['send_reply' as const, ...TOOL_NAMES.filter((n) => n !== 'send_reply')]) {
      const result = await callTool(name, valid[name])
      expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy()
    }
  })

  it('add_note with a mistyped last_seen_message_ids writes no note', async () => {
    const ticket = await createTicketFor(owner)
    const [first] = await messagesOf(ticket.ticketId)
    const result = await callTool('add_note', {
      number: ticket.number,
      body: 'x',
      last_seen_message_ids: first!.id,
    })
    expect(result.isError).toBe(true)
    expect(result.content[0]?.text).toContain('last_seen_message_ids')
    expect(await messagesOf(ticket.ticketId)).toHaveLength(1)
  })

  it('send_reply with "stauts" sends nothing and leaves the status', async () => {
    const ticket = await createTicketFor(owner)
    const [first] = await messagesOf(ticket.ticketId)
    const result = await callTool('send_reply', {
      number: ticket.number,
      body: 'Done',
      last_seen_message_id: first!.id,
      stauts: 'resolved',
    })
    expect(result.isError).toBe(true)
    expect(await messagesOf(ticket.ticketId)).toHaveLength(1)
    expect(await statusOf(ticket.ticketId)).toBe('open')
  })

  it('an unknown field inside update_ticket’s changes is refused too', async () => {
    const ticket = await createTicketFor(owner)
    const result = await callTool('update_ticket', {
      number: ticket.number,
      changes: { stauts: 'resolved' },
    })
    expect(result.isError).toBe(true)
    expect(result.content[0]?.text).toContain('stauts')
  })
})

describe('get_ticket before', () => {
  it('refuses a before that is not a message of the ticket, with an invalid-cursor tool error', async () => {
    const ticket = await createTicketFor(owner)
    const another = await createTicketFor(owner)
    const [anothers] = await messagesOf(another.ticketId)
    const stranger = await createMember('owner')
    const elsewhere = await createTicketFor(stranger)
    const [elsewheres] = await messagesOf(elsewhere.ticketId, stranger.workspace.id)
    for (const before of [anothers!.id, '00000000-0000-0000-0000-000000000000', elsewheres!.id]) {
      const result = await callTool('get_ticket', { number: ticket.number, before })
      expect(result.isError, before).toBe(true)
      expect(result.structuredContent).toMatchObject({
        type: 'https://switchboard.dev/problems/invalid-cursor',
      })
      expect(result.content[0]?.text).toContain(`not a message of ticket ${ticket.number}`)
    }
    // A message of the ticket still reads the window before it (here: nothing earlier).
    const [own] = await messagesOf(ticket.ticketId)
    const result = await callTool('get_ticket', { number: ticket.number, before: own!.id })
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toMatchObject({ messages: [], earlier_messages: 0 })
  })
})
