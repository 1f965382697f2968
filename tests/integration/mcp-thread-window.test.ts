import type { Client } from '@modelcontextprotocol/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { messages } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { THREAD_WINDOW } from '#app/mcp/tools.server.ts'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { mcpClient } from '#tests/helpers/mcp-client.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// MCP get_ticket answered with the whole thread, its text twice (pretty-printed and structured):
// 60 notes of ~126 KB were one 18.4 MB answer to a read-only token.

let server: Awaited<ReturnType<typeof startTestServer>>
let owner: Awaited<ReturnType<typeof createMember>>
let client: Client

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  owner = await createMember('owner')
  const { token } = await apiTokenFor(owner, { scopes: ['tickets:read'] })
  client = await mcpClient(server.url, token)
})
afterAll(async () => {
  await client.close()
  await server.close()
  await stopQueue()
})

/** `count` internal notes of `size` characters on the ticket, a second apart, oldest first. */
async function addNotes(ticketId: string, count: number, size: number) {
  const start = Date.now()
  const rows = await getDb()
    .insert(messages)
    .values(
      Array.from({ length: count }, (_, i) => ({
        workspaceId: owner.workspace.id,
        ticketId,
        kind: 'note' as const,
        authorUserId: owner.user.id,
        bodyText: `note ${i} `.padEnd(size, 'x'),
        createdAt: new Date(start + (i + 1) * 1000),
      })),
    )
    .returning({ id: messages.id })
  return rows.map((r) => r.id)
}

type Window = {
  messages: Array<{ id: string; body: string; body_truncated?: boolean; body_size_bytes?: number }>
  earlier_messages: number
  earlier_before: string | null
}

async function getTicket(args: Record<string, unknown>) {
  const result = (await client.callTool({ name: 'get_ticket', arguments: args })) as {
    isError?: boolean
    structuredContent: Window
    content: Array<{ text: string }>
  }
  expect(result.isError).toBeFalsy()
  return result
}

describe('MCP get_ticket reads a window of the thread', () => {
  it('60 notes of 126 KB: one bounded answer with the newest, cut and marked, and how to page back', async () => {
    const ticket = await createTicketFor(owner, { subject: 'Long thread' })
    const notes = await addNotes(ticket.ticketId, 60, 126_000)
    const got = await getTicket({ number: ticket.number })
    const size = Buffer.byteLength(got.content[0]!.text)
    console.info(`get_ticket on 60 notes of 126 KB: ${(size / 1024).toFixed(0)} KB of text (was 18.4 MB)`)
    expect(size).toBeLessThan(2 * THREAD_WINDOW.budgetChars)
    // Compact: not a pretty-printed copy.
    expect(got.content[0]!.text).not.toContain('\n')
    const window = got.structuredContent
    expect(window.messages.map((m) => m.id)).toEqual([notes.at(-1)])
    expect(window.messages[0]).toMatchObject({ body_truncated: true, body_size_bytes: 126_000 })
    expect(window.messages[0]!.body).toHaveLength(THREAD_WINDOW.budgetChars)
    expect(window.earlier_messages).toBe(60) // 59 notes and the customer's first message
    expect(window.earlier_before).toBe(notes.at(-1))
    const back = await getTicket({ number: ticket.number, before: window.earlier_before })
    expect(back.structuredContent.messages.map((m) => m.id)).toEqual([notes.at(-2)])
    expect(back.structuredContent.earlier_messages).toBe(59)
  })

  it('121 short messages: the newest 40, and paging back with before gives each message once, in order', async () => {
    const ticket = await createTicketFor(owner, { subject: 'Many messages' })
    const notes = await addNotes(ticket.ticketId, 120, 1_000)
    const first = await getTicket({ number: ticket.number })
    expect(first.structuredContent.messages).toHaveLength(THREAD_WINDOW.maxMessages)
    expect(first.structuredContent.messages.at(-1)!.id).toBe(notes.at(-1))
    expect(first.structuredContent.earlier_messages).toBe(121 - THREAD_WINDOW.maxMessages)
    const seen: string[] = []
    let window: Window = first.structuredContent
    for (;;) {
      seen.unshift(...window.messages.map((m) => m.id))
      if (!window.earlier_before) break
      window = (await getTicket({ number: ticket.number, before: window.earlier_before })).structuredContent
    }
    expect(seen).toHaveLength(121)
    expect(seen.slice(1)).toEqual(notes)
    expect(window.earlier_messages).toBe(0)

    // draft_reply names the newest message (it named the 100th of a longer thread).
    const draft = (await client.callTool({
      name: 'draft_reply',
      arguments: { number: ticket.number, body: 'On its way.' },
    })) as { structuredContent: { last_seen_message_id: string } }
    expect(draft.structuredContent.last_seen_message_id).toBe(notes.at(-1))
  })
})
