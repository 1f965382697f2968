import fs from 'node:fs'
import http from 'node:http'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, tickets } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { MAX_JSON_DEPTH } from '#app/http/json-input.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { rowsReturnedBy } from '#tests/helpers/db-reads.ts'
import { captureProcessLog } from '#tests/helpers/captured-log.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { rawRequest } from '#tests/helpers/raw-http.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Requests found by probing the running app from outside (2026-12-03): each was answered with a
// 500 and an error-level log line (a stack trace), or reached PostgreSQL with input it refuses.
// Every case here must be answered as the client's mistake (4xx), change nothing, and log
// nothing at error level. The process logger is swapped for one that writes into `lines`.
let log: ReturnType<typeof captureProcessLog>
let lines: string[] = []
let server: Awaited<ReturnType<typeof startTestServer>>
let owner: Awaited<ReturnType<typeof createMember>>
let token: string
let api: ReturnType<typeof apiClient>

beforeAll(async () => {
  log = captureProcessLog()
  lines = log.lines
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  owner = await createMember('owner')
  token = (await apiTokenFor(owner)).token
  api = apiClient(server.url)
})
afterAll(async () => {
  await server?.close()
  await stopQueue()
  log.restore()
})

/** Error-level (50+) lines logged while `run` ran, after its request line was written. */
async function errorsLoggedBy<T>(run: () => Promise<T>) {
  const from = lines.length
  const result = await run()
  await expect
    .poll(() => lines.slice(from).some((l) => l.includes('"msg":"request"')), { timeout: 2_000 })
    .toBe(true)
  const errors = lines.slice(from).filter((l) => (JSON.parse(l) as { level: number }).level >= 50)
  return { result, errors }
}

const origin = () => ({ origin: server.url })

describe('methods the app does not answer', () => {
  // Each resource's own methods (OPTIONS answers 204 with the same: api-methods-and-bodies.test.ts).
  const paths: Record<string, string> = {
    '/login': 'GET, HEAD, POST',
    '/w/nowhere/tickets': 'GET, HEAD, POST',
    '/api/v1/tickets': 'GET, HEAD, POST',
    '/webhooks/sendgrid/inbound/x': 'POST',
    '/mcp': 'POST',
    '/favicon.svg': 'GET, HEAD',
  }
  it.each(['TRACE', 'PROPFIND', 'M-SEARCH', 'PURGE'])(
    '%s: 405 with the resource’s Allow, on every kind of path',
    async (method) => {
      for (const [path, allow] of Object.entries(paths)) {
        const { result, errors } = await errorsLoggedBy(() =>
          rawRequest(server.url, { method, path, headers: origin() }),
        )
        expect(result.status, `${method} ${path}`).toBe(405)
        expect(result.headers.allow, path).toBe(allow)
        if (path.startsWith('/api/'))
          expect(result.headers['content-type']).toContain('application/problem+json')
        expect(result.body).not.toMatch(/TypeError|at \w+ \(/)
        expect(errors, `${method} ${path}`).toEqual([])
      }
    },
  )

  it('a POST to a route without an action is a 405, logged as a request only', async () => {
    for (const path of [`/w/${owner.workspace.slug}/palette`, `/w/${owner.workspace.slug}/palette.data`]) {
      const { result, errors } = await errorsLoggedBy(() =>
        rawRequest(server.url, {
          method: 'POST',
          path,
          body: 'q=x',
          headers: { ...origin(), cookie: owner.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        }),
      )
      expect(result.status, path).toBe(405)
      expect(errors, path).toEqual([])
    }
  })

  it("the 405 page says so in words, not with Remix's message for developers naming the route module", async () => {
    const result = await rawRequest(server.url, {
      method: 'POST',
      path: `/w/${owner.workspace.slug}/settings`,
      body: 'intent=rename',
      headers: { ...origin(), cookie: owner.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(result.status).toBe(405)
    const shown = /<main[\s\S]*?<\/main>/.exec(result.body)?.[0] ?? ''
    expect(shown).toContain('This page does not take that request.')
    expect(shown).not.toMatch(/did not provide an|routes\//)
  })
})

describe("Remix's legacy _data parameter", () => {
  it.each([
    '/login?_data=routes%2Flogin',
    '/login?x=1&_data',
    '/login?%5Fdata=routes%2Flogin',
    '/api/v1/tickets?_data=x',
  ])('%s: 400, not a legacy code path', async (path) => {
    const { result, errors } = await errorsLoggedBy(() => rawRequest(server.url, { path, headers: origin() }))
    expect(result.status).toBe(400)
    expect(errors).toEqual([])
  })

  it('a signed-in page with _data is refused too, and the page itself still renders', async () => {
    const { number } = await createTicketFor(owner)
    const page = `/w/${owner.workspace.slug}/tickets/${number}`
    const headers = { cookie: owner.cookie }
    const refused = await rawRequest(server.url, {
      path: `${page}?_data=routes%2Fw.%24slug.tickets.%24number`,
      headers,
    })
    expect(refused.status).toBe(400)
    expect((await rawRequest(server.url, { path: page, headers })).status).toBe(200)
    // A parameter that merely contains the name is not it.
    expect((await rawRequest(server.url, { path: `${page}?from=_data`, headers })).status).toBe(200)
  })
})

describe('a client error reported by a library (http-errors)', () => {
  it('a Range past the end of a file is a 416, not a 500', async () => {
    const size = fs.statSync('build/client/favicon.svg').size
    const asset = fs.readdirSync('build/client/assets').find((f) => f.endsWith('.js'))!
    for (const [path, range] of [
      ['/favicon.svg', `bytes=${size + 100}-${size + 200}`],
      [`/assets/${asset}`, 'bytes=99999999-'],
    ]) {
      const { result, errors } = await errorsLoggedBy(() =>
        rawRequest(server.url, { path, headers: { range } }),
      )
      expect(result.status, path).toBe(416)
      expect(result.body).toBe('Range Not Satisfiable')
      expect(errors, path).toEqual([])
    }
    // A satisfiable range still works.
    const partial = await rawRequest(server.url, { path: '/favicon.svg', headers: { range: 'bytes=0-9' } })
    expect(partial.status).toBe(206)
    expect(partial.body).toHaveLength(10)
  })
})

describe('paths no route matches', () => {
  it.each(['/foo/bar', '/w//tickets', '//etc/passwd', '/w/nowhere/tickets/1/nothing'])(
    '%s: 404, logged as a request only',
    async (path) => {
      const { result, errors } = await errorsLoggedBy(() =>
        rawRequest(server.url, { path, headers: { cookie: owner.cookie } }),
      )
      expect(result.status).toBe(404)
      expect(errors).toEqual([])
    },
  )
})

describe('a queue query string inside another parameter, with NUL in its search', () => {
  // `from` carries the queue's query string (Previous/Next, Send & next): decoded once more when it
  // is read, so a NUL the request's own query string did not show reached PostgreSQL (a 500).
  const from = (q: string) => encodeURIComponent(`view=all&q=${q}`)
  it.each([
    ['NUL in the parameter', 'view%3Dall%26q%3D%00'],
    ['NUL in the query string it carries', from('%00')],
    ['NUL between words', from('refund%00now')],
  ])('Previous/Next with %s: a redirect, the search without it', async (_, value) => {
    const ticket = await createTicketFor(owner, { subject: 'Refund now please' })
    for (const suffix of ['', '.data']) {
      const path = `/w/${owner.workspace.slug}/tickets/${ticket.number}/beside/next${suffix}?from=${value}`
      const { result, errors } = await errorsLoggedBy(() =>
        rawRequest(server.url, { path, headers: { cookie: owner.cookie } }),
      )
      expect([302, 202]).toContain(result.status)
      expect(errors).toEqual([])
    }
  })

  it('Send & next with NUL in the queue it came from: the reply is sent and the next ticket opens', async () => {
    const ticket = await createTicketFor(owner, { subject: 'First in the search' })
    await createTicketFor(owner, { subject: 'Second in the search' })
    const { result, errors } = await errorsLoggedBy(() =>
      fetch(`${server.url}/w/${owner.workspace.slug}/tickets/${ticket.number}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: owner.cookie, ...origin() },
        body: new URLSearchParams({
          intent: 'reply-next',
          kind: 'note',
          body: 'Done here.',
          from: 'view=all&q=in%00the%2500search',
        }),
      }),
    )
    expect(result.status).toBe(302)
    expect(result.headers.get('location')).toMatch(new RegExp(`^/w/${owner.workspace.slug}/tickets`))
    expect(errors).toEqual([])
  })
})

describe('REST API input that PostgreSQL would refuse', () => {
  it.each(['/api/v1/tickets?q=%00', '/api/v1/contacts?q=a%00b', '/api/v1/tickets?status=open%00'])(
    'NUL in the query string (%s): 400 naming the parameter',
    async (path) => {
      const { result, errors } = await errorsLoggedBy(() => api('GET', path, { token }))
      expect(result.status).toBe(400)
      expect(result.json.type).toMatch(/validation$/)
      expect(result.json.errors[0].message).toBe('Must not contain NUL characters')
      expect(errors).toEqual([])
    },
  )

  it.each([
    '0000-01-01T00:00:00Z',
    '2026-01-01T00:00:00+16:00',
    '9999-12-31T23:59:59-23:59',
    '2026-06-01T12:00:00+9959',
  ])('updated_since=%s, an ISO time PostgreSQL refuses: 400 naming it, not a 500', async (time) => {
    const path = `/api/v1/tickets?updated_since=${encodeURIComponent(time)}`
    const { result, errors } = await errorsLoggedBy(() => api('GET', path, { token }))
    expect(result.status).toBe(400)
    expect(result.json.type).toMatch(/validation$/)
    expect(result.json.errors).toEqual([
      { field: 'updated_since', message: 'updated_since must be an ISO 8601 time' },
    ])
    expect(errors).toEqual([])
  })

  it('updated_since at the edges PostgreSQL accepts still filters', async () => {
    for (const time of ['0001-01-01T00:00:00+15:59', '9999-12-31T23:59:59-15:59', '2026-01-01T00:00:00Z']) {
      const result = await api('GET', `/api/v1/tickets?updated_since=${encodeURIComponent(time)}`, { token })
      expect(result.status, time).toBe(200)
    }
  })

  it('a lone surrogate in a JSON string becomes U+FFFD instead of failing the audit row', async () => {
    const email = `surrogate-${Date.now()}@example.org`
    const { result, errors } = await errorsLoggedBy(() =>
      api('POST', '/api/v1/contacts', { token, body: `{"email":"${email}","name":"Ana \\ud800 \\udc00x"}` }),
    )
    expect(result.status).toBe(201)
    expect(errors).toEqual([])
    const [row] = await getDb()
      .select({ name: contacts.name })
      .from(contacts)
      .where(eq(contacts.email, email))
    expect(row.name).toBe('Ana \ufffd \ufffdx')

    const { number } = await createTicketFor(owner)
    const patched = await api('PATCH', `/api/v1/tickets/${number}`, { token, body: '{"subject":"x\\ud800"}' })
    expect(patched.status).toBe(200)
    expect(patched.json.subject).toBe('x\ufffd')
    // A well-formed pair is kept as it is.
    const pair = await api('PATCH', `/api/v1/tickets/${number}`, {
      token,
      body: '{"subject":"ok \\ud83d\\ude00"}',
    })
    expect(pair.json.subject).toBe('ok 😀')
  })

  it(`a body nested deeper than ${MAX_JSON_DEPTH} levels is a 400, even 100,000 deep`, async () => {
    const before = await getDb().$count(tickets)
    for (const depth of [MAX_JSON_DEPTH + 1, 100_000]) {
      const body = `${'['.repeat(depth)}${']'.repeat(depth)}`
      const { result, errors } = await errorsLoggedBy(() => api('POST', '/api/v1/tickets', { token, body }))
      expect(result.status, String(depth)).toBe(400)
      expect(result.json.detail).toContain(`more than ${MAX_JSON_DEPTH} levels`)
      expect(errors).toEqual([])
    }
    expect(await getDb().$count(tickets)).toBe(before)
  })

  it.each(['0x10', '+16', '016', '%2016', '1e1', '16.0'])(
    'ticket number %s is not ticket 16: 404',
    async (spelling) => {
      const result = await api('GET', `/api/v1/tickets/${spelling}`, { token })
      expect(result.status).toBe(404)
    },
  )
})

describe('MCP requests that never reach a tool', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    rawRequest(server.url, {
      method: 'POST',
      path: '/mcp',
      body,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
    })

  it.each([
    ['malformed JSON', '{bad', {}, 400, -32700],
    ['a JSON null', 'null', {}, 400, -32700],
    // No content coding is taken (as on the REST API): refused before anything inflates it.
    ['gzip that is not gzip', '{"jsonrpc":"2.0"}', { 'content-encoding': 'gzip' }, 415, -32600],
    ['an unknown encoding', '{"jsonrpc":"2.0"}', { 'content-encoding': 'br, zz' }, 415, -32600],
  ] as const)(
    '%s: a JSON-RPC error with a 4xx, nothing logged as an error',
    async (_case, body, headers, status, code) => {
      const { result, errors } = await errorsLoggedBy(() => post(body, headers))
      expect(result.status).toBe(status)
      expect(JSON.parse(result.body).error.code).toBe(code)
      expect(errors).toEqual([])
    },
  )

  it('a body is not parsed before the token is checked', async () => {
    const result = await post('{bad', { authorization: 'Bearer sb_pat_nope' })
    expect(result.status).toBe(401)
  })

  it('NUL in a tool argument is invalid params (-32602), and the tool does not run', async () => {
    const { number } = await createTicketFor(owner)
    const call = (args: Record<string, unknown>, name: string) =>
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } })
    for (const [name, args] of [
      ['search_tickets', { q: '\u0000' }],
      ['lookup_contact', { q: 'a\u0000' }],
      ['add_note', { number, body: 'nul \u0000 byte' }],
      ['update_ticket', { number, changes: { subject: 'a\u0000b' } }],
    ] as const) {
      const { result, errors } = await errorsLoggedBy(() => post(call(args, name)))
      expect(result.status, name).toBe(400)
      const answer = JSON.parse(result.body)
      expect(answer.id).toBe(7)
      expect(answer.error.code).toBe(-32602)
      expect(answer.error.message).toContain('must not contain nul characters')
      expect(errors, name).toEqual([])
    }
    const [row] = await getDb()
      .select({ subject: tickets.subject })
      .from(tickets)
      .where(eq(tickets.number, number))
    expect(row.subject).not.toContain('\u0000')
  })
})

describe('a keep-alive connection after a response that did not read the whole body', () => {
  // A client that reuses its connection (every pooled HTTP client does) sent its next request
  // behind the unread rest of a refused body: it waited ~6 s, then the connection was reset.
  const big = 'x'.repeat(400_000)

  type Sent = { method: string; path: string; headers: Record<string, string>; body?: string }

  function onOneConnection(requests: Sent[]) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const { hostname, port } = new URL(server.url)
    const sockets = new Set<unknown>()
    const send = (r: Sent) =>
      new Promise<{ status: number; ms: number }>((resolve, reject) => {
        const started = Date.now()
        const request = http.request(
          {
            agent,
            host: hostname,
            port,
            method: r.method,
            path: r.path,
            headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body ?? '')) },
          },
          (response) => {
            sockets.add(response.socket)
            response.resume()
            response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: Date.now() - started }))
          },
        )
        request.setTimeout(3_000, () => request.destroy(new Error('no answer within 3 s')))
        request.on('error', reject)
        request.end(r.body ?? '')
      })
    return (async () => {
      const answers = []
      for (const r of requests) answers.push(await send(r))
      agent.destroy()
      return { answers, connections: sockets.size }
    })()
  }

  it.each([
    ['an API body of the wrong type (415)', '/api/v1/tickets', 'text/plain', 415],
    ['a page route without an action (405)', '/w/SLUG/palette', 'application/x-www-form-urlencoded', 405],
    [
      "another workspace's page (404 before the form is read)",
      '/w/nowhere/tickets/new',
      'application/x-www-form-urlencoded',
      404,
    ],
    ['a page form of the wrong type (415)', '/login', 'text/plain', 415],
  ])('%s: the next request on the connection is answered at once', async (_name, rawPath, type, status) => {
    const path = rawPath.replace('SLUG', owner.workspace.slug)
    const headers = {
      ...origin(),
      cookie: owner.cookie,
      authorization: `Bearer ${token}`,
      'content-type': type,
    }
    const next: Sent = path.startsWith('/api/')
      ? { method: 'GET', path: '/api/v1/tags', headers: { authorization: `Bearer ${token}` } }
      : { method: 'GET', path: '/login', headers: {} }
    const { result, errors } = await errorsLoggedBy(() =>
      onOneConnection([{ method: 'POST', path, headers, body: big }, next]),
    )
    expect(result.answers.map((a) => a.status)).toEqual([status, 200])
    expect(result.connections).toBe(1)
    expect(errors).toEqual([])
  })
})

describe('a small multipart form that busboy refuses twice', () => {
  // Probed 2026-12-05: one unauthenticated post to the support form ended the production
  // process. A multipart body of up to 256 KB is given to busboy in one write; a malformed part
  // header (a NUL in it) and then the missing closing delimiter made busboy emit two 'error's,
  // and the listener that took the first was gone for the second: an uncaught exception.
  const body = [
    '--XX',
    'Content-Disposition: form-data; name="subject"',
    '',
    'Hello',
    '--XX',
    'Content-Disposition: form-data; name="files"; filename="a\u0000.txt"',
    '',
    'unterminated',
  ].join('\r\n')

  it.each([
    ['the public support form', () => `/support/${owner.workspace.slug}`],
    ['the ticket page', () => `/w/${owner.workspace.slug}/tickets/1`],
    ['New ticket', () => `/w/${owner.workspace.slug}/tickets/new`],
  ])('%s answers 400 "could not be read" and the process stays up', async (_name, path) => {
    await createTicketFor(owner)
    const { result, errors } = await errorsLoggedBy(() =>
      rawRequest(server.url, {
        method: 'POST',
        path: path(),
        headers: { ...origin(), cookie: owner.cookie, 'content-type': 'multipart/form-data; boundary=XX' },
        body,
      }),
    )
    expect(result.status).toBe(400)
    expect(result.body).toContain('The upload could not be read')
    expect(errors).toEqual([])
    expect((await rawRequest(server.url, { path: '/healthz' })).status).toBe(200)
  })
})

describe('a large multipart form whose part header busboy refuses mid-body', () => {
  // Probed 2026-12-05: bodies over 256 KB stream through busboy; a malformed part header (a NUL
  // in it, a header over busboy's limit) failed the pipeline, which cancelled the request body,
  // and Remix's body stream destroyed the socket: the client got a connection reset, not a 400.
  const part = (name: string, value: string) =>
    `--XX\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  const bodies = [
    ['a NUL in a part header', `--XX\r\nContent-Disposition: form-data; name="a"\u0000\r\n\r\nx\r\n`],
    [
      'a part header over the limit',
      `--XX\r\nContent-Disposition: form-data; name="a"\r\nX: ${'y'.repeat(100_000)}\r\n\r\nx\r\n`,
    ],
  ] as const

  it.each(bodies)(
    '%s: 400 "could not be read", and the connection carries the next request',
    async (_name, head) => {
      await createTicketFor(owner)
      const body = head + part('pad', 'x'.repeat(300_000)) + '--XX--\r\n'
      for (const path of [`/support/${owner.workspace.slug}`, `/w/${owner.workspace.slug}/tickets/1`]) {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
        const send = (method: string, target: string, payload?: string) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            const { hostname, port } = new URL(server.url)
            const request = http.request(
              {
                agent,
                host: hostname,
                port,
                method,
                path: target,
                headers: payload
                  ? {
                      ...origin(),
                      cookie: owner.cookie,
                      'content-type': 'multipart/form-data; boundary=XX',
                      'content-length': String(Buffer.byteLength(payload)),
                    }
                  : {},
              },
              (response) => {
                const chunks: Buffer[] = []
                response.on('data', (c: Buffer) => chunks.push(c))
                response.on('end', () =>
                  resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
                )
              },
            )
            request.setTimeout(5_000, () => request.destroy(new Error('no answer within 5 s')))
            request.on('error', reject)
            request.end(payload)
          })
        const { result, errors } = await errorsLoggedBy(() => send('POST', path, body))
        expect(result.status, path).toBe(400)
        expect(result.body).toContain('The upload could not be read')
        expect(errors).toEqual([])
        expect((await send('GET', '/login')).status).toBe(200)
        agent.destroy()
      }
    },
  )
})

describe('a ticket with a long thread, through the API', () => {
  // Probed 2026-12-05: a new workspace's token added 300 notes of 100 KB to one ticket in a
  // minute; then each further note read the whole 30 MB thread twice (the API's answer and the
  // webhook payload each found the new message in it), and each page of GET …/messages read it
  // all too. The rows PostgreSQL returns per request must not grow with the thread.
  it('a new note and a page of messages read a bounded number of rows, and pages still walk the thread', async () => {
    const member = await createMember('owner')
    const { token: own } = await apiTokenFor(member)
    const { ticket } = await createTicketFor(member)
    const subscribed = await api('POST', '/api/v1/webhooks', {
      token: own,
      body: { url: 'https://hooks.example.com/in', events: ['message.created'] },
    })
    expect(subscribed.status).toBe(201)
    const note = (i: number) =>
      api('POST', `/api/v1/tickets/${ticket.number}/messages`, {
        token: own,
        body: { kind: 'note', body: `Note ${i} ${'x'.repeat(2_000)}` },
      })
    for (let i = 0; i < 60; i++) expect((await note(i)).status).toBe(201)

    const added = await rowsReturnedBy(() => note(60))
    expect(added.value.status).toBe(201)
    expect(added.value.json.body).toMatch(/^Note 60 /)
    expect(added.rows).toBeLessThan(40)
    const page = await rowsReturnedBy(() =>
      api('GET', `/api/v1/tickets/${ticket.number}/messages?limit=5`, { token: own }),
    )
    expect(page.value.json.data).toHaveLength(5)
    expect(page.rows).toBeLessThan(30)

    // Pages of 7 give the whole thread (the customer's message and 61 notes), in order, once.
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const next: Awaited<ReturnType<typeof api>> = await api(
        'GET',
        `/api/v1/tickets/${ticket.number}/messages?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
        { token: own },
      )
      expect(next.status).toBe(200)
      seen.push(...next.json.data.map((m: { body: string }) => m.body.split(' ').slice(0, 2).join(' ')))
      cursor = next.json.next_cursor
    } while (cursor)
    expect(seen).toHaveLength(62)
    expect(seen.slice(1)).toEqual(Array.from({ length: 61 }, (_, i) => `Note ${i}`))
    const stale = await api('GET', `/api/v1/tickets/${ticket.number}/messages?cursor=bm9wZQ`, { token: own })
    expect(stale.status).toBe(400)
  }, 60_000)
})

describe('a request line and headers over 16 KB', () => {
  const long = (n: number) => 'x'.repeat(n)
  /** The refusal's log line, by the request id the answer carries. */
  const loggedRefusal = (requestId: string) =>
    lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.reqId === requestId && /too large/.test(String(l.msg)))

  it.each([
    ['a long address of a page', '/w/acme/tickets?q=', 20_000, 414, 'This address is too long'],
    // Past what Node reads, its parser holds only the last chunk: what was too large is not known.
    ['an address past what Node reads', '/w/acme/tickets?q=', 70_000, 431, 'The address of the page or'],
  ])(
    '%s gets an HTML page saying so, logged once with its request id',
    async (_, path, size, status, text) => {
      const { result, errors } = await errorsLoggedBy(async () => {
        const response = await rawRequest(server.url, { path: path + long(size) })
        // The request log's line for an answer from the app; the parser's refusal logs its own.
        if (size < 64 * 1024) return response
        lines.push(JSON.stringify({ level: 30, msg: 'request' }))
        return response
      })
      expect(result.status).toBe(status)
      expect(result.headers['content-type']).toMatch(/^text\/html/)
      expect(result.body).toContain(text)
      const requestId = String(result.headers['x-request-id'])
      await expect.poll(() => loggedRefusal(requestId)).toMatchObject({ status, level: 30 })
      expect(errors).toEqual([])
    },
  )

  it('headers too large get 431 with a page, the API problem+json, MCP a JSON-RPC error', async () => {
    const big = { 'x-filler': long(20_000) }
    const page = await rawRequest(server.url, { path: '/login', headers: big })
    expect(page.status).toBe(431)
    expect(page.body).toContain('This request is too large')
    const apiAnswer = await rawRequest(server.url, { path: '/api/v1/tickets', headers: big })
    expect(apiAnswer.status).toBe(431)
    expect(apiAnswer.headers['content-type']).toBe('application/problem+json')
    expect(JSON.parse(apiAnswer.body)).toMatchObject({
      status: 431,
      type: expect.stringMatching(/request-header-fields-too-large$/),
    })
    const longApi = await rawRequest(server.url, { path: `/api/v1/tickets?q=${long(20_000)}` })
    expect(longApi.status).toBe(414)
    expect(JSON.parse(longApi.body)).toMatchObject({
      status: 414,
      type: expect.stringMatching(/uri-too-long$/),
    })
    const mcp = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: big, body: '{}' })
    expect(mcp.status).toBe(431)
    expect(JSON.parse(mcp.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
    // Past what Node reads at all: a 431 with a body (a page: the path is no longer known).
    const huge = await rawRequest(server.url, {
      path: '/api/v1/tickets',
      headers: { 'x-filler': long(70_000) },
    })
    expect(huge.status).toBe(431)
    expect(huge.body).toContain('too large for Switchboard to read')
  })

  it('a head under the limit is answered as before', async () => {
    const response = await rawRequest(server.url, { path: `/login?x=${long(10_000)}` })
    expect(response.status).toBe(200)
  })
})
