import { generateKeyPairSync, sign } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { parseEnv } from '#app/env.server.ts'
import {
  EVENTS_BODY_LIMIT,
  EVENTS_BUFFERED_LIMIT,
  eventsBufferedBytes,
  FAIR_BYTES_PER_SECOND,
  LATE_AFTER_MS,
} from '#app/http/inbound.server.ts'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { heldPost } from '#tests/helpers/raw-http.ts'
import { captureAppWarnings } from '#tests/helpers/outbox.ts'

/**
 * Request bodies that start and then stall (app/http/body-deadline.server.ts), with
 * HTTP_BODY_TIMEOUT_MS at 1 s: whoever reads the body, the request is answered 408 and closed
 * at the deadline instead of Node's 300 s request timeout, and what its reader held is given back.
 */

const TIMEOUT_MS = 1000
const SECRET = 'slow-bodies-inbound-secret-0123456789'
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const warnings = captureAppWarnings()
let server: Awaited<ReturnType<typeof startTestServer>>
let token: string

beforeAll(async () => {
  process.env.HTTP_BODY_TIMEOUT_MS = String(TIMEOUT_MS)
  process.env.SENDGRID_INBOUND_SECRET = SECRET
  process.env.SENDGRID_WEBHOOK_PUBLIC_KEY = publicKey
    .export({ format: 'der', type: 'spki' })
    .toString('base64')
  envStore.__switchboardEnv = undefined
  // With Socket.IO attached: engine.io answers /socket.io/ before Express.
  server = await startTestServer()
  token = (await apiTokenFor(await createMember('owner'))).token
})
afterAll(async () => {
  await server?.close()
  delete process.env.HTTP_BODY_TIMEOUT_MS
  delete process.env.SENDGRID_INBOUND_SECRET
  delete process.env.SENDGRID_WEBHOOK_PUBLIC_KEY
  envStore.__switchboardEnv = undefined
})

/** Well-formed, fresh signature headers that pass the checks made before the body is read. */
function forgedSignature() {
  return {
    'x-twilio-email-event-webhook-signature': Buffer.alloc(71, 7).toString('base64'),
    'x-twilio-email-event-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  }
}

/**
 * A raw socket that sends a request's headers, announcing `announced` bytes of body, then
 * `firstBytes` of it, and then nothing: what it got back and when the server closed it.
 */
function stalledPost(path: string, headers: Record<string, string>, announced: number, firstBytes: string) {
  const socket = net.connect(server.port, '127.0.0.1')
  const startedAt = Date.now()
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
  socket.on('error', () => {})
  const closed = new Promise<{ afterMs: number; answer: string }>((resolve) =>
    socket.on('close', () => resolve({ afterMs: Date.now() - startedAt, answer: received })),
  )
  const lines = Object.entries({
    host: `127.0.0.1:${server.port}`,
    'content-length': String(announced),
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`)
  socket.write(`POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${firstBytes}`)
  return { closed, socket }
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), ms))])

describe('a body that stops arriving', () => {
  it.each([
    [
      'the SendGrid events webhook',
      '/webhooks/sendgrid/events',
      { 'content-type': 'application/json', ...forgedSignature() },
      '[{"ev',
    ],
    [
      'the Inbound Parse webhook',
      `/webhooks/sendgrid/inbound/${SECRET}`,
      { 'content-type': 'multipart/form-data; boundary=xyz', ...forgedSignature() },
      '--xyz\r\nContent-Disposition: form-data; name="to"\r\n\r\nsupport@',
    ],
    [
      'a form (sign-in)',
      '/login',
      { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      'email=a%40',
      // Within the sign-in's 16 KB: a longer body is refused (413) before it is read.
      10_000,
    ],
    [
      'the REST API',
      '/api/v1/tickets',
      { 'content-type': 'application/json', authorization: 'Bearer TOKEN' },
      '{"subj',
    ],
    [
      'MCP',
      '/mcp',
      {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer TOKEN',
      },
      '{"jsonrpc',
    ],
  ])(
    '%s: answered 408 and closed at the deadline',
    async (_name, path, headers, firstBytes, announced?: number) => {
      const withToken = Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name, value.replace('TOKEN', token)]),
      )
      const post = stalledPost(path, withToken, announced ?? 500_000, firstBytes)
      const result = await within(post.closed, TIMEOUT_MS + 4000)
      post.socket.destroy()
      expect(result).not.toBe('still open')
      const { afterMs, answer } = result as { afterMs: number; answer: string }
      expect(answer).toMatch(/^HTTP\/1\.1 408 /)
      expect(answer.toLowerCase()).toContain('connection: close')
      if (path.startsWith('/api/')) expect(answer).toContain('application/problem+json')
      // MCP clients parse JSON-RPC: the HTTP layer's refusal is one, as the transport's own are.
      if (path === '/mcp') {
        expect(answer).toMatch(/content-type: application\/json/i)
        expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
          jsonrpc: '2.0',
          error: { code: -32000, message: expect.stringContaining('timeout') },
          id: null,
        })
      }
      // Not before the deadline (a few bytes buy 16 KiB/s × nothing), and not much after it.
      expect(afterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
      expect(afterMs).toBeLessThan(TIMEOUT_MS + 3000)
      // What the events reader held is given back.
      await expect.poll(() => eventsBufferedBytes(), { timeout: 2000 }).toBe(0)
    },
  )

  it('Socket.IO: a long-polling POST (engine.io answers it, before Express) that trickles is closed at the deadline', async () => {
    const post = stalledPost(
      '/socket.io/?EIO=4&transport=polling',
      { 'content-type': 'text/plain;charset=UTF-8', origin: server.url },
      100_000,
      '40',
    )
    const drip = setInterval(() => post.socket.write('4'), 200)
    const result = await within(post.closed, TIMEOUT_MS + 4000)
    clearInterval(drip)
    post.socket.destroy()
    expect(result).not.toBe('still open')
    const { afterMs, answer } = result as { afterMs: number; answer: string }
    // Refused at once (WebSocket only), and the rest of the body is not waited for past the deadline.
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(afterMs).toBeLessThan(TIMEOUT_MS + 3000)
  })

  it('cuts a body that trickles: a byte every 200 ms buys no time', async () => {
    const post = stalledPost(
      '/webhooks/sendgrid/events',
      { 'content-type': 'application/json', ...forgedSignature() },
      100_000,
      '[',
    )
    const drip = setInterval(() => post.socket.write(' '), 200)
    const result = await within(post.closed, TIMEOUT_MS + 4000)
    clearInterval(drip)
    post.socket.destroy()
    expect(result).not.toBe('still open')
    expect((result as { answer: string }).answer).toMatch(/^HTTP\/1\.1 408 /)
    await expect.poll(() => eventsBufferedBytes(), { timeout: 2000 }).toBe(0)
  })

  it('leaves nothing behind on a keep-alive connection: 40 posts, no listener per post on its socket', async () => {
    const connected = new Promise<net.Socket>((resolve) => server.httpServer.once('connection', resolve))
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const post = () =>
      new Promise<number>((resolve, reject) => {
        const body = 'email=a%40example.com&password=wrong'
        const request = http.request(
          `http://127.0.0.1:${server.port}/login`,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': String(body.length),
              'sec-fetch-site': 'same-origin',
              'x-forwarded-for': '10.77.0.1',
            },
          },
          (response) => {
            response.resume()
            response.on('end', () => resolve(response.statusCode ?? 0))
          },
        )
        request.on('error', reject)
        request.end(body)
      })
    const first = await post()
    const socket = await connected
    const before = socket.listenerCount('close')
    for (let i = 0; i < 39; i++) await post()
    agent.destroy()
    expect(first).toBeGreaterThanOrEqual(200)
    // One request's worth at most, not one per post (each post's deadline watch used to stay).
    expect(socket.listenerCount('close')).toBeLessThanOrEqual(before)
  })

  it('lets a slow but steady body through past the timeout (above the minimum rate)', async () => {
    const chunk = 32 * 1024
    const chunks = 10 // 320 KB at 128 KB/s: 2.5 s, past the 1 s timeout
    const post = stalledPost(
      '/login',
      {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
        connection: 'close',
      },
      chunk * chunks,
      '',
    )
    for (let i = 0; i < chunks; i++) {
      post.socket.write(i === 0 ? 'email=' + 'a'.repeat(chunk - 6) : 'a'.repeat(chunk))
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const result = await within(post.closed, 5000)
    post.socket.destroy()
    const answer = result === 'still open' ? '' : result.answer
    // Answered by the sign-in form (its field errors), not cut.
    expect(answer).toMatch(/^HTTP\/1\.1 [2-4]\d\d /)
    expect(answer).not.toMatch(/^HTTP\/1\.1 408 /)
  })

  it('gives the events memory budget back: forged posts holding all of it are cut, then a genuine batch is recorded', async () => {
    const posts = await fillEventsBudget()
    // The timeout plus 4 s for their 4 MB at 1 MiB/s: each is answered 408, and its bytes are free.
    const answers = await within(Promise.all(posts.map((post) => post.answer)), TIMEOUT_MS + 8000)
    for (const post of posts) post.close()
    expect(answers === 'still open' ? answers : answers.map((a) => a.status)).toEqual(posts.map(() => 408))
    await expect.poll(() => eventsBufferedBytes(), { timeout: 2000 }).toBe(0)
    const body = JSON.stringify([{ sg_event_id: 'slow-1', event: 'processed', timestamp: 1_770_000_000 }])
    expect((await signedEventsPost(body)).status).toBe(200)
    // Cut connections are the client's business: nothing logged as an error.
    expect(warnings.filter((line) => Number(line.level) >= 50)).toEqual([])
  })
})

describe('the events memory budget, shared fairly', () => {
  it('forged posts holding all of it cannot keep out a genuine batch: the late ones are cut to make room', async () => {
    const posts = await fillEventsBudget()
    // Once late (their 4 MB at data-centre speed took 1 s, plus the grace), still within their
    // body deadline (the timeout plus 4 s): they hold it all, as forged posts re-sent would.
    await new Promise((resolve) =>
      setTimeout(resolve, (PART / FAIR_BYTES_PER_SECOND) * 1000 + LATE_AFTER_MS + 300),
    )
    expect(eventsBufferedBytes()).toBe(HOLDING * PART)
    const body = JSON.stringify([{ sg_event_id: 'fair-1', event: 'processed', timestamp: 1_770_000_000 }])
    const res = await signedEventsPost(body)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ unknown: 1 })
    // The post cut for it was answered 503 at once, before its deadline; the others end as before.
    const answers = await within(Promise.all(posts.map((post) => post.answer)), TIMEOUT_MS + 8000)
    for (const post of posts) post.close()
    expect(answers).not.toBe('still open')
    const statuses = (answers as Array<{ status: number }>).map((a) => a.status)
    expect(statuses.filter((status) => status === 503)).toHaveLength(1)
    expect(statuses.filter((status) => status === 408)).toHaveLength(HOLDING - 1)
    await expect.poll(() => eventsBufferedBytes(), { timeout: 2000 }).toBe(0)
    expect(warnings.filter((line) => Number(line.level) >= 50)).toEqual([])
  })

  it('cuts only posts that hold some of it: a late post whose body has not started is not refused for nothing', async () => {
    // Opened first with the default 30 s body deadline, so it is the latest post of all when the
    // genuine batch comes, and still within its deadline: it holds no byte of the budget.
    process.env.HTTP_BODY_TIMEOUT_MS = '30000'
    envStore.__switchboardEnv = undefined
    const empty = openEventsPost(forgedSignature(), 64 * 1024, 0)
    await new Promise((resolve) => setTimeout(resolve, 300))
    process.env.HTTP_BODY_TIMEOUT_MS = String(TIMEOUT_MS)
    envStore.__switchboardEnv = undefined
    try {
      const posts = await fillEventsBudget()
      await new Promise((resolve) =>
        setTimeout(resolve, (PART / FAIR_BYTES_PER_SECOND) * 1000 + LATE_AFTER_MS + 300),
      )
      const body = JSON.stringify([{ sg_event_id: 'fair-2', event: 'processed', timestamp: 1_770_000_000 }])
      expect((await signedEventsPost(body)).status).toBe(200)
      // One forged post made the room; the empty one, cut, would have freed nothing.
      expect(await within(empty.answer, 500)).toBe('still open')
      const answers = await within(Promise.all(posts.map((post) => post.answer)), TIMEOUT_MS + 8000)
      for (const post of posts) post.close()
      expect((answers as Array<{ status: number }>).filter((a) => a.status === 503)).toHaveLength(1)
    } finally {
      empty.close()
    }
    await expect.poll(() => eventsBufferedBytes(), { timeout: 2000 }).toBe(0)
  })
})

const PART = 4 * 1024 * 1024
const HOLDING = Math.floor(EVENTS_BUFFERED_LIMIT / PART)

/**
 * Forged posts that send 4 MB at once and then nothing, until they hold all of the events
 * budget. Fresh, none is late: the next post is refused while they hold it.
 */
async function fillEventsBudget() {
  const posts = []
  for (let i = 0; i < HOLDING; i++) {
    const post = openEventsPost(forgedSignature(), EVENTS_BODY_LIMIT, PART)
    await post.sent
    posts.push(post)
  }
  await expect.poll(() => eventsBufferedBytes(), { timeout: 5000 }).toBe(HOLDING * PART)
  const refused = openEventsPost(forgedSignature(), EVENTS_BODY_LIMIT, 1024 * 1024)
  expect(await within(refused.answer, 5000)).toEqual({ status: 503, retryAfter: '10' })
  refused.close()
  return posts
}

function signedEventsPost(body: string) {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), privateKey)
  return fetch(`${server.url}/webhooks/sendgrid/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature.toString('base64'),
      'x-twilio-email-event-webhook-timestamp': timestamp,
    },
    body,
  })
}

const openEventsPost = (headers: Record<string, string>, announced: number, send: number) =>
  heldPost(server.url, '/webhooks/sendgrid/events', headers, announced, send)
