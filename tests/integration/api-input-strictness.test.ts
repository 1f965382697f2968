import net from 'node:net'
import { deflateSync, gzipSync } from 'node:zlib'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { messages, webhookEndpoints } from '#db/schema.ts'
import { PROBLEM_BASE } from '#app/api/problem.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { rawRequest, type RawResponse } from '#tests/helpers/raw-http.ts'

// Found by probing the production build from outside (2026-12-07): the API stored a Latin-1 body
// garbled, took an empty Idempotency-Key for none and a cursor from another list, answered
// non-GET methods on its documents with Remix's own 405, and /mcp's HTTP-layer refusals were
// plain text. Each test below fails on the code before the fix.

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>
let owner: Awaited<ReturnType<typeof createMember>>
let token: string
let ticket: Awaited<ReturnType<typeof createTicketFor>>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
  owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
  ticket = await createTicketFor(owner, { customerEmail: 'first@example.net' })
  await createTicketFor(owner, { customerEmail: 'second@example.net' })
})
afterAll(async () => {
  await server?.close()
})

function expectProblem(response: RawResponse, status: number, type: string) {
  expect(response.status, response.body).toBe(status)
  expect(response.headers['content-type']).toBe('application/problem+json')
  const body = JSON.parse(response.body) as { type: string; detail: string; errors?: unknown }
  expect(body).toMatchObject({ type: PROBLEM_BASE + type, status })
  return body
}

function expectRpcError(response: RawResponse, status: number) {
  expect(response.status, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = JSON.parse(response.body) as { jsonrpc: string; error: { code: number; message: string } }
  expect(body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) }, id: null })
  expect(typeof body.error.message).toBe('string')
  return body
}

async function noteCount() {
  const [row] = await getDb()
    .select({ n: sql<number>`count(*)::int` })
    .from(messages)
    .where(and(eq(messages.ticketId, ticket.ticketId), eq(messages.kind, 'note')))
  return row!.n
}

const auth = () => ({ authorization: `Bearer ${token}` })
const notesPath = () => `/api/v1/tickets/${ticket.number}/messages`
const note = (text: string) => JSON.stringify({ kind: 'note', body: text })

function postNote(headers: Record<string, string | string[]>, body: string | Buffer) {
  return rawRequest(server.url, {
    method: 'POST',
    path: notesPath(),
    headers: { ...auth(), ...headers },
    body,
  })
}

const MCP_LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} })

function postMcp(headers: Record<string, string>, body: string | Buffer) {
  return rawRequest(server.url, {
    method: 'POST',
    path: '/mcp',
    headers: { ...auth(), accept: 'application/json, text/event-stream', ...headers },
    body,
  })
}

describe('a JSON body must be application/json in UTF-8 without a content coding', () => {
  const unreadable: Array<[string, Record<string, string>, Buffer]> = [
    [
      'Latin-1',
      { 'content-type': 'application/json; charset=iso-8859-1' },
      Buffer.from(note('Café'), 'latin1'),
    ],
    [
      'UTF-16',
      { 'content-type': 'application/json; charset=utf-16le' },
      Buffer.from(note('Café'), 'utf16le'),
    ],
    ['an empty charset', { 'content-type': 'application/json; charset=' }, Buffer.from(note('Café'))],
    [
      'gzip',
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      gzipSync(Buffer.from(note('Café'))),
    ],
    [
      'deflate',
      { 'content-type': 'application/json', 'content-encoding': 'deflate' },
      deflateSync(Buffer.from(note('Café'))),
    ],
    [
      'identity then gzip',
      { 'content-type': 'application/json', 'content-encoding': 'identity, gzip' },
      gzipSync(Buffer.from(note('Café'))),
    ],
  ]

  it.each(unreadable)(
    'the REST API refuses %s with a 415 that says what it takes, writing nothing',
    async (_name, headers, body) => {
      const before = await noteCount()
      const problem = expectProblem(await postNote(headers, body), 415, 'unsupported-media-type')
      expect(problem.detail).toContain('application/json in UTF-8, without a Content-Encoding')
      expect(await noteCount()).toBe(before)
    },
  )

  it.each(unreadable)('MCP refuses %s with a JSON-RPC 415', async (_name, headers, body) => {
    const answer = expectRpcError(await postMcp(headers, body), 415)
    expect(answer.error.message).toContain('UTF-8')
  })

  it('takes utf-8 in any case and quoted, and Content-Encoding: identity', async () => {
    for (const headers of [
      { 'content-type': 'application/json; charset=UTF-8' } as Record<string, string>,
      { 'content-type': 'application/json;charset="utf-8"' },
      { 'content-type': 'application/json', 'content-encoding': 'identity' },
    ]) {
      const response = await postNote(headers, note('Café ☕'))
      expect(response.status, response.body).toBe(201)
      expect(JSON.parse(response.body).body).toBe('Café ☕')
      expect((await postMcp(headers, MCP_LIST)).status).toBe(200)
    }
  })

  it('refuses bytes that are not UTF-8 (sent without a charset) instead of storing U+FFFD', async () => {
    const before = await noteCount()
    const latin1 = Buffer.from(note('Café'), 'latin1')
    const problem = expectProblem(
      await postNote({ 'content-type': 'application/json' }, latin1),
      400,
      'bad-request',
    )
    expect(problem.detail).toBe('The body is not valid UTF-8.')
    expect(await noteCount()).toBe(before)
    const mcp = expectRpcError(
      await postMcp(
        { 'content-type': 'application/json' },
        Buffer.from(MCP_LIST.replace('list', 'lïst'), 'latin1'),
      ),
      400,
    )
    expect(mcp.error.code).toBe(-32700)
  })
})

describe('a method an /api resource does not answer', () => {
  it.each([['/api/v1/openapi.json'], ['/api/docs'], ['/api/docs/swagger-ui.css']])(
    '%s: POST, PUT, PATCH and DELETE are a problem+json 405 with Allow: GET, HEAD',
    async (path) => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const response = await rawRequest(server.url, {
          method,
          path,
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
        expectProblem(response, 405, 'method-not-allowed')
        expect(response.headers.allow, `${method} ${path}`).toBe('GET, HEAD')
      }
      expect((await rawRequest(server.url, { path })).status).toBe(200)
    },
  )

  it('GET on an action-only route names the methods it takes, HEAD wherever GET is', async () => {
    const hook = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/methods', events: ['ticket.created'] },
    })
    expect(hook.status).toBe(201)
    const id = hook.json.id as string
    const zero = '00000000-0000-4000-8000-000000000000'
    for (const [method, path, allow] of [
      ['GET', `/api/v1/webhooks/${id}/rotate-secret`, 'POST'],
      ['GET', `/api/v1/webhooks/${id}/deliveries/${zero}/redeliver`, 'POST'],
      ['GET', `/api/v1/webhooks/${id}`, 'PATCH, DELETE'],
      ['POST', '/api/v1/tags', 'GET, HEAD'],
      ['DELETE', '/api/v1/tickets', 'GET, HEAD, POST'],
    ]) {
      const response = await rawRequest(server.url, { method, path, headers: auth() })
      expectProblem(response, 405, 'method-not-allowed')
      expect(response.headers.allow, `${method} ${path}`).toBe(allow)
    }
  })
})

describe('Idempotency-Key', () => {
  it.each([
    ['empty', ''],
    ['white space only', '   '],
    ['over 255 characters', 'k'.repeat(256)],
    ['given in two headers', ['same-key', 'same-key']],
  ])('%s is a 400 naming the header, and nothing is written', async (_name, key) => {
    const before = await noteCount()
    for (let i = 0; i < 2; i++) {
      const response = await postNote(
        { 'content-type': 'application/json', 'idempotency-key': key },
        note('Once'),
      )
      const problem = expectProblem(response, 400, 'validation')
      expect(problem.errors).toEqual([{ field: 'Idempotency-Key', message: expect.stringContaining('one') }])
    }
    expect(await noteCount()).toBe(before)
  })
})

describe('cursors', () => {
  const forged = Buffer.from(
    JSON.stringify(['2099-01-01T00:00:00.000000Z', '00000000-0000-0000-0000-000000000000']),
  ).toString('base64url')

  it('a cursor is bound to the list that gave it out', async () => {
    const tickets = await call('GET', '/api/v1/tickets?limit=1', { token })
    const contactsPage = await call('GET', '/api/v1/contacts?limit=1', { token })
    const tags = await call('PATCH', `/api/v1/tickets/${ticket.number}`, {
      token,
      body: { tags: ['a', 'b'] },
    })
    expect(tags.status).toBe(200)
    const tagsPage = await call('GET', '/api/v1/tags?limit=1', { token })
    const ticketCursor = tickets.json.next_cursor as string
    const contactCursor = contactsPage.json.next_cursor as string
    const tagCursor = tagsPage.json.next_cursor as string
    expect([ticketCursor, contactCursor, tagCursor].every(Boolean)).toBe(true)
    // Each works on its own list…
    expect((await call('GET', `/api/v1/tickets?limit=1&cursor=${ticketCursor}`, { token })).status).toBe(200)
    expect((await call('GET', `/api/v1/contacts?limit=1&cursor=${contactCursor}`, { token })).status).toBe(
      200,
    )
    // …and nowhere else.
    for (const [path, cursor] of [
      ['/api/v1/contacts', ticketCursor],
      ['/api/v1/tickets', contactCursor],
      ['/api/v1/members', tagCursor],
      ['/api/v1/mailboxes', tagCursor],
      ['/api/v1/webhooks', tagCursor],
      ['/api/v1/tickets', forged],
      ['/api/v1/contacts', forged],
    ]) {
      const response = await rawRequest(server.url, { path: `${path}?cursor=${cursor}`, headers: auth() })
      expectProblem(response, 400, 'invalid-cursor')
    }
  })

  it('a cursor the list never gave out is invalid-cursor on every list, deliveries included', async () => {
    const hook = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/cursors', events: ['ticket.created'] },
    })
    for (const path of [
      '/api/v1/tickets',
      '/api/v1/contacts',
      '/api/v1/tags',
      '/api/v1/members',
      '/api/v1/mailboxes',
      '/api/v1/webhooks',
      `/api/v1/webhooks/${hook.json.id}/deliveries`,
      `/api/v1/tickets/${ticket.number}/messages`,
    ]) {
      for (const cursor of ['x', 'a'.repeat(500)]) {
        const response = await rawRequest(server.url, { path: `${path}?cursor=${cursor}`, headers: auth() })
        expectProblem(response, 400, 'invalid-cursor')
      }
    }
  })
})

/** A raw request whose body is chunked (no Content-Length): the answer's status line and body. */
function chunkedPost(path: string, headers: Record<string, string>) {
  const socket = net.connect(server.port, '127.0.0.1')
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')))
  socket.on('error', () => {})
  const lines = Object.entries({
    host: `127.0.0.1:${server.port}`,
    'transfer-encoding': 'chunked',
    ...headers,
  })
  socket.write(`POST ${path} HTTP/1.1\r\n${lines.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n`)
  socket.write(`${MCP_LIST.length.toString(16)}\r\n${MCP_LIST}\r\n0\r\n\r\n`)
  return new Promise<RawResponse>((resolve) => {
    const done = () => {
      const [head = '', body = ''] = received.split('\r\n\r\n')
      const headerLines = head.split('\r\n')
      const status = Number(headerLines[0]?.split(' ')[1])
      const parsed = Object.fromEntries(
        headerLines
          .slice(1)
          .map((line) => [
            line.slice(0, line.indexOf(':')).toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
      )
      socket.destroy()
      resolve({ status, headers: parsed, body })
    }
    socket.on('close', done)
    socket.on('data', () => {
      if (/\r\n\r\n[\s\S]*\}$/.test(received)) done()
    })
  })
}

describe('/mcp refusals made before the MCP handler are JSON-RPC errors', () => {
  const headers = () => ({
    ...auth(),
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  })

  it('411 for a chunked body (no Content-Length)', async () => {
    expectRpcError(await chunkedPost('/mcp', headers()), 411)
  })

  it('413 for a Content-Length over the limit', async () => {
    const large = await rawRequest(server.url, {
      method: 'POST',
      path: '/mcp',
      // The body is never sent: the connection must not go back to the agent's pool.
      headers: { ...headers(), 'content-length': String(2 * 1024 * 1024), connection: 'close' },
    }).catch((error: unknown) => error)
    expect(large).toMatchObject({ status: 413 })
    expectRpcError(large as RawResponse, 413)
  })

  it('400 for an unknown Host, 405 for a method no route takes; other paths keep their shapes', async () => {
    const host = { ...headers(), host: 'rebind.evil.example' }
    expectRpcError(
      await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: host, body: MCP_LIST }),
      400,
    )
    const propfind = await rawRequest(server.url, { method: 'PROPFIND', path: '/mcp', headers: headers() })
    expect(expectRpcError(propfind, 405).error.code).toBe(-32000)
    const page = await rawRequest(server.url, { method: 'PROPFIND', path: '/login' })
    expect(page.headers['content-type']).toMatch(/^text\/plain/)
  })
})

describe('webhook URLs, empty changes, limits and tag names', () => {
  it('refuses port 0, and takes example.com. for example.com (a duplicate)', async () => {
    const zero = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://example.com:0/hook', events: ['ticket.created'] },
    })
    expect(zero.status).toBe(422)
    expect(zero.json.errors).toEqual([{ field: 'url', message: 'Use a port from 1 to 65535' }])
    const first = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://example.com./hook', events: ['ticket.created'] },
    })
    expect(first.status).toBe(201)
    expect(first.json.url).toBe('https://example.com/hook')
    const again = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://example.com/hook', events: ['ticket.created'] },
    })
    expect(again.status).toBe(409)
    expect(again.json.webhook_id).toBe(first.json.id)
    const [row] = await getDb()
      .select({ url: webhookEndpoints.url })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, first.json.id as string))
    expect(row!.url).toBe('https://example.com/hook')
  })

  it('PATCH with nothing to change is a 400 on webhooks as on tickets', async () => {
    const hook = await call('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://hooks.example.com/empty', events: ['ticket.created'] },
    })
    for (const path of [`/api/v1/webhooks/${hook.json.id}`, `/api/v1/tickets/${ticket.number}`]) {
      const response = await call('PATCH', path, { token, body: {} })
      expect(response.status, path).toBe(400)
      expect(response.json).toMatchObject({
        type: `${PROBLEM_BASE}validation`,
        errors: [{ field: '', message: 'Change at least one field' }],
      })
    }
  })

  it('a huge limit gets one clear message', async () => {
    const response = await call('GET', '/api/v1/tickets?limit=99999999999999999999', { token })
    expect(response.status).toBe(400)
    expect(response.json.detail).toBe('Check limit: limit must be between 1 and 100.')
    expect(response.json.errors).toEqual([{ field: 'limit', message: 'limit must be between 1 and 100' }])
    const half = await call('GET', '/api/v1/tickets?limit=2.5', { token })
    expect(half.json.detail).toBe('Check limit: limit must be a whole number.')
  })

  it('a tag of combining marks only is refused', async () => {
    const response = await call('PATCH', `/api/v1/tickets/${ticket.number}`, {
      token,
      body: { tags: ['\u0301'] },
    })
    expect(response.status).toBe(400)
    expect(response.json.errors).toEqual([{ field: 'tags.0', message: 'Type a tag name' }])
  })
})
