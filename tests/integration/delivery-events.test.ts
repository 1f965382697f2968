import { generateKeyPairSync, sign } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, emailEvents, emails, messages, tickets } from '#db/schema.ts'
import type { parseEnv } from '#app/env.server.ts'
import { captureProcessLog } from '#tests/helpers/captured-log.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { heldPost } from '#tests/helpers/raw-http.ts'
import { EVENTS_BODY_LIMIT, EVENTS_BUFFERED_LIMIT } from '#app/http/inbound.server.ts'

const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  process.env.SENDGRID_WEBHOOK_PUBLIC_KEY = publicKey
    .export({ format: 'der', type: 'spki' })
    .toString('base64')
  envStore.__switchboardEnv = undefined
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server?.close()
  delete process.env.SENDGRID_WEBHOOK_PUBLIC_KEY
  envStore.__switchboardEnv = undefined
})

/** An agent reply's email, accepted by SendGrid with an X-Message-Id. */
async function sentEmail(customerEmail: string) {
  const m = await createMember()
  const t = await createTicketFor(m, { customerEmail })
  const [message] = await getDb()
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.ticketId, t.ticketId))
  const providerId = `sg${Math.random().toString(36).slice(2)}`
  const [email] = await getDb()
    .insert(emails)
    .values({
      workspaceId: m.workspace.id,
      ticketId: t.ticketId,
      messageId: message.id,
      kind: 'agent-reply',
      fromAddress: 'support@example.com',
      fromName: 'Support',
      toAddress: customerEmail,
      subject: 'Re: test',
      html: '<p>x</p>',
      text: 'x',
      status: 'sent',
      providerId,
    })
    .returning({ id: emails.id })
  return {
    emailId: email.id,
    providerId,
    messageId: message.id,
    workspaceId: m.workspace.id,
    ticketId: t.ticketId,
  }
}

function signed(body: string | Buffer, timestamp = String(Math.floor(Date.now() / 1000))) {
  const signature = sign(
    'sha256',
    Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]),
    privateKey,
  ).toString('base64')
  return {
    'content-type': 'application/json',
    'x-twilio-email-event-webhook-signature': signature,
    'x-twilio-email-event-webhook-timestamp': timestamp,
  }
}

async function postEvents(body: string | Buffer, headers: Record<string, string>) {
  return fetch(`${server.url}/webhooks/sendgrid/events`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  })
}

describe('POST /webhooks/sendgrid/events', () => {
  it('records delivered by X-Message-Id once, however often SendGrid retries the batch', async () => {
    const e = await sentEmail('d@example.net')
    const body = JSON.stringify([
      {
        sg_event_id: `ev-${e.emailId}`,
        event: 'delivered',
        timestamp: 1_770_000_000,
        sg_message_id: `${e.providerId}.filter0001.1.0`,
        email: 'd@example.net',
      },
    ])
    const first = await postEvents(body, signed(body))
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ recorded: 1 })
    const again = await postEvents(body, signed(body))
    expect(await again.json()).toMatchObject({ recorded: 0, duplicates: 1 })
    const [row] = await getDb().select({ status: emails.status }).from(emails).where(eq(emails.id, e.emailId))
    expect(row.status).toBe('delivered')
    const [message] = await getDb()
      .select({ s: messages.deliveryStatus })
      .from(messages)
      .where(eq(messages.id, e.messageId))
    expect(message.s).toBe('delivered')
    const stored = await getDb().select().from(emailEvents).where(eq(emailEvents.emailId, e.emailId))
    expect(stored).toHaveLength(1)
  })

  it("marks a hard bounce by custom arg, and the contact's address as bouncing", async () => {
    const e = await sentEmail('gone@example.net')
    const body = JSON.stringify([
      {
        sg_event_id: `b-${e.emailId}`,
        event: 'bounce',
        type: 'bounce',
        timestamp: 1_770_000_000,
        email_id: e.emailId,
        reason: '550 5.1.1 unknown user',
      },
      { sg_event_id: `o-${e.emailId}`, event: 'open', timestamp: 1_770_000_000, email_id: e.emailId },
    ])
    const response = await postEvents(body, signed(body))
    expect(await response.json()).toMatchObject({ recorded: 1, ignored: 1 })
    const [row] = await getDb()
      .select({ status: emails.status, error: emails.error })
      .from(emails)
      .where(eq(emails.id, e.emailId))
    expect(row).toMatchObject({ status: 'bounced', error: '550 5.1.1 unknown user' })
    const [ticket] = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.id, e.ticketId))
    const [contact] = await getDb().select().from(contacts).where(eq(contacts.id, ticket.contactId))
    expect(contact.bouncedAt).not.toBeNull()
  })

  it("records a bounce whose remote server's answer holds NUL and a lone surrogate", async () => {
    const e = await sentEmail('odd-answer@example.net')
    // JSON.stringify writes the lone surrogate as an escape, as SendGrid's JSON would carry it.
    const body = JSON.stringify([
      {
        sg_event_id: `nul-${e.emailId}`,
        event: 'bounce',
        type: 'bounce',
        timestamp: 1_770_000_000,
        email_id: e.emailId,
        reason: '550 no\u0000 such \ud800user',
      },
    ])
    const response = await postEvents(body, signed(body))
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ recorded: 1 })
    const [row] = await getDb()
      .select({ status: emails.status, error: emails.error })
      .from(emails)
      .where(eq(emails.id, e.emailId))
    expect(row).toMatchObject({ status: 'bounced', error: '550 no such \ufffduser' })
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`
    expect((await postEvents(deep, signed(deep))).status).toBe(400)
  })

  it('refuses a missing or bad signature and an old timestamp with 401, recording nothing', async () => {
    const e = await sentEmail('r@example.net')
    const body = JSON.stringify([
      { sg_event_id: `r-${e.emailId}`, event: 'dropped', timestamp: 1_770_000_000, email_id: e.emailId },
    ])
    expect((await postEvents(body, { 'content-type': 'application/json' })).status).toBe(401)
    const old = String(Math.floor(Date.now() / 1000) - 6 * 60)
    expect((await postEvents(body, signed(body, old))).status).toBe(401)
    const tampered = signed(body)
    expect((await postEvents(body.replace('dropped', 'delivered'), tampered)).status).toBe(401)
    const [row] = await getDb().select({ status: emails.status }).from(emails).where(eq(emails.id, e.emailId))
    expect(row.status).toBe('sent')
    expect((await postEvents('not json', signed('not json'))).status).toBe(400)
  })

  it('reads a batch only as UTF-8 JSON: another charset or a content coding is 415, other bytes 400', async () => {
    const e = await sentEmail('charset@example.net')
    const event = (id: string) => ({
      sg_event_id: `${id}-${e.emailId}`,
      event: 'bounce',
      type: 'bounce',
      timestamp: 1_770_000_000,
      email_id: e.emailId,
      reason: '550 Empfänger unbekannt',
    })
    // The same JSON in ISO-8859-1: read as UTF-8 it used to be recorded with U+FFFD for "ä".
    const latin1 = Buffer.from(JSON.stringify([event('latin1')]), 'latin1')
    const as = (type: string | undefined, extra: Record<string, string> = {}) => {
      const { 'content-type': _json, ...headers } = signed(latin1)
      return { ...headers, ...(type ? { 'content-type': type } : {}), ...extra }
    }
    const sent = await postEvents(latin1, as('application/json'))
    expect(sent.status).toBe(400)
    expect((await postEvents(latin1, as('application/json; charset=iso-8859-1'))).status).toBe(415)
    expect((await postEvents(latin1, as('text/plain'))).status).toBe(415)
    expect((await postEvents(latin1, as('application/json', { 'content-encoding': 'gzip' }))).status).toBe(
      415,
    )
    const [row] = await getDb().select({ status: emails.status }).from(emails).where(eq(emails.id, e.emailId))
    expect(row.status).toBe('sent')
    // UTF-8 is taken with or without a Content-Type, charset named or not.
    for (const [i, type] of ['application/json; charset=UTF-8', undefined].entries()) {
      const utf8 = Buffer.from(JSON.stringify([event(`utf8-${i}`)]), 'utf8')
      const { 'content-type': _json, ...headers } = signed(utf8)
      const response = await postEvents(utf8, { ...headers, ...(type ? { 'content-type': type } : {}) })
      expect(response.status).toBe(200)
    }
    const [bounced] = await getDb()
      .select({ status: emails.status, error: emails.error })
      .from(emails)
      .where(eq(emails.id, e.emailId))
    expect(bounced).toMatchObject({ status: 'bounced', error: '550 Empfänger unbekannt' })
  })

  /**
   * A post whose headers announce `announced` bytes, of which only `send` are sent (the request is
   * left open): resolves with the answer, whenever it comes. `close()` drops the connection.
   */
  const openPost = (headers: Record<string, string>, announced: number, send = 0) =>
    heldPost(server.url, '/webhooks/sendgrid/events', headers, announced, send)

  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([promise, new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), ms))])

  it('refuses missing, malformed and stale signature headers before reading the body', async () => {
    const log = captureProcessLog()
    const now = Math.floor(Date.now() / 1000)
    const signature = Buffer.alloc(71, 7).toString('base64')
    const cases: Array<Record<string, string>> = [
      {},
      { 'x-twilio-email-event-webhook-timestamp': String(now) },
      { 'x-twilio-email-event-webhook-signature': signature },
      {
        'x-twilio-email-event-webhook-signature': '!!not base64!!',
        'x-twilio-email-event-webhook-timestamp': String(now),
      },
      {
        'x-twilio-email-event-webhook-signature': 'A'.repeat(5000),
        'x-twilio-email-event-webhook-timestamp': String(now),
      },
      {
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': 'soon',
      },
      {
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': String(now - 3600),
      },
      {
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': String(now + 3600),
      },
    ]
    for (const headers of cases) {
      // 5 MB announced, not one byte sent: the answer comes anyway (it waited for the body before).
      const post = openPost(headers, EVENTS_BODY_LIMIT)
      expect(await within(post.answer, 3000)).toMatchObject({ status: 401 })
      post.close()
    }
    // Without a verification key nothing can be genuine: refused at once too.
    const key = process.env.SENDGRID_WEBHOOK_PUBLIC_KEY
    delete process.env.SENDGRID_WEBHOOK_PUBLIC_KEY
    envStore.__switchboardEnv = undefined
    try {
      const post = openPost(signed('[]'), EVENTS_BODY_LIMIT)
      expect(await within(post.answer, 3000)).toMatchObject({ status: 401 })
      post.close()
    } finally {
      process.env.SENDGRID_WEBHOOK_PUBLIC_KEY = key
      envStore.__switchboardEnv = undefined
      log.restore()
    }
    // Anyone can post these: at most one warning a minute (saying how many), not one each.
    const warnings = log.lines.filter((line) => line.includes('event webhook signature refused'))
    expect(warnings.length).toBeLessThanOrEqual(1)
  })

  it('holds at most EVENTS_BUFFERED_LIMIT of event bodies at once: the post past it gets 503 with Retry-After', async () => {
    const now = String(Math.floor(Date.now() / 1000))
    // Well-formed and fresh, so they pass the header checks; the signature fails only at the end.
    const headers = {
      'x-twilio-email-event-webhook-signature': Buffer.alloc(71, 7).toString('base64'),
      'x-twilio-email-event-webhook-timestamp': now,
    }
    const part = 4 * 1024 * 1024
    const holding = Math.floor(EVENTS_BUFFERED_LIMIT / part)
    const posts = []
    for (let i = 0; i < holding; i++) {
      const post = openPost(headers, EVENTS_BODY_LIMIT, part)
      await post.sent
      posts.push(post)
    }
    posts.push(openPost(headers, EVENTS_BODY_LIMIT, 1024 * 1024))
    // The bytes reach the server in whatever order: whichever post's bytes cross the line is
    // refused at once, the others still wait for the rest of their bodies.
    const first = await within(Promise.race(posts.map((post) => post.answer)), 5000)
    expect(first).toEqual({ status: 503, retryAfter: '10' })
    for (const post of posts) post.close()
    // The dropped posts' bytes are given back: a genuine batch is recorded again.
    const e = await sentEmail('after-flood@example.net')
    const body = JSON.stringify([
      { sg_event_id: `f-${e.emailId}`, event: 'delivered', timestamp: 1_770_000_000, email_id: e.emailId },
    ])
    await expect.poll(async () => (await postEvents(body, signed(body))).status, { timeout: 5000 }).toBe(200)
  })
})
