import { randomBytes } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { inboundEmails, mailboxes, messages, tickets } from '#db/schema.ts'
import { replySubject } from '#app/domain/email-templates.server.ts'
import { subjectReference } from '#app/domain/inbound-routing.server.ts'
import { createMember, createTicketFor, setTicket, ticketCount } from '#tests/helpers/factories.ts'
import { rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, startInboundServer } from '#tests/helpers/inbound-server.ts'

/**
 * An email that carries none of our threading (no reply token, no In-Reply-To/References we
 * know) but keeps the `[#12]` our subjects carry: a fresh email, a forward, a client that drops
 * the headers. It joins that ticket only in the addressed workspace and only from the ticket's
 * customer or a CC'd address (docs/data-flow.md, step 7; docs/security.md, "Routing is not trust").
 */
const SECRET = 'subject-ref-secret-0123456789abcdef'
const INBOUND = 'subj.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>
let n = 0

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

const forwarding = (slug: string) => `${slug}.support@${INBOUND}`

/** A plain email to the workspace's forwarding address: no reply token, and headers only if given. */
async function send(
  to: string,
  headers: { from: string; subject: string; extra?: string; body?: string },
  auth: { dkim?: string; spf?: string; envelopeFrom?: string } = {},
) {
  const id = `subj-${++n}-${randomBytes(4).toString('hex')}@example.org`
  const eml = Buffer.from(
    `From: ${headers.from}\r\nTo: ${to}\r\nSubject: ${headers.subject}\r\nMessage-ID: <${id}>\r\n` +
      `${headers.extra ?? ''}\r\n${headers.body ?? `Hello again (${n}).`}\r\n`,
  )
  const response = await fetch(`${server.url}/webhooks/sendgrid/inbound/${SECRET}`, {
    method: 'POST',
    ...(({ body, contentType }) => ({
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    }))(rawModePost(eml, { envelopeTo: [to], ...auth })),
  })
  expect(response.status).toBe(200)
  await inboundPostsSettled()
  const [message] = await getDb()
    .select()
    .from(messages)
    .where(eq(messages.emailMessageId, `<${id}>`))
  expect(message, 'filed as a message').toBeDefined()
  const [post] = await getDb()
    .select({ status: inboundEmails.status, ticketId: inboundEmails.ticketId })
    .from(inboundEmails)
    .where(eq(inboundEmails.id, message.inboundEmailId!))
  expect(post).toEqual({ status: 'filed', ticketId: message.ticketId })
  return { ticketId: message.ticketId, message }
}

async function ticketRow(ticketId: string) {
  const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticketId))
  return row
}

describe('the ticket reference in an inbound subject', () => {
  it('files the customer’s fresh email that keeps our reply subject on that ticket, threaded by "subject"', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'casey@example.net' })
    const before = await ticketCount(m.workspace.id)
    const filed = await send(forwarding(m.workspace.slug), {
      from: 'Casey <Casey@Example.NET>',
      subject: replySubject('My order has not arrived', t.number),
    })
    expect(filed.ticketId).toBe(t.ticketId)
    expect(filed.message).toMatchObject({ threadedBy: 'subject', notFromParticipant: false, kind: 'reply' })
    expect(await ticketCount(m.workspace.id)).toBe(before)
  })

  it('files a forward of our acknowledgement ("Fwd: We received your request: … [#N]") from a CC’d address there', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'owner@example.com' })
    await getDb()
      .update(tickets)
      .set({ cc: ['Partner@Example.org'] })
      .where(eq(tickets.id, t.ticketId))
    const filed = await send(forwarding(m.workspace.slug), {
      from: 'partner@example.org',
      subject: `Fwd: We received your request: My order has not arrived [#${t.number}]`,
    })
    expect(filed.ticketId).toBe(t.ticketId)
    expect(filed.message).toMatchObject({ threadedBy: 'subject', notFromParticipant: false })
  })

  it('opens a new ticket for a stranger who names a ticket number, leaving that ticket untouched', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'owner@example.com' })
    await setTicket(t.ticketId, { status: 'resolved' })
    const filed = await send(forwarding(m.workspace.slug), {
      from: 'mallory@evil.example',
      subject: `Re: My order has not arrived [#${t.number}]`,
      body: 'Your account is locked: log in at https://evil.example',
    })
    expect(filed.ticketId).not.toBe(t.ticketId)
    expect(filed.message.threadedBy).toBe('new')
    const guessed = await ticketRow(t.ticketId)
    expect(guessed).toMatchObject({ status: 'resolved', messageCount: 1 })
    const created = await ticketRow(filed.ticketId)
    expect(created.subject).toBe(`Re: My order has not arrived [#${t.number}]`)
  })

  it("opens a new ticket for the customer's address in a From nothing vouches for (no aligned DKIM or SPF)", async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'casey@example.net' })
    const subject = replySubject('My order has not arrived', t.number)
    // Forged: signed by the forger's own domain, SPF passed for the forger's envelope sender.
    for (const auth of [
      { dkim: '{@evil.example : pass}', envelopeFrom: 'bounce@evil.example' },
      { dkim: '{@example.net : fail}', spf: 'softfail', envelopeFrom: 'casey@example.net' },
      { dkim: '', spf: 'none', envelopeFrom: 'casey@example.net' },
    ]) {
      const filed = await send(forwarding(m.workspace.slug), { from: 'casey@example.net', subject }, auth)
      expect(filed.ticketId).not.toBe(t.ticketId)
      expect(filed.message.threadedBy).toBe('new')
    }
    expect(await ticketRow(t.ticketId)).toMatchObject({ messageCount: 1 })
    // Vouched for by SPF alone (no DKIM), for an envelope sender of a subdomain: threaded.
    const spf = await send(
      forwarding(m.workspace.slug),
      { from: 'casey@example.net', subject },
      { dkim: '', spf: 'pass', envelopeFrom: 'bounces@mail.example.net' },
    )
    expect(spf.ticketId).toBe(t.ticketId)
  })

  it('never reaches another workspace’s ticket: a number there is looked up only in the addressed workspace', async () => {
    // Both workspaces number their tickets from 1.
    const a = await createMember()
    const b = await createMember()
    const aOne = await createTicketFor(a, { customerEmail: 'alice@example.com' })
    const bOne = await createTicketFor(b, { customerEmail: 'bob@example.com' })
    const bTwo = await createTicketFor(b, { customerEmail: 'bob@example.com' })
    expect([aOne.number, bOne.number, bTwo.number]).toEqual([1, 1, 2])
    const aBefore = await ticketCount(a.workspace.id)

    // Bob, the customer of B's #1 and #2, writes to A's mailbox: A has no #2 (the first email
    // becomes it, Bob's), and A's #1 is Alice's.
    const two = await send(forwarding(a.workspace.slug), {
      from: 'bob@example.com',
      subject: 'Re: Kettle [#2]',
    })
    const one = await send(forwarding(a.workspace.slug), {
      from: 'bob@example.com',
      subject: 'Re: Kettle [#1]',
    })
    for (const filed of [one, two]) {
      expect(filed.message).toMatchObject({ threadedBy: 'new', workspaceId: a.workspace.id })
    }
    expect(new Set([one.ticketId, two.ticketId]).size).toBe(2)
    expect(await ticketCount(a.workspace.id)).toBe(aBefore + 2)
    expect((await ticketRow(aOne.ticketId)).messageCount).toBe(1)
    expect((await ticketRow(bOne.ticketId)).messageCount).toBe(1)
    expect((await ticketRow(bTwo.ticketId)).messageCount).toBe(1)
  })

  it('opens a new ticket for a number that does not exist, or one too large for a ticket number', async () => {
    const m = await createMember()
    await createTicketFor(m, { customerEmail: 'casey@example.net' })
    for (const reference of ['[#999]', '[#2147483648]', '[#99999999999999999999]']) {
      const filed = await send(forwarding(m.workspace.slug), {
        from: 'casey@example.net',
        subject: `Re: Order ${reference}`,
      })
      expect(filed.message.threadedBy).toBe('new')
    }
  })

  it('reopens a closed or resolved ticket as any customer reply does, and an out-of-office leaves it closed', async () => {
    const m = await createMember()
    for (const status of ['closed', 'resolved', 'pending'] as const) {
      const t = await createTicketFor(m, { customerEmail: 'casey@example.net' })
      await setTicket(t.ticketId, { status })
      const filed = await send(forwarding(m.workspace.slug), {
        from: 'casey@example.net',
        subject: `A new question about [#${t.number}]`,
      })
      expect(filed.ticketId).toBe(t.ticketId)
      expect((await ticketRow(t.ticketId)).status).toBe('open')
    }
    const away = await createTicketFor(m, { customerEmail: 'away@example.net' })
    await setTicket(away.ticketId, { status: 'closed' })
    const automatic = await send(forwarding(m.workspace.slug), {
      from: 'away@example.net',
      subject: `Automatic reply: ${replySubject('My order has not arrived', away.number)}`,
      extra: 'Auto-Submitted: auto-replied\r\n',
    })
    expect(automatic.ticketId).toBe(away.ticketId)
    expect(automatic.message.threadedBy).toBe('subject')
    expect((await ticketRow(away.ticketId)).status).toBe('closed')
  })

  it('takes the last of several references (ours is appended) and only the exact form we write', async () => {
    const m = await createMember()
    const first = await createTicketFor(m, { customerEmail: 'casey@example.net' })
    const second = await createTicketFor(m, {
      customerEmail: 'casey@example.net',
      subject: `About [#${first.number}] again`,
    })
    // Our reply on the second ticket: "Re: About [#1] again [#2]".
    const filed = await send(forwarding(m.workspace.slug), {
      from: 'casey@example.net',
      subject: replySubject(`About [#${first.number}] again`, second.number),
    })
    expect(filed.ticketId).toBe(second.ticketId)
    expect(filed.message.threadedBy).toBe('subject')

    for (const near of [
      `[# ${first.number}]`,
      `[#0${first.number}]`,
      `(#${first.number})`,
      `#${first.number}`,
      `[${first.number}]`,
      `[#${first.number} ]`,
    ]) {
      const other = await send(forwarding(m.workspace.slug), {
        from: 'casey@example.net',
        subject: `Re: ${near}`,
      })
      expect(other.message.threadedBy, near).toBe('new')
    }
  })

  it('is the last resort: a reply token or known In-Reply-To decides first', async () => {
    const m = await createMember()
    const named = await createTicketFor(m, { customerEmail: 'casey@example.net' })
    const answered = await createTicketFor(m, { customerEmail: 'casey@example.net' })
    const [{ root, replyToken }] = await getDb()
      .select({ root: tickets.threadMessageId, replyToken: tickets.replyToken })
      .from(tickets)
      .where(eq(tickets.id, answered.ticketId))
    const byHeader = await send(forwarding(m.workspace.slug), {
      from: 'casey@example.net',
      subject: `Re: Something [#${named.number}]`,
      extra: `In-Reply-To: ${root}\r\nReferences: ${root}\r\n`,
    })
    expect(byHeader).toMatchObject({ ticketId: answered.ticketId, message: { threadedBy: 'header' } })
    const byToken = await send(`${m.workspace.slug}.support+${replyToken}@${INBOUND}`, {
      from: 'casey@example.net',
      subject: `Re: Something [#${named.number}]`,
    })
    expect(byToken).toMatchObject({ ticketId: answered.ticketId, message: { threadedBy: 'token' } })
  })

  it('needs no new-ticket slot: a participant over the hourly limit of new tickets still reaches the ticket', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'busy@example.net' })
    // This hour's window and the next one's, should the hour turn while the email is filed.
    await getDb().execute(sql`
      insert into rate_limit_counters (key, window_start, hits, expires_at)
      select ${`inbound-new:${m.workspace.id}:busy@example.net`}, w, 1000, w + interval '2 hours'
      from (values (date_bin(interval '1 hour', now(), timestamptz 'epoch')),
        (date_bin(interval '1 hour', now(), timestamptz 'epoch') + interval '1 hour')) as bins (w)
      on conflict (key, window_start) do update set hits = excluded.hits`)
    const filed = await send(forwarding(m.workspace.slug), {
      from: 'busy@example.net',
      subject: replySubject('My order has not arrived', t.number),
    })
    expect(filed).toMatchObject({ ticketId: t.ticketId, message: { threadedBy: 'subject' } })
  })

  it('is filed in the addressed mailbox’s workspace even when the ticket is in another of its mailboxes', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'casey@example.net' })
    const [other] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: m.workspace.id,
        name: 'Billing',
        key: 'billing',
        address: `billing-${n}@example.com`,
        fromName: 'Billing',
      })
      .returning()
    const filed = await send(`${m.workspace.slug}.billing@${INBOUND}`, {
      from: 'casey@example.net',
      subject: replySubject('My order has not arrived', t.number),
    })
    expect(filed.ticketId).toBe(t.ticketId)
    const [post] = await getDb()
      .select({ mailboxId: inboundEmails.mailboxId })
      .from(inboundEmails)
      .where(and(eq(inboundEmails.ticketId, t.ticketId), eq(inboundEmails.status, 'filed')))
    expect(post.mailboxId).toBe(other.id)
  })
})

describe('subjectReference', () => {
  it('reads the reference exactly as replySubject writes it', () => {
    expect(subjectReference(replySubject('Kettle', 12))).toBe(12)
    expect(subjectReference('Fwd: Re: Kettle [#12]')).toBe(12)
    expect(subjectReference('[#12] [#13]')).toBe(13)
    expect(subjectReference('Re: Kettle [#12] [EXTERNAL]')).toBe(12)
    expect(subjectReference('[#2147483647]')).toBe(2147483647)
    for (const none of ['Kettle', '[#0]', '[#012]', '[# 12]', '[#12 ]', '[#-1]', '[#1.5]', '[#2147483648]']) {
      expect(subjectReference(none), none).toBeUndefined()
    }
  })
})
