import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import fs from 'node:fs'
import { request } from 'node:http'
import path from 'node:path'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import {
  attachments,
  contacts,
  emails,
  inboundEmails,
  mailboxes,
  messages,
  notifications,
  tickets,
  users,
} from '#db/schema.ts'
import { fileInboundEmail } from '#app/domain/inbound-email.server.ts'
import { type parseEnv } from '#app/env.server.ts'
import { filesDir, pathFor } from '#app/integrations/storage.server.ts'
import { cleanupOrphanFiles } from '#app/jobs/files-cleanup.server.ts'
import { fileInboundEmails } from '#app/jobs/worker.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import { fixture, multipartBody, parsedModePost, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, startInboundServer } from '#tests/helpers/inbound-server.ts'
import { callAction, testContext } from '#tests/helpers/routes.ts'
import { waitFor } from '#tests/helpers/wait.ts'

const SECRET = 'inbound-secret-0123456789abcdef'
const INBOUND = 'in.example.test'
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
let server: Awaited<ReturnType<typeof startInboundServer>>
let n = 0

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 3 })
})
afterAll(async () => {
  await server?.close()
})

type Post = { body: Buffer; contentType: string }

async function post(
  p: Post,
  path = `/webhooks/sendgrid/inbound/${SECRET}`,
  headers: Record<string, string> = {},
) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': p.contentType, ...headers },
    body: new Uint8Array(p.body),
  })
}

const settled = () => inboundPostsSettled()

async function lastInbound() {
  const [row] = await getDb()
    .select()
    .from(inboundEmails)
    .orderBy(sql`received_at desc, id desc`)
    .limit(1)
  return row
}

async function messagesOf(ticketId: string) {
  return getDb().select().from(messages).where(eq(messages.ticketId, ticketId)).orderBy(messages.createdAt)
}

const forwarding = (slug: string) => `${slug}.support@${INBOUND}`

/** The workspace's newest ticket of this customer. */
async function lastTicketOf(workspaceId: string, customer: string) {
  const [row] = await getDb()
    .select({ id: tickets.id, threadMessageId: tickets.threadMessageId })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(and(eq(tickets.workspaceId, workspaceId), eq(contacts.email, customer)))
    .orderBy(sql`${tickets.number} desc`)
    .limit(1)
  return row
}

describe.each(['raw', 'parsed'] as const)('%s mode', (mode) => {
  const build = (eml: Buffer, envelopeTo: string[], envelopeFrom?: string) =>
    mode === 'raw'
      ? rawModePost(eml, { envelopeTo, envelopeFrom })
      : parsedModePost(eml, { envelopeTo, envelopeFrom })

  it('opens a ticket from a forwarded email, with its attachment, the sender as contact and the reason "new"', async () => {
    const m = await createMember()
    const eml = fixture('forwarded.eml', {
      FROM: 'alex@example.org',
      TO: `Support <${forwarding(m.workspace.slug)}>`,
      N: `${mode}${++n}`,
    })
    const response = await post(await build(eml, [forwarding(m.workspace.slug)]))
    expect(response.status).toBe(200)
    await settled()
    const inbound = await lastInbound()
    expect(inbound.status).toBe('filed')
    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.id, inbound.ticketId!))
    expect(ticket.subject).toBe('Fwd: Broken lid')
    expect(ticket.channel).toBe('email')
    const [message] = await messagesOf(ticket.id)
    expect(message.threadedBy).toBe('new')
    expect(message.bodyText).toContain('Can you take this one?')
    const [contact] = await getDb().select().from(contacts).where(eq(contacts.id, ticket.contactId))
    expect(contact).toMatchObject({ email: 'alex@example.org', name: 'Alex Colleague' })
    const files = await getDb().select().from(attachments).where(eq(attachments.messageId, message.id))
    expect(files.map((f) => f.filename)).toEqual(['order.txt'])
  })

  it('threads a Gmail reply by its reply token and reopens the resolved ticket', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'casey@example.net' })
    await setTicket(t.ticketId, { status: 'resolved' })
    const [{ replyToken }] = await getDb()
      .select({ replyToken: tickets.replyToken })
      .from(tickets)
      .where(eq(tickets.id, t.ticketId))
    const to = `${m.workspace.slug}.support+${replyToken}@${INBOUND}`
    const eml = fixture('gmail-reply.eml', {
      FROM: 'casey@example.net',
      TO: to,
      N: `${mode}${++n}`,
      NUMBER: String(t.number),
    })
    expect((await post(await build(eml, [to]))).status).toBe(200)
    await settled()
    const list = await messagesOf(t.ticketId)
    expect(list).toHaveLength(2)
    expect(list[1]).toMatchObject({ threadedBy: 'token', notFromParticipant: false })
    expect(list[1].bodyHtml).toContain('class="gmail_quote"')
    const [ticket] = await getDb()
      .select({ status: tickets.status })
      .from(tickets)
      .where(eq(tickets.id, t.ticketId))
    expect(ticket.status).toBe('open')
  })

  it('files an out-of-office reply in the thread without reopening the ticket or notifying anyone', async () => {
    const m = await createMember()
    for (const status of ['resolved', 'pending'] as const) {
      const t = await createTicketFor(m, { customerEmail: `away-${status}@example.net` })
      await setTicket(t.ticketId, { status, assigneeId: m.user.id })
      const [{ replyToken }] = await getDb()
        .select({ replyToken: tickets.replyToken })
        .from(tickets)
        .where(eq(tickets.id, t.ticketId))
      const to = `${m.workspace.slug}.support+${replyToken}@${INBOUND}`
      const eml = fixture('auto-reply.eml', {
        FROM: `away-${status}@example.net`,
        TO: to,
        N: `${mode}${++n}`,
      })
      expect((await post(await build(eml, [to]))).status).toBe(200)
      await settled()
      const list = await messagesOf(t.ticketId)
      expect(list.map((x) => x.bodyText)).toEqual([
        expect.any(String),
        'I am out of the office until Monday.',
      ])
      const [ticket] = await getDb().select().from(tickets).where(eq(tickets.id, t.ticketId))
      expect(ticket.status).toBe(status)
      expect(ticket.lastCustomerMessageAt?.getTime()).toBe(list[0].createdAt.getTime())
      const told = await getDb().select().from(notifications).where(eq(notifications.ticketId, t.ticketId))
      expect(told).toEqual([])
    }
  })

  it('reopens a closed ticket for a message from someone not on it, and the notification email names them', async () => {
    const m = await createMember()
    await getDb().update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, m.user.id))
    const t = await createTicketFor(m, { customerEmail: 'carol@example.net' })
    await setTicket(t.ticketId, { status: 'closed', assigneeId: m.user.id })
    const [{ replyToken }] = await getDb()
      .select({ replyToken: tickets.replyToken })
      .from(tickets)
      .where(eq(tickets.id, t.ticketId))
    const to = `${m.workspace.slug}.support+${replyToken}@${INBOUND}`
    const eml = fixture('gmail-reply.eml', {
      FROM: 'mallory@example.org',
      TO: to,
      N: `${mode}${++n}`,
      NUMBER: '1',
    })
    expect((await post(await build(eml, [to]))).status).toBe(200)
    await settled()
    const [, stranger] = await messagesOf(t.ticketId)
    expect(stranger).toMatchObject({ notFromParticipant: true })
    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.id, t.ticketId))
    expect(ticket.status).toBe('open')
    const [notice] = await getDb()
      .select({ subject: emails.subject, text: emails.text })
      .from(emails)
      .where(and(eq(emails.ticketId, t.ticketId), eq(emails.kind, 'notification')))
    expect(notice.subject).toContain('mallory@example.org, who is not on the ticket, wrote on #')
    expect(notice.subject).not.toContain('The customer replied')
  })

  it('threads an Outlook reply by In-Reply-To, keeps its CC on the ticket and decodes ISO-8859-1 quoted-printable', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'morgan@example.com' })
    const [{ root }] = await getDb()
      .select({ root: tickets.threadMessageId })
      .from(tickets)
      .where(eq(tickets.id, t.ticketId))
    const eml = fixture('outlook-reply.eml', {
      FROM: 'morgan@example.com',
      TO: forwarding(m.workspace.slug),
      IN_REPLY_TO: root,
      REFERENCES: root,
      N: `${mode}${++n}`,
    })
    expect((await post(await build(eml, [forwarding(m.workspace.slug)]))).status).toBe(200)
    await settled()
    const list = await messagesOf(t.ticketId)
    expect(list[1].threadedBy).toBe('header')
    expect(list[1].bodyText).toContain('120 € instead of 100 €')
    expect(list[1].bodyHtml).not.toMatch(/<style|<meta|<head/i)
    const [ticket] = await getDb().select({ cc: tickets.cc }).from(tickets).where(eq(tickets.id, t.ticketId))
    expect(ticket.cc).toEqual(['jamie.partner@example.org'])
  })

  it("flags a reply from someone who is neither the customer nor CC'd", async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'owner@example.com' })
    const [{ replyToken }] = await getDb()
      .select({ replyToken: tickets.replyToken })
      .from(tickets)
      .where(eq(tickets.id, t.ticketId))
    const to = `${m.workspace.slug}.support+${replyToken}@${INBOUND}`
    const eml = fixture('apple-mail-reply.eml', { FROM: 'stranger@example.net', TO: to, N: `${mode}${++n}` })
    await post(await build(eml, [to]))
    await settled()
    const list = await messagesOf(t.ticketId)
    expect(list[1]).toMatchObject({ notFromParticipant: true, threadedBy: 'token' })
    // The inline image is stored as an attachment and its cid: names the stored file.
    const files = await getDb().select().from(attachments).where(eq(attachments.messageId, list[1].id))
    expect(files).toHaveLength(1)
    expect(list[1].bodyHtml).toContain(`cid:${files[0].sha256}`)
  })

  it('decodes ISO-8859-1 and Shift_JIS 8-bit bodies and encoded-word subjects', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    await post(
      await build(fixture('iso-8859-1.eml', { FROM: 'renee@example.fr', TO: to, N: `${mode}${++n}` }), [to]),
    )
    await settled()
    const latin = await lastInbound()
    const [l] = await messagesOf(latin.ticketId!)
    expect(l.bodyText).toContain('Déjà payé, merci à vous.')
    await post(
      await build(fixture('shift-jis.eml', { FROM: 'yamada@example.jp', TO: to, N: `${mode}${++n}` }), [to]),
    )
    await settled()
    const sjis = await lastInbound()
    const [s] = await messagesOf(sjis.ticketId!)
    expect(s.bodyText).toContain('お世話になっております。注文番号12345の件です。')
    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.id, sjis.ticketId!))
    expect(ticket.subject).toBe('ご注文について')
  })

  it('decodes charsets TextDecoder has no decoder for: UTF-7 and DOS code pages, bodies and headers', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    await post(
      await build(fixture('utf-7.eml', { FROM: 'renee7@example.fr', TO: to, N: `${mode}${++n}` }), [to]),
    )
    await settled()
    const utf7 = await lastInbound()
    const [u] = await messagesOf(utf7.ticketId!)
    expect(u.bodyText).toContain('Bonjour, déjà payé, merci à vous ☺.\nLe total est 1+1 = 2.')
    const contactOf = async (ticketId: string) =>
      (
        await getDb()
          .select()
          .from(contacts)
          .innerJoin(tickets, eq(tickets.contactId, contacts.id))
          .where(eq(tickets.id, ticketId))
      )[0]
    const renee = await contactOf(utf7.ticketId!)
    expect(renee.tickets.subject).toBe('Problème réglé ✓')
    expect(renee.contacts.name).toBe('Renée')
    await post(
      await build(fixture('cp850.eml', { FROM: 'juergen@example.de', TO: to, N: `${mode}${++n}` }), [to]),
    )
    await settled()
    const dos = await lastInbound()
    const [d] = await messagesOf(dos.ticketId!)
    expect(d.bodyText).toContain('Grüße aus Köln: die Rechnung ist zu hoch.')
    expect((await contactOf(dos.ticketId!)).contacts.name).toBe('Jürgen')
  })

  it('files the same email posted twice (a SendGrid retry, or both modes) once', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const eml = fixture('forwarded.eml', { FROM: 'dup@example.org', TO: to, N: `dup-${mode}${++n}` })
    const once = await build(eml, [to])
    expect((await post(once)).status).toBe(200)
    expect((await post(once)).status).toBe(200)
    const other =
      mode === 'raw'
        ? await parsedModePost(eml, { envelopeTo: [to] })
        : rawModePost(eml, { envelopeTo: [to] })
    expect((await post(other)).status).toBe(200)
    await settled()
    const rows = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .where(sql`${messages.inboundKey} like ${`mid:<fwd-dup-${mode}${n}@mail.example.org> %`}`)
    expect(rows[0].n).toBe(1)
  })
})

describe('the webhook', () => {
  it('refuses a wrong secret with 401 and accepts Basic auth with the secret as password', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const p = rawModePost(fixture('auto-reply.eml', { FROM: 'away@example.net', TO: to, N: `basic${++n}` }), {
      envelopeTo: [to],
    })
    expect((await post(p, '/webhooks/sendgrid/inbound/wrong-secret-0123456789abcdef')).status).toBe(401)
    expect((await post(p, '/webhooks/sendgrid/inbound')).status).toBe(401)
    const basic = `Basic ${Buffer.from(`sendgrid:${SECRET}`).toString('base64')}`
    expect((await post(p, '/webhooks/sendgrid/inbound', { authorization: basic })).status).toBe(200)
    await settled()
    expect((await lastInbound()).status).toBe('filed')
  })

  it('answers 413 to a 40 MB post and stores nothing', async () => {
    const before = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(inboundEmails)
    const big = multipartBody([{ name: 'email', value: Buffer.alloc(40 * 1024 * 1024, 'a') }])
    const response = await post(big).catch(() => undefined)
    if (response) expect(response.status).toBe(413)
    const after = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(inboundEmails)
    expect(after[0].n).toBe(before[0].n)
  })

  it('keeps the post as a file at its content address, which files.cleanup leaves alone, and files it', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const p = rawModePost(fixture('forwarded.eml', { FROM: 'file@example.org', TO: to, N: `fs${++n}` }), {
      envelopeTo: [to],
    })
    expect((await post(p)).status).toBe(200)
    const row = await lastInbound()
    expect(row.raw).toBeNull()
    expect(row.rawSha256).toBe(createHash('sha256').update(p.body).digest('hex'))
    expect(fs.readFileSync(pathFor(row.rawSha256!)).equals(p.body)).toBe(true)
    await settled()
    expect((await lastInbound()).status).toBe('filed')
    // A day and more later, an orphan would be removed; the post is named by its row.
    await cleanupOrphanFiles(Date.now() + 3 * 24 * 60 * 60 * 1000)
    expect(fs.existsSync(pathFor(row.rawSha256!))).toBe(true)
  })

  it('still files a post stored as a bytea before the file store', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const p = rawModePost(fixture('forwarded.eml', { FROM: 'old@example.org', TO: to, N: `old${++n}` }), {
      envelopeTo: [to],
    })
    const [row] = await getDb()
      .insert(inboundEmails)
      .values({ sha256: `old-${n}`, contentType: p.contentType, raw: p.body, size: p.body.length })
      .returning({ id: inboundEmails.id })
    expect(await fileInboundEmail(row.id)).toBe('filed')
  })

  it('answers 200 to a recipient that matches no mailbox and creates nothing', async () => {
    const to = `nobody.nothing@${INBOUND}`
    const ticketsBefore = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(tickets)
    expect(
      (
        await post(
          rawModePost(fixture('forwarded.eml', { FROM: 'x@example.org', TO: to, N: `nr${++n}` }), {
            envelopeTo: [to],
          }),
        )
      ).status,
    ).toBe(200)
    await settled()
    expect((await lastInbound()).status).toBe('unrouted')
    const ticketsAfter = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(tickets)
    expect(ticketsAfter[0].n).toBe(ticketsBefore[0].n)
  })

  it('files a forged reply token as a new ticket of the addressed mailbox', async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support+abcdefghijklmnopqrst@${INBOUND}`
    await post(
      rawModePost(fixture('forwarded.eml', { FROM: 'forger@example.org', TO: to, N: `forged${++n}` }), {
        envelopeTo: [to],
      }),
    )
    await settled()
    const inbound = await lastInbound()
    expect(inbound).toMatchObject({ status: 'filed', workspaceId: m.workspace.id })
    const [message] = await messagesOf(inbound.ticketId!)
    expect(message.threadedBy).toBe('new')
  })

  it('marks a post with missing fields as failed, answering 200', async () => {
    const response = await post(multipartBody([{ name: 'subject', value: 'only a subject' }]))
    expect(response.status).toBe(200)
    await settled()
    expect((await lastInbound()).status).toBe('unrouted')
    expect((await post({ body: Buffer.from('x'), contentType: 'text/plain' })).status).toBe(400)
  })

  it('survives malformed headers', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const eml = Buffer.from(
      `From: <<<broken\r\nTo: ${to}\r\nSubject: =?bogus?Q?x?=\r\nIn-Reply-To: <unterminated\r\nContent-Type: multipart/mixed; boundary=\r\n\r\nbody without parts\r\n`,
    )
    expect((await post(rawModePost(eml, { envelopeTo: [to] }))).status).toBe(200)
    await settled()
    expect(['failed', 'filed']).toContain((await lastInbound()).status)
  })

  it('cuts a subject longer than 250 characters where it shows it was cut', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const long = `Order ${'très long sujet '.repeat(30)}end`
    const eml = Buffer.from(
      `From: Lou <lou@example.org>\r\nTo: ${to}\r\nSubject: ${long}\r\nMessage-ID: <long-${++n}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n`,
    )
    expect((await post(rawModePost(eml, { envelopeTo: [to] }))).status).toBe(200)
    await settled()
    const [ticket] = await getDb()
      .select({ subject: tickets.subject })
      .from(tickets)
      .where(eq(tickets.id, (await lastInbound()).ticketId!))
    expect(ticket.subject.length).toBeLessThanOrEqual(250)
    expect(ticket.subject).toMatch(/^Order très long sujet .*…$/)
  })

  it('keeps at most 10 of 500 attachments and refuses executables and path names', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const parts = [
      { name: 'from', value: 'Bulk Sender <bulk@example.org>' },
      { name: 'to', value: to },
      { name: 'subject', value: 'Many files' },
      { name: 'text', value: 'See attached' },
      {
        name: 'headers',
        value: `From: bulk@example.org\r\nTo: ${to}\r\nMessage-ID: <many-${++n}@example.org>\r\n`,
      },
      { name: 'envelope', value: JSON.stringify({ to: [to], from: 'bulk@example.org' }) },
      { name: 'charsets', value: '{}' },
      { name: 'attachment1', value: 'root:x:0:0', filename: '../../etc/passwd', type: 'text/plain' },
      { name: 'attachment2', value: 'MZ', filename: 'invoice.pdf.exe', type: 'application/octet-stream' },
      ...Array.from({ length: 498 }, (_, i) => ({
        name: `attachment${i + 3}`,
        value: `file ${i}`,
        filename: `f${i}.txt`,
        type: 'text/plain',
      })),
    ]
    expect((await post(multipartBody(parts))).status).toBe(200)
    await settled()
    const inbound = await lastInbound()
    expect(inbound.status).toBe('filed')
    const [message] = await messagesOf(inbound.ticketId!)
    const files = await getDb().select().from(attachments).where(eq(attachments.messageId, message.id))
    expect(files).toHaveLength(10)
    expect(files.map((f) => f.filename)).not.toContain('invoice.pdf.exe')
    expect(files.every((f) => !f.filename.includes('/'))).toBe(true)
    expect(inbound.error).toMatch(/executable/)
  })

  it('keeps mail beyond INBOUND_MAX_PER_SENDER_HOUR new tickets in one rate-limited ticket', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    for (let i = 0; i < 5; i++) {
      await post(
        rawModePost(fixture('forwarded.eml', { FROM: 'flood@example.org', TO: to, N: `flood${++n}` }), {
          envelopeTo: [to],
        }),
      )
    }
    await settled()
    const rows = await getDb()
      .select({ subject: tickets.subject, count: tickets.messageCount })
      .from(tickets)
      .where(eq(tickets.workspaceId, m.workspace.id))
    expect(rows).toHaveLength(4)
    expect(rows.filter((r) => r.subject.startsWith('Rate-limited'))).toEqual([
      { subject: 'Rate-limited: more mail from flood@example.org', count: 2 },
    ])
  })

  it('verifies the signature when a public key is configured', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    process.env.SENDGRID_WEBHOOK_PUBLIC_KEY = publicKey
      .export({ format: 'der', type: 'spki' })
      .toString('base64')
    envStore.__switchboardEnv = undefined
    try {
      const m = await createMember()
      const to = forwarding(m.workspace.slug)
      const p = rawModePost(
        fixture('forwarded.eml', { FROM: 'signed@example.org', TO: to, N: `sig${++n}` }),
        { envelopeTo: [to] },
      )
      const timestamp = String(Math.floor(Date.now() / 1000))
      const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), p.body]), privateKey).toString(
        'base64',
      )
      const headers = {
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': timestamp,
      }
      expect((await post(p)).status).toBe(401)
      expect(
        (
          await post(p, undefined, {
            ...headers,
            'x-twilio-email-event-webhook-timestamp': String(Number(timestamp) - 1),
          })
        ).status,
      ).toBe(401)
      expect((await post(p, undefined, headers)).status).toBe(200)
    } finally {
      delete process.env.SENDGRID_WEBHOOK_PUBLIC_KEY
      envStore.__switchboardEnv = undefined
    }
  })

  it('auto-acknowledges a new email ticket once, and never an auto-reply', async () => {
    const m = await createMember()
    await getDb()
      .update(mailboxes)
      .set({ autoAcknowledge: true, autoAcknowledgeText: 'We got your message.' })
      .where(eq(mailboxes.workspaceId, m.workspace.id))
    const to = forwarding(m.workspace.slug)
    await post(
      rawModePost(fixture('forwarded.eml', { FROM: 'ack@example.org', TO: to, N: `ack${++n}` }), {
        envelopeTo: [to],
      }),
    )
    await post(
      rawModePost(fixture('auto-reply.eml', { FROM: 'away@example.org', TO: to, N: `ack${++n}` }), {
        envelopeTo: [to],
      }),
    )
    await settled()
    const acks = await getDb()
      .select({
        to: emails.toAddress,
        replyTo: emails.replyTo,
        messageId: sql<string>`${emails.headers}->>'Message-ID'`,
      })
      .from(emails)
      .where(and(eq(emails.workspaceId, m.workspace.id), eq(emails.kind, 'auto-acknowledgement')))
    expect(acks).toHaveLength(1)
    expect(acks[0].to).toBe('ack@example.org')
    expect(acks[0].replyTo).toMatch(
      new RegExp(`^${m.workspace.slug}\\.support\\+[a-z2-7]{20}@${INBOUND.replace(/\./g, '\\.')}$`),
    )
    // Found from outside (2026-12-07): an answer to the acknowledgement that reaches the mailbox
    // without the token (Outlook, no References; another help desk's auto-reply) opened a new
    // ticket every time, its In-Reply-To naming an email no ticket knew. The acknowledgement
    // carries the ticket's thread root as its Message-ID.
    const ticket = (await lastTicketOf(m.workspace.id, 'ack@example.org'))!
    expect(acks[0].messageId).toBe(ticket.threadMessageId)
    await post(
      rawModePost(
        fixture('outlook-reply.eml', {
          FROM: 'ack@example.org',
          TO: to,
          IN_REPLY_TO: acks[0].messageId,
          REFERENCES: '<unrelated@example.org>',
          N: `ack${++n}`,
        }),
        { envelopeTo: [to] },
      ),
    )
    await settled()
    const thread = await messagesOf(ticket.id)
    expect(thread.map((msg) => msg.threadedBy)).toEqual(['new', 'header'])
    expect(await lastTicketOf(m.workspace.id, 'ack@example.org')).toEqual(ticket)
  })

  it('attaches a DSN to the email it reports on, marking it and the address bounced', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'gone@example.net' })
    const originalId = `<reply-${++n}@switchboard.test>`
    const email = await insertSentReply({
      ticket: t,
      workspaceId: m.workspace.id,
      to: 'gone@example.net',
      originalId,
    })
    const to = forwarding(m.workspace.slug)
    const eml = fixture('dsn-bounce.eml', {
      TO: to,
      BOUNCED: 'gone@example.net',
      ORIGINAL_ID: originalId,
      N: String(n),
    })
    await post(rawModePost(eml, { envelopeTo: [to], envelopeFrom: '' }))
    const unknown = fixture('dsn-bounce.eml', {
      TO: to,
      BOUNCED: 'x@example.net',
      ORIGINAL_ID: '<nope@x>',
      N: `u${n}`,
    })
    await post(rawModePost(unknown, { envelopeTo: [to], envelopeFrom: '' }))
    await settled()
    const rows = await getDb()
      .select()
      .from(inboundEmails)
      .where(eq(inboundEmails.workspaceId, m.workspace.id))
    expect(rows.map((r) => r.status).sort()).toEqual(['bounce', 'dropped'])
    expect(rows.find((r) => r.status === 'bounce')!.emailId).toBe(email.id)
    const [after] = await getDb()
      .select({ status: emails.status })
      .from(emails)
      .where(eq(emails.id, email.id))
    expect(after.status).toBe('bounced')
    const [contact] = await getDb()
      .select({ bouncedAt: contacts.bouncedAt })
      .from(contacts)
      .where(sql`lower(email) = 'gone@example.net'`)
    expect(contact.bouncedAt).not.toBeNull()
    const ticketCount = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(tickets)
      .where(eq(tickets.workspaceId, m.workspace.id))
    expect(ticketCount[0].n).toBe(1)
  })
})

/** An agent reply we sent, as its emails row (the Message-ID a delivery report returns). */
async function insertSentReply(reply: {
  ticket: { ticketId: string }
  workspaceId: string
  to: string
  cc?: string[]
  originalId: string
}) {
  const [email] = await getDb()
    .insert(emails)
    .values({
      workspaceId: reply.workspaceId,
      ticketId: reply.ticket.ticketId,
      kind: 'agent-reply',
      fromAddress: 'support@example.com',
      fromName: 'Support',
      toAddress: reply.to,
      cc: reply.cc ?? [],
      subject: 'Re: x',
      html: 'x',
      text: 'x',
      status: 'sent',
      headers: { 'Message-ID': reply.originalId },
    })
    .returning({ id: emails.id })
  return email
}

describe('delivery reports that are not what they claim', () => {
  async function sentReply(cc: string[] = []) {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: `kept-${++n}@example.net` })
    const originalId = `<reply-${n}@switchboard.test>`
    const to = `kept-${n}@example.net`
    const email = await insertSentReply({ ticket: t, workspaceId: m.workspace.id, to, cc, originalId })
    return { m, t, email, originalId, customer: `kept-${n}@example.net` }
  }
  const statusOf = async (id: string) =>
    (await getDb().select({ status: emails.status }).from(emails).where(eq(emails.id, id)))[0].status
  const bouncedAt = async (address: string) =>
    (
      await getDb()
        .select({ bouncedAt: contacts.bouncedAt })
        .from(contacts)
        .where(sql`lower(email) = ${address}`)
    )[0]?.bouncedAt ?? null

  it('a report sent from an ordinary mailbox (not the null sender) marks nothing and is filed as mail', async () => {
    // A CC'd person saw the reply's Message-ID and writes a report naming the customer.
    const { m, email, originalId, customer } = await sentReply(['partner@example.org'])
    const to = forwarding(m.workspace.slug)
    const forged = fixture('dsn-bounce.eml', {
      TO: to,
      BOUNCED: customer,
      ORIGINAL_ID: originalId,
      N: `f${n}`,
    })
    await post(rawModePost(forged, { envelopeTo: [to], envelopeFrom: 'partner@example.org' }))
    await settled()
    expect(await statusOf(email.id)).toBe('sent')
    expect(await bouncedAt(customer)).toBeNull()
    const rows = await getDb()
      .select({ status: inboundEmails.status })
      .from(inboundEmails)
      .where(eq(inboundEmails.workspaceId, m.workspace.id))
    expect(rows.map((r) => r.status)).toEqual(['filed'])
  })

  it('a real report on a CC’d address’s copy leaves the email and its customer as they were', async () => {
    const { m, email, originalId, customer } = await sentReply(['old-partner@example.org'])
    await createTicketFor(m, { customerEmail: 'old-partner@example.org' })
    const to = forwarding(m.workspace.slug)
    const eml = fixture('dsn-bounce.eml', {
      TO: to,
      BOUNCED: 'old-partner@example.org',
      ORIGINAL_ID: originalId,
      N: `c${n}`,
    })
    await post(rawModePost(eml, { envelopeTo: [to], envelopeFrom: '' }))
    await settled()
    expect(await statusOf(email.id)).toBe('sent')
    expect(await bouncedAt(customer)).toBeNull()
    expect(await bouncedAt('old-partner@example.org')).not.toBeNull()
  })
})

describe('posts that failed on every attempt before (probed from outside, 2026-12-03)', () => {
  const plainEmail = (to: string, body: string, headers = '') =>
    Buffer.from(
      `From: Nul Sender <nul-${++n}@example.net>\r\nTo: ${to}\r\nSubject: nul ${n}\r\nMessage-ID: <nul-${n}@example.net>\r\n${headers}` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${body}\r\n`,
    )

  it('files an email whose body holds NUL characters, without them (raw and parsed mode)', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    // Quoted-printable =00 decodes to NUL, which PostgreSQL's text refuses.
    expect((await post(rawModePost(plainEmail(to, 'x=00y and =00z'), { envelopeTo: [to] }))).status).toBe(200)
    await settled()
    const raw = await lastInbound()
    expect(raw.status).toBe('filed')
    const [rawMessage] = await messagesOf(raw.ticketId!)
    expect(rawMessage.bodyText).toBe('xy and z')

    const parsed = multipartBody([
      {
        name: 'headers',
        value: `From: nul-parsed@example.net\nTo: ${to}\nSubject: parsed nul\nMessage-ID: <nul-parsed-${++n}@example.net>\n`,
      },
      { name: 'from', value: 'nul-parsed@example.net' },
      { name: 'to', value: to },
      { name: 'subject', value: 'parsed \u0000nul' },
      { name: 'text', value: 'a\u0000b' },
      { name: 'envelope', value: JSON.stringify({ to: [to], from: 'nul-parsed@example.net' }) },
    ])
    expect((await post(parsed)).status).toBe(200)
    await settled()
    const filed = await lastInbound()
    expect(filed.status).toBe('filed')
    const [message] = await messagesOf(filed.ticketId!)
    expect(message.bodyText).toBe('ab')
  })

  it('marks a message nested deeper than 50 MIME levels failed on its first attempt', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    let part = 'Content-Type: text/plain\r\n\r\ninnermost\r\n'
    for (let level = 0; level < 60; level++) {
      part = `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n${part}--b${level}--\r\n`
    }
    const eml = Buffer.from(
      `From: deep@example.net\r\nTo: ${to}\r\nSubject: deep\r\nMIME-Version: 1.0\r\n${part}`,
    )
    expect((await post(rawModePost(eml, { envelopeTo: [to] }))).status).toBe(200)
    // settled() allows 10 s: a retried job (backoff) would still be `received` by then.
    await settled()
    const row = await lastInbound()
    expect(row.status).toBe('failed')
    expect(row.error).toMatch(/MIME/)
  })

  it('marks a post failed when its job fails on the last attempt, not before, and files it when the job is redriven', async () => {
    // A post whose stored file is gone: every attempt fails the same way, but not as a parse
    // error (the file could come back), so the job retries; after the last, the post is failed.
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const post = multipartBody([
      {
        name: 'headers',
        value: `From: back@example.net\nTo: ${to}\nSubject: back\nMessage-ID: <back-${++n}@example.net>\n`,
      },
      { name: 'from', value: 'back@example.net' },
      { name: 'to', value: to },
      { name: 'subject', value: 'back again' },
      { name: 'text', value: 'filed once the file is back' },
      { name: 'envelope', value: JSON.stringify({ to: [to], from: 'back@example.net' }) },
    ])
    const sha = createHash('sha256').update(post.body).digest('hex')
    const [row] = await getDb()
      .insert(inboundEmails)
      .values({
        sha256: `gone-${sha}`,
        contentType: post.contentType,
        rawSha256: sha,
        size: post.body.length,
      })
      .returning({ id: inboundEmails.id })
    const job = (retryCount: number) =>
      ({
        id: crypto.randomUUID(),
        name: 'email.inbound',
        data: { inboundEmailId: row.id },
        retryCount,
        retryLimit: 5,
      }) as never
    const [first] = await fileInboundEmails([job(0)])
    expect(first.status).toBe('failed')
    const [kept] = await getDb().select().from(inboundEmails).where(eq(inboundEmails.id, row.id))
    expect(kept.status).toBe('received')
    const [last] = await fileInboundEmails([job(5)])
    expect(last.status).toBe('failed')
    const [failed] = await getDb().select().from(inboundEmails).where(eq(inboundEmails.id, row.id))
    expect(failed.status).toBe('failed')
    expect(failed.error).toMatch(/^Could not be filed: /)
    expect(failed.processedAt).not.toBeNull()
    // The operator fixes the fault and redrives the dead-lettered job: the post is filed.
    fs.mkdirSync(path.dirname(pathFor(sha)), { recursive: true })
    fs.writeFileSync(pathFor(sha), post.body)
    const [redriven] = await fileInboundEmails([job(0)])
    expect(redriven).toMatchObject({ status: 'completed', output: { outcome: 'filed' } })
    const [filed] = await getDb().select().from(inboundEmails).where(eq(inboundEmails.id, row.id))
    expect(filed.status).toBe('filed')
  })

  it('files a post whose charsets and attachment-info hold values of the wrong type', async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const sender = `typed-${++n}@example.net`
    const parsed = multipartBody([
      {
        name: 'headers',
        value: `From: ${sender}\nTo: ${to}\nSubject: odd fields\nMessage-ID: <odd-${n}@example.net>\n`,
      },
      { name: 'from', value: sender },
      { name: 'to', value: to },
      { name: 'subject', value: 'odd fields' },
      { name: 'text', value: 'see the file' },
      { name: 'charsets', value: JSON.stringify({ text: 1, subject: ['x'] }) },
      {
        name: 'attachment-info',
        value: JSON.stringify({ attachment1: { filename: 7, type: 9, 'content-id': 5 } }),
      },
      { name: 'attachment1', value: 'file body', filename: 'notes.txt', type: 'text/plain' },
      { name: 'envelope', value: JSON.stringify({ to: [to], from: sender }) },
    ])
    expect((await post(parsed)).status).toBe(200)
    await settled()
    const row = await lastInbound()
    expect(row.status).toBe('filed')
    const files = await getDb()
      .select({ filename: attachments.filename })
      .from(attachments)
      .innerJoin(messages, eq(messages.id, attachments.messageId))
      .where(eq(messages.ticketId, row.ticketId!))
    expect(files.map((f) => f.filename)).toEqual(['notes.txt'])
  })
})

describe('the streamed body', () => {
  const tmpFiles = () => {
    const dir = path.join(filesDir(), 'tmp')
    return fs.existsSync(dir) ? fs.readdirSync(dir) : []
  }
  const inboundCount = async () =>
    (
      await getDb()
        .select({ n: sql<number>`count(*)::int` })
        .from(inboundEmails)
    )[0].n

  /** Sends `chunks` without a Content-Length (chunked), then ends the body or breaks the connection. */
  function chunkedPost(chunks: Buffer[], contentType: string, end: 'end' | 'abort') {
    return new Promise<number | 'closed'>((resolve) => {
      const url = new URL(`${server.url}/webhooks/sendgrid/inbound/${SECRET}`)
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': contentType },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', () => resolve('closed'))
      for (const chunk of chunks) req.write(chunk)
      if (end === 'end') req.end()
      else setTimeout(() => req.destroy(), 50)
    })
  }

  it('answers 413 to a chunked post that grows past 35 MB, stores nothing and leaves no temporary file', async () => {
    const before = await inboundCount()
    const { contentType } = multipartBody([{ name: 'email', value: Buffer.from('x') }])
    const megabyte = Buffer.alloc(1024 * 1024, 'a')
    const status = await chunkedPost(Array<Buffer>(36).fill(megabyte), contentType, 'end')
    // The 413 goes out as soon as the limit is crossed; the client may see the close first.
    if (status !== 'closed') expect(status).toBe(413)
    expect(await inboundCount()).toBe(before)
    await waitFor(() => tmpFiles().length === 0)
  })

  it('stores nothing when the sender breaks off mid-body, and keeps serving', async () => {
    const before = await inboundCount()
    const p = rawModePost(fixture('forwarded.eml', { FROM: 'cut@example.org', TO: 'x@y', N: `cut${++n}` }), {
      envelopeTo: ['x@y'],
    })
    expect(await chunkedPost([p.body.subarray(0, 1000)], p.contentType, 'abort')).toBe('closed')
    await waitFor(() => tmpFiles().length === 0)
    expect(await inboundCount()).toBe(before)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })

  it('refuses a bad signature after the body without leaving the body on disk', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    process.env.SENDGRID_WEBHOOK_PUBLIC_KEY = publicKey
      .export({ format: 'der', type: 'spki' })
      .toString('base64')
    envStore.__switchboardEnv = undefined
    try {
      const p = rawModePost(
        fixture('forwarded.eml', { FROM: 'forged@example.org', TO: 'x@y', N: `forged${++n}` }),
        {
          envelopeTo: ['x@y'],
        },
      )
      const timestamp = String(Math.floor(Date.now() / 1000))
      // Signed over other bytes: the headers look right, the body does not match.
      const signature = sign('sha256', Buffer.from(`${timestamp}other`), privateKey).toString('base64')
      const response = await post(p, undefined, {
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': timestamp,
      })
      expect(response.status).toBe(401)
      expect(fs.existsSync(pathFor(createHash('sha256').update(p.body).digest('hex')))).toBe(false)
      expect(tmpFiles()).toEqual([])
    } finally {
      delete process.env.SENDGRID_WEBHOOK_PUBLIC_KEY
      envStore.__switchboardEnv = undefined
    }
  })
})

describe('Settings → Mailboxes', () => {
  it('never sends the server-wide Inbound Parse secret to a browser, not even to an owner or in part', async () => {
    // One secret per server, and anyone can sign up and own a workspace: with it they could post
    // forged email to every other workspace's forwarding addresses, past SendGrid.
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const agent = await createMember('agent', owner.workspace)
    for (const member of [owner, admin, agent]) {
      for (const suffix of ['', '.data']) {
        const response = await fetch(`${server.url}/w/${owner.workspace.slug}/settings/mailboxes${suffix}`, {
          headers: { cookie: member.cookie },
        })
        expect(response.status).toBe(200)
        const text = await response.text()
        expect(text).not.toContain(SECRET)
        expect(text).not.toContain(`/webhooks/sendgrid/inbound/${SECRET.slice(0, 4)}`)
        const shown = suffix === '' ? '&lt;SENDGRID_INBOUND_SECRET&gt;' : '<SENDGRID_INBOUND_SECRET>'
        expect(text).toContain(`/webhooks/sendgrid/inbound/${shown}`)
      }
    }
  })
})

describe('our own email coming back', () => {
  it("never CCs the workspace's other mailboxes, and an agent reply that reaches one is dropped, not filed as the customer's", async () => {
    const m = await createMember()
    const billing = `billing-${m.workspace.slug}@example.com`
    await getDb().insert(mailboxes).values({
      workspaceId: m.workspace.id,
      name: 'Billing',
      key: 'billing',
      address: billing,
      fromName: 'Billing',
    })
    const first = `<loop-first-${++n}@example.org>`
    const eml = (headers: string[], body: string) =>
      Buffer.from(
        `${[...headers, 'Content-Type: text/plain; charset=utf-8'].join('\r\n')}\r\n\r\n${body}\r\n`,
      )
    // The customer writes to support and copies billing (also one of ours, forwarded to us).
    await post(
      rawModePost(
        eml(
          [
            'From: Pat Customer <pat@example.org>',
            `To: ${m.workspace.slug}@example.com`,
            `Cc: ${billing}, colleague@example.org`,
            'Subject: Loop check',
            `Message-ID: ${first}`,
          ],
          'Hello, where is my order?',
        ),
        { envelopeTo: [forwarding(m.workspace.slug)] },
      ),
    )
    await settled()
    const created = await lastInbound()
    expect(created.status).toBe('filed')
    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.id, created.ticketId!))
    expect(ticket.cc).toEqual(['colleague@example.org'])

    // An agent copies billing by hand: the email reaches billing, which forwards it to us.
    const sent = await callAction(
      ticketRoute,
      `/w/${m.workspace.slug}/tickets/${ticket.number}`,
      { intent: 'reply', kind: 'reply', body: 'It ships today', sendAnyway: '1', cc: billing, ccShown: '1' },
      {
        cookie: m.cookie,
        params: { slug: m.workspace.slug, number: String(ticket.number) },
        context: testContext(),
      },
    )
    expect(sent.status).toBe(302)
    await setTicket(ticket.id, { status: 'pending' })
    const [reply] = await getDb()
      .select()
      .from(emails)
      .where(eq(emails.messageId, sent.location!.split('#m-')[1]!))
    expect(reply.cc).toContain(billing)
    await post(
      rawModePost(
        eml(
          [
            `From: Support <${m.workspace.slug}@example.com>`,
            'To: pat@example.org',
            `Cc: ${billing}`,
            'Subject: Re: Loop check',
            `Message-ID: ${reply.headers['Message-ID']}`,
            `In-Reply-To: ${first}`,
            `References: ${reply.headers.References}`,
          ],
          'It ships today',
        ),
        { envelopeTo: [`${m.workspace.slug}.billing@${INBOUND}`] },
      ),
    )
    await settled()
    const echo = await lastInbound()
    expect(echo.status).toBe('dropped')
    expect(await messagesOf(ticket.id)).toHaveLength(2)
    const [after] = await getDb()
      .select({ status: tickets.status })
      .from(tickets)
      .where(eq(tickets.id, ticket.id))
    expect(after.status).toBe('pending')
  })
})
