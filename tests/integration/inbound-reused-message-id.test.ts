import { randomBytes } from 'node:crypto'
import { and, asc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, inboundEmails, messages, tickets } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { parsedModePost, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, postInbound, startInboundServer } from '#tests/helpers/inbound-server.ts'

/**
 * Mailers and devices that give every email the same Message-ID (`<1@localhost.localdomain>`):
 * reproduced from outside (2026-12-07), the second such email was marked `duplicate` and linked
 * to the first sender's ticket, and no agent ever saw it. A post is a duplicate only when it is
 * the same email (sender, subject, Date, body, attachments) with that Message-ID.
 */
const SECRET = 'reused-mid-secret-0123456789abcdef'
const INBOUND = 'reused.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

async function post(p: { body: Buffer; contentType: string }) {
  expect((await postInbound(server, SECRET, p)).status).toBe(200)
}

const forwarding = (slug: string) => `${slug}.support@${INBOUND}`

type Mail = {
  from: string
  to: string
  subject: string
  body: string
  messageId: string
  date?: string
  inReplyTo?: string
  attachment?: { name: string; content: string }
}

function eml(m: Mail) {
  const head =
    `From: ${m.from}\r\nTo: ${m.to}\r\nSubject: ${m.subject}\r\nDate: ${m.date ?? 'Mon, 7 Dec 2026 10:00:00 +0000'}\r\n` +
    `Message-ID: ${m.messageId}\r\n${m.inReplyTo ? `In-Reply-To: ${m.inReplyTo}\r\n` : ''}MIME-Version: 1.0\r\n`
  if (!m.attachment) return Buffer.from(`${head}Content-Type: text/plain; charset=utf-8\r\n\r\n${m.body}\r\n`)
  return Buffer.from(
    `${head}Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${m.body}\r\n` +
      `--b1\r\nContent-Type: application/pdf; name="${m.attachment.name}"\r\nContent-Disposition: attachment; filename="${m.attachment.name}"\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from(m.attachment.content).toString('base64')}\r\n--b1--\r\n`,
  )
}

const build = (mode: 'raw' | 'parsed', m: Mail) =>
  mode === 'raw'
    ? rawModePost(eml(m), { envelopeTo: [m.to] })
    : parsedModePost(eml(m), { envelopeTo: [m.to] })

async function ticketsOf(workspaceId: string) {
  return getDb()
    .select({ id: tickets.id, subject: tickets.subject, customer: contacts.email })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(eq(tickets.workspaceId, workspaceId))
    .orderBy(asc(tickets.number))
}

async function messagesOf(ticketId: string) {
  return getDb()
    .select({ body: messages.bodyText, threadedBy: messages.threadedBy })
    .from(messages)
    .where(eq(messages.ticketId, ticketId))
    .orderBy(asc(messages.createdAt), asc(messages.id))
}

async function statusesOf(workspaceId: string) {
  const rows = await getDb()
    .select({ status: inboundEmails.status })
    .from(inboundEmails)
    .where(eq(inboundEmails.workspaceId, workspaceId))
  return rows.map((r) => r.status).sort()
}

describe.each(['raw', 'parsed'] as const)('%s mode', (mode) => {
  const other = mode === 'raw' ? 'parsed' : 'raw'

  it('files two different emails that share a Message-ID, each on its sender’s ticket', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const messageId = '<1@localhost.localdomain>'
    await post(
      await build(mode, {
        from: 'Shop One <orders1@shop1.example>',
        to,
        subject: 'Order 1001 shipped',
        body: 'Your order 1001 is on its way.',
        messageId,
      }),
    )
    await inboundPostsSettled()
    await post(
      await build(mode, {
        from: 'Shop Two <orders2@shop2.example>',
        to,
        subject: 'Refund for order 2002',
        body: 'Please refund order 2002, it arrived broken.',
        messageId,
        date: 'Mon, 7 Dec 2026 10:05:00 +0000',
      }),
    )
    await inboundPostsSettled()
    expect(await statusesOf(m.workspace.id)).toEqual(['filed', 'filed'])
    const filed = await ticketsOf(m.workspace.id)
    expect(filed.map((t) => [t.customer, t.subject])).toEqual([
      ['orders1@shop1.example', 'Order 1001 shipped'],
      ['orders2@shop2.example', 'Refund for order 2002'],
    ])
    expect((await messagesOf(filed[1].id)).map((x) => x.body)).toEqual([
      'Please refund order 2002, it arrived broken.',
    ])
  })

  it('files each scan of a device that reuses its Message-ID, and a retry of one scan once', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const scan = (page: number): Mail => ({
      from: 'Printer <printer-42@scanner.local>',
      to,
      subject: 'Scanned document',
      body: 'Scanned by printer 42.',
      messageId: '<printer-42@scanner.local>',
      date: `Mon, 7 Dec 2026 10:0${page}:00 +0000`,
      attachment: { name: 'scan.pdf', content: `%PDF page ${page}` },
    })
    const first = await build(mode, scan(1))
    await post(first)
    await inboundPostsSettled()
    await post(await build(mode, scan(2)))
    await inboundPostsSettled()
    // The same scan again: a SendGrid retry, then the same email in the other mode.
    await post(first)
    await post(await build(other, scan(1)))
    await inboundPostsSettled()
    const filed = await ticketsOf(m.workspace.id)
    expect(filed).toHaveLength(2)
    expect(await statusesOf(m.workspace.id)).toEqual(['duplicate', 'filed', 'filed'])
  })

  it('still files one email once when posted twice and in both modes', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const mail: Mail = {
      from: 'Robin <robin@example.org>',
      to,
      subject: 'Invoice question',
      body: 'Line one\r\nLine two\r\n\r\nRobin',
      messageId: `<same-${randomBytes(4).toString('hex')}@example.org>`,
      attachment: { name: 'invoice.pdf', content: '%PDF invoice' },
    }
    const once = await build(mode, mail)
    await post(once)
    await post(once)
    await post(await build(other, mail))
    await inboundPostsSettled()
    expect(await ticketsOf(m.workspace.id)).toHaveLength(1)
    const [row] = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .where(
        and(
          eq(messages.workspaceId, m.workspace.id),
          sql`${messages.inboundKey} like ${`mid:${mail.messageId} %`}`,
        ),
      )
    expect(row.n).toBe(1)
  })

  it('treats a message filed before the key held the hash as the same email only from the same sender', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const messageId = `<old-${randomBytes(4).toString('hex')}@localhost.localdomain>`
    const mail: Mail = {
      from: 'Kim <kim@example.org>',
      to,
      subject: 'Old one',
      body: 'Filed long ago.',
      messageId,
    }
    await post(await build(mode, mail))
    await inboundPostsSettled()
    // As filed before: the Message-ID alone was the key.
    await getDb()
      .update(messages)
      .set({ inboundKey: `mid:${messageId}` })
      .where(eq(messages.workspaceId, m.workspace.id))
    await post(await build(other, mail))
    await inboundPostsSettled()
    expect(await ticketsOf(m.workspace.id)).toHaveLength(1)
    await post(await build(mode, { ...mail, from: 'Lee <lee@example.net>', body: 'Another email.' }))
    await inboundPostsSettled()
    expect((await ticketsOf(m.workspace.id)).map((t) => t.customer)).toEqual([
      'kim@example.org',
      'lee@example.net',
    ])
  })

  it('threads a reply to a reused Message-ID on the ticket of the sender, and a stranger’s into a new ticket', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const messageId = '<1@localhost.localdomain>'
    const base = { to, messageId }
    await post(
      await build(mode, { ...base, from: 'orders1@shop1.example', subject: 'One', body: 'First shop.' }),
    )
    await inboundPostsSettled()
    await post(
      await build(mode, { ...base, from: 'orders2@shop2.example', subject: 'Two', body: 'Second shop.' }),
    )
    await inboundPostsSettled()
    const reply = (from: string, body: string): Mail => ({
      from,
      to,
      subject: 'Re: Two',
      body,
      messageId: `<r-${randomBytes(4).toString('hex')}@shop.example>`,
      inReplyTo: messageId,
    })
    await post(await build(mode, reply('orders2@shop2.example', 'Any news on this?')))
    await post(await build(mode, reply('orders1@shop1.example', 'And on mine?')))
    await inboundPostsSettled()
    await post(await build(mode, reply('someone@else.example', 'Me too.')))
    await inboundPostsSettled()
    const filed = await ticketsOf(m.workspace.id)
    expect(filed.map((t) => t.customer)).toEqual([
      'orders1@shop1.example',
      'orders2@shop2.example',
      'someone@else.example',
    ])
    expect((await messagesOf(filed[0].id)).map((x) => [x.body, x.threadedBy])).toEqual([
      ['First shop.', 'new'],
      ['And on mine?', 'header'],
    ])
    expect((await messagesOf(filed[1].id)).map((x) => [x.body, x.threadedBy])).toEqual([
      ['Second shop.', 'new'],
      ['Any news on this?', 'header'],
    ])
  })
})
