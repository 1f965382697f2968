import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { inboundEmails } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { rawModePost } from '#tests/helpers/inbound-post.ts'
import { startInboundServer } from '#tests/helpers/inbound-server.ts'

/**
 * Issue 8's inbound figures, measured and printed (medians asserted loosely: the machine is shared):
 * a 1 MB email with 3 attachments from POST to committed ticket, and the webhook's own answer.
 */
const SECRET = 'speed-secret-0123456789abcdef'
const INBOUND = 'speed.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 1_000 })
})
afterAll(async () => {
  await server?.close()
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
  for (let i = 0; i < 40; i++) {
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
}, 180_000)
