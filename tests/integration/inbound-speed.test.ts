import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { inboundEmails } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { multipartBody, rawModePost } from '#tests/helpers/inbound-post.ts'
import { killServers, startServer, type ServerProcess } from '#tests/helpers/server-process.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { waitFor } from '#tests/helpers/wait.ts'

/**
 * Issue 8's inbound figures, measured and printed (medians asserted loosely: the machine is shared):
 * a 1 MB email with 3 attachments from POST to committed ticket, and the webhook's own answer.
 *
 * The server is the production build in its own process with its job worker (what `npm start`
 * runs), and this file posts to it like SendGrid does, from outside. In one process the test's
 * client shared the event loop with the worker, which starts parsing the email the post just
 * stored (a 1 MB MIME parse, tens of ms of synchronous work) as soon as the commit's NOTIFY
 * arrives: the client then read the server's finished answer only after that parse.
 */
const SECRET = 'speed-secret-0123456789abcdef'
const INBOUND = 'speed.example.test'
let server: ServerProcess
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-inbound-speed-'))

beforeAll(async () => {
  server = await startServer({
    databaseUrl: testDatabaseUrl,
    dataDir,
    env: {
      RUN_WORKER: 'true',
      SENDGRID_INBOUND_SECRET: SECRET,
      INBOUND_DOMAIN: INBOUND,
      INBOUND_MAX_PER_SENDER_HOUR: '1000',
    },
  })
}, 60_000)
afterAll(() => {
  killServers()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

/** A MIME message of about 1 MB: text, HTML and three base64 attachments. */
function megabyteEmail(to: string, i: number) {
  const b = `b${i}`
  const attachment = (name: string) =>
    `--${b}\r\nContent-Type: application/pdf; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${randomBytes(
      240_000,
    )
      .toString('base64')
      .replace(/.{76}/g, '$&\r\n')}\r\n`
  return Buffer.from(
    `From: Big Sender <big${i}@example.org>\r\nTo: ${to}\r\nSubject: Big ${i}\r\nMessage-ID: <big-${i}-${randomBytes(4).toString('hex')}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${b}"\r\n\r\n` +
      `--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${'Hello there. '.repeat(2000)}</p>\r\n` +
      attachment('a.pdf') +
      attachment('b.pdf') +
      attachment('c.pdf') +
      `--${b}--\r\n`,
  )
}

/**
 * POSTs like a webhook sender with TCP_NODELAY. The test's fetch (undici) sends with Nagle's
 * algorithm on: in about 1 post of 7 its last partial segment waited for the server's delayed ACK
 * (40 ms on Linux), which measured the client's TCP stack, not the webhook (p95 56-60 ms with
 * fetch, 12 ms with this; medians 10 ms either way).
 */
function postNoDelay(url: string, contentType: string, body: Buffer) {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('socket', (socket) => socket.setNoDelay(true))
    req.on('error', reject)
    req.end(body)
  })
}

const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

it('files a 1 MB email with 3 attachments quickly, and the webhook answers at once', async () => {
  const m = await createMember()
  const to = `${m.workspace.slug}.support@${INBOUND}`
  const webhook: number[] = []
  const endToEnd: number[] = []
  // 25 posts, 20 measured after the warm-up: the assertions are medians (40 posts and 30 in the
  // burst below cost 30 s of the suite's timed group for the same medians).
  for (let i = 0; i < 25; i++) {
    const post = rawModePost(megabyteEmail(to, i), { envelopeTo: [to] })
    const started = performance.now()
    const status = await postNoDelay(
      `${server.url}/webhooks/sendgrid/inbound/${SECRET}`,
      post.contentType,
      post.body,
    )
    webhook.push(performance.now() - started)
    expect(status).toBe(200)
    const [row] = await getDb()
      .select({ id: inboundEmails.id })
      .from(inboundEmails)
      .orderBy(inboundEmails.receivedAt)
      .limit(1)
      .offset(i)
    for (;;) {
      const [state] = await getDb()
        .select({ status: inboundEmails.status })
        .from(inboundEmails)
        .where(eq(inboundEmails.id, row.id))
      if (state.status !== 'received') {
        expect(state.status).toBe('filed')
        break
      }
      await new Promise((r) => setTimeout(r, 2))
    }
    endToEnd.push(performance.now() - started)
  }
  // The first few warm up the JIT and the connection pool.
  const w = webhook.slice(5)
  const e = endToEnd.slice(5)
  console.log(
    `inbound 1 MB + 3 attachments, ${e.length} runs: webhook median ${median(w).toFixed(1)} ms p95 ${p95(w).toFixed(1)} ms; POST→filed p95 ${p95(e).toFixed(1)} ms (median ${median(e).toFixed(1)} ms)`,
  )
  // Back to back, as SendGrid delivers a burst: each post follows the previous one's 200, so it
  // arrives while the worker parses and files the ones before it. The parse runs on its own thread
  // (inbound-parse-thread.server.ts): it must not hold up the webhook's answer.
  const burst: number[] = []
  const before = (await getDb().select({ id: inboundEmails.id }).from(inboundEmails)).length
  for (let i = 0; i < 20; i++) {
    const post = rawModePost(megabyteEmail(to, 100 + i), { envelopeTo: [to] })
    const started = performance.now()
    const status = await postNoDelay(
      `${server.url}/webhooks/sendgrid/inbound/${SECRET}`,
      post.contentType,
      post.body,
    )
    burst.push(performance.now() - started)
    expect(status).toBe(200)
  }
  await waitFor(async () => {
    const rows = await getDb().select({ status: inboundEmails.status }).from(inboundEmails)
    return rows.length === before + 20 && rows.every((r) => r.status === 'filed')
  }, 120_000)
  console.log(
    `inbound 1 MB back to back, ${burst.length} posts while earlier ones are filed: webhook median ${median(burst).toFixed(1)} ms p95 ${p95(burst).toFixed(1)} ms`,
  )
  expect(median(burst)).toBeLessThan(250)
  // What made it slow cannot come back unnoticed: the post is a file, not a 1 MB bytea
  // (~100 ms to write, ~50 ms to read back as hex on this machine).
  const stored = await getDb()
    .select({ raw: inboundEmails.raw, rawSha256: inboundEmails.rawSha256 })
    .from(inboundEmails)
  expect(stored.every((r) => r.raw === null && r.rawSha256 !== null)).toBe(true)
  // Medians, loose enough for 2 shared cores under other people's test runs (measured there:
  // webhook 30-45 ms, POST→filed 170-200 ms; before the file store 125 ms and 660 ms).
  expect(median(w)).toBeLessThan(250)
  expect(median(e)).toBeLessThan(1_500)
}, 300_000)

/**
 * Probed from outside (2026-12-07): one post whose `to` held 20,000 reply-token-shaped addresses
 * (~970 KB), listed in the envelope too, took ~24 s of the worker (one lookup per address), and
 * emails are filed one at a time: a customer's email behind three such posts waited 30–72 s.
 * Routing now looks at a bounded number of candidates in one statement (inbound-routing.server.ts).
 */
it('files a customer email within a few seconds behind a post addressed to 20,000 token-shaped addresses', async () => {
  const m = await createMember()
  const to = `${m.workspace.slug}.support@${INBOUND}`
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  const token = () => Array.from(randomBytes(20), (b) => alphabet[b & 31]).join('')
  const hostile = Array.from({ length: 20_000 }, () => `z.k+${token()}@${INBOUND}`)
  const list = hostile.join(', ')
  const headers = `From: Flood <flood@example.org>\r\nTo: ${list}\r\nSubject: Flood\r\nMessage-ID: <flood-${token()}@example.org>`
  const flood = multipartBody([
    { name: 'headers', value: headers },
    { name: 'to', value: list },
    { name: 'from', value: 'Flood <flood@example.org>' },
    { name: 'subject', value: 'Flood' },
    { name: 'text', value: 'Hello' },
    { name: 'envelope', value: JSON.stringify({ to: hostile, from: 'flood@example.org' }) },
  ])
  const url = `${server.url}/webhooks/sendgrid/inbound/${SECRET}`
  expect(await postNoDelay(url, flood.contentType, flood.body)).toBe(200)
  const eml = Buffer.from(
    `From: Customer <customer@example.org>\r\nTo: ${to}\r\nSubject: Behind the flood\r\nMessage-ID: <behind-${token()}@example.org>\r\n\r\nMy order is late.\r\n`,
  )
  const normal = rawModePost(eml, { envelopeTo: [to] })
  const started = performance.now()
  expect(await postNoDelay(url, normal.contentType, normal.body)).toBe(200)
  await waitFor(async () => {
    const rows = await getDb()
      .select({ status: inboundEmails.status })
      .from(inboundEmails)
      .where(eq(inboundEmails.workspaceId, m.workspace.id))
    return rows.some((r) => r.status === 'filed')
  }, 60_000)
  const behind = performance.now() - started
  console.log(`inbound: a customer email behind one 20,000-recipient post filed in ${behind.toFixed(0)} ms`)
  expect(behind).toBeLessThan(3_000)
}, 120_000)
