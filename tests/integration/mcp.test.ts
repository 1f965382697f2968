import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, messages, tickets } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { TOOL_NAMES } from '#app/mcp/tools.server.ts'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

let server: Awaited<ReturnType<typeof startTestServer>>
let owner: Awaited<ReturnType<typeof createMember>>
let token: string
const clients: Client[] = []

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
})
afterAll(async () => {
  for (const client of clients) await client.close()
  await server.close()
  await stopQueue()
})

/** An MCP client from the official SDK, over Streamable HTTP, with a Bearer token. */
async function connect(bearer: string) {
  const client = new Client({ name: 'switchboard-test', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${bearer}` } },
  })
  await client.connect(transport)
  clients.push(client)
  return client
}

type ToolResult = {
  isError?: boolean
  structuredContent?: any
  content: Array<{ type: string; text?: string }>
}

async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as ToolResult
}

describe('MCP over Streamable HTTP', () => {
  it('refuses a request without a valid token: 401 with a Bearer challenge', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    })
    for (const authorization of [undefined, 'Bearer sb_pat_nope', 'Basic dXNlcjpwYXNz']) {
      const res = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          // A browser on another site: the origin check must not be what answers.
          origin: 'https://evil.example',
          ...(authorization ? { authorization } : {}),
        },
        body,
      })
      expect(res.status, String(authorization)).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /)
    }
    // The SDK's client sees the same refusal.
    await expect(connect('sb_pat_000000000000000000000000000000000000')).rejects.toThrow()
  })

  it('lists the tools and calls each one', async () => {
    const client = await connect(token)
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort())
    const ticket = await createTicketFor(owner, {
      subject: 'Kettle never arrived',
      customerEmail: 'kim@example.net',
    })

    const search = await callTool(client, 'search_tickets', { status: 'open', q: 'kettle' })
    expect(search.isError).toBeFalsy()
    expect(search.structuredContent.data.map((t: { number: number }) => t.number)).toContain(ticket.number)

    const got = await callTool(client, 'get_ticket', { number: ticket.number })
    expect(got.structuredContent.ticket).toMatchObject({
      number: ticket.number,
      subject: 'Kettle never arrived',
    })
    expect(got.structuredContent.messages).toHaveLength(1)
    const lastSeen = got.structuredContent.messages[0].id as string

    const views = await callTool(client, 'list_views', {})
    expect(views.structuredContent.views).toEqual(
      expect.arrayContaining([expect.objectContaining({ view: 'unassigned', count: 1 })]),
    )

    const note = await callTool(client, 'add_note', {
      number: ticket.number,
      body: 'Checking with the courier',
    })
    expect(note.structuredContent).toMatchObject({ kind: 'note', body: 'Checking with the courier' })

    const draft = await callTool(client, 'draft_reply', { number: ticket.number, body: 'It ships today.' })
    expect(draft.structuredContent).toMatchObject({
      sent: false,
      to: 'kim@example.net',
      body: 'It ships today.',
    })
    expect(draft.structuredContent.last_seen_message_id).toBe(note.structuredContent.id)

    // The collision rule: someone (the note above) wrote after lastSeen, so nothing is sent.
    const collided = await callTool(client, 'send_reply', {
      number: ticket.number,
      body: 'It ships today.',
      last_seen_message_id: lastSeen,
    })
    expect(collided.isError).toBe(true)
    expect(collided.structuredContent).toMatchObject({ status: 409 })
    const sent = await callTool(client, 'send_reply', {
      number: ticket.number,
      body: 'It ships today.',
      status: 'pending',
      last_seen_message_id: draft.structuredContent.last_seen_message_id,
    })
    expect(sent.structuredContent).toMatchObject({ kind: 'reply', body: 'It ships today.' })

    const updated = await callTool(client, 'update_ticket', {
      number: ticket.number,
      changes: { priority: 'high', tags: ['shipping'], assignee_id: owner.user.id },
    })
    expect(updated.structuredContent).toMatchObject({
      priority: 'high',
      status: 'pending',
      assignee: { id: owner.user.id },
    })

    const contacts = await callTool(client, 'lookup_contact', { q: 'kim@' })
    expect(contacts.isError, JSON.stringify(contacts.content)).toBeFalsy()
    const kim = contacts.structuredContent.data[0]
    expect(kim).toMatchObject({ email: 'kim@example.net' })
    expect((await callTool(client, 'lookup_contact', { id: kim.id })).structuredContent).toMatchObject({
      id: kim.id,
    })

    const replies = await getDb()
      .select({ kind: messages.kind })
      .from(messages)
      .where(eq(messages.ticketId, ticket.ticketId))
    expect(replies.map((m) => m.kind).sort()).toEqual(['note', 'reply', 'reply'])
    // Every call is audited, with its outcome.
    const audited = await getDb()
      .select({ tool: auditEvents.targetId, data: auditEvents.data })
      .from(auditEvents)
      .where(and(eq(auditEvents.workspaceId, owner.workspace.id), eq(auditEvents.action, 'mcp.tool-called')))
    expect(new Set(audited.map((a) => a.tool))).toEqual(new Set(TOOL_NAMES))
    expect(audited.find((a) => (a.data as { ok: boolean }).ok === false)).toMatchObject({
      tool: 'send_reply',
    })
  })

  it('validates tool input with the API’s schemas', async () => {
    const client = await connect(token)
    const bad = await callTool(client, 'update_ticket', { number: 1, changes: { status: 'exploded' } })
    expect(bad.isError).toBe(true)
    const empty = await callTool(client, 'add_note', { number: 1, body: '' })
    expect(empty.isError).toBe(true)
  })

  it('needs the operation’s scope: a read-only token can search but not write', async () => {
    const readOnly = (await apiTokenFor(owner, { scopes: ['tickets:read'] })).token
    const client = await connect(readOnly)
    const ticket = await createTicketFor(owner)
    expect((await callTool(client, 'get_ticket', { number: ticket.number })).isError).toBeFalsy()
    const refused = await callTool(client, 'add_note', { number: ticket.number, body: 'Not allowed' })
    expect(refused.isError).toBe(true)
    expect(refused.structuredContent).toMatchObject({
      status: 403,
      type: expect.stringMatching(/insufficient-scope$/),
    })
    expect((await callTool(client, 'lookup_contact', { q: 'x' })).structuredContent).toMatchObject({
      status: 403,
    })
    const notes = await getDb().select().from(messages).where(eq(messages.ticketId, ticket.ticketId))
    expect(notes).toHaveLength(1)
  })

  it('cannot see or change another workspace’s tickets', async () => {
    const stranger = await createMember('owner')
    const theirs = await createTicketFor(stranger, { subject: 'Private matter' })
    const client = await connect(token)
    const got = await callTool(client, 'get_ticket', { number: theirs.number + 500 })
    expect(got.structuredContent).toMatchObject({ status: 404 })
    // Same number in both workspaces: ours answers, theirs is untouched.
    const updated = await callTool(client, 'update_ticket', {
      number: theirs.number,
      changes: { priority: 'urgent' },
    })
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, theirs.ticketId))
    expect(row!.priority).toBe('normal')
    if (!updated.isError) expect(updated.structuredContent.subject).not.toBe('Private matter')
  })

  it('refuses a JSON-RPC batch before any message runs, so a request is one tool call on one slot', async () => {
    const own = (await apiTokenFor(owner)).token
    const toolCalls = () =>
      getDb()
        .select({ id: auditEvents.id })
        .from(auditEvents)
        .where(
          and(eq(auditEvents.workspaceId, owner.workspace.id), eq(auditEvents.action, 'mcp.tool-called')),
        )
    const before = (await toolCalls()).length
    const post = (body: unknown) =>
      fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${own}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          // The one revision whose transport allowed batches.
          'mcp-protocol-version': '2025-03-26',
        },
        body: JSON.stringify(body),
      })
    const search = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'search_tickets', arguments: {} },
    })
    for (const batch of [
      Array.from({ length: 100 }, (_, i) => search(i + 1)),
      [search(1)],
      [{ jsonrpc: '2.0', method: 'notifications/initialized' }],
      [],
    ]) {
      const res = await post(batch)
      expect(res.status, `${batch.length} messages`).toBe(400)
      expect(await res.json()).toEqual({
        jsonrpc: '2.0',
        error: {
          code: -32600,
          message: 'Invalid Request: JSON-RPC batches are not supported by this endpoint',
        },
        id: null,
      })
    }
    // No tool ran; each refused batch took the one slot its request took.
    expect((await toolCalls()).length).toBe(before)
    const single = await post(search(7))
    expect(single.status).toBe(200)
    expect(single.headers.get('ratelimit-remaining')).toBe(
      String(Number(single.headers.get('ratelimit-limit')) - 5),
    )
    expect((await toolCalls()).length).toBe(before + 1)
  })

  it('answers valid JSON that is not a JSON-RPC message with -32600 Invalid Request, not -32700 Parse error', async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(body),
      })
    const list = { method: 'tools/list', params: {} }
    for (const [body, id] of [
      [{ jsonrpc: '1.0', id: 1, ...list }, 1],
      [{ id: 2, ...list }, 2],
      [{ jsonrpc: '2.0', id: null, ...list }, null],
      [{ jsonrpc: '2.0', id: {}, ...list }, null],
      [{ jsonrpc: '2.0', id: 1.5, ...list }, null],
      [{ jsonrpc: '2.0', id: 3, method: 42 }, 3],
      [{ jsonrpc: '2.0', id: 4 }, 4],
      [{ jsonrpc: '2.0' }, null],
    ] as const) {
      const res = await post(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      const answer = (await res.json()) as { error: { code: number; message: string }; id: unknown }
      expect(answer.error.code, JSON.stringify(body)).toBe(-32600)
      expect(answer.error.message).toMatch(/^Invalid Request: /)
      expect(answer.id).toBe(id)
    }
    // Broken JSON is still a parse error; a well-formed request still runs.
    const broken = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{"jsonrpc": "2.0", ',
    })
    expect(((await broken.json()) as { error: { code: number } }).error.code).toBe(-32700)
    expect((await post({ jsonrpc: '2.0', id: 'a', ...list })).status).toBe(200)
  })

  it('answers GET and DELETE with 405 (stateless, no sessions)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${server.url}/mcp`, { method, headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(405)
    }
  })
})
