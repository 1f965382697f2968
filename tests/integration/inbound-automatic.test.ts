import { randomBytes } from 'node:crypto'
import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, mailboxes, messages, notifications, tickets } from '#db/schema.ts'
import { createMember, createTicketFor, setTicket, type TestMember } from '#tests/helpers/factories.ts'
import { parsedModePost, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, postInbound, startInboundServer } from '#tests/helpers/inbound-server.ts'

/**
 * Mail software answering on its own is no person writing (found from outside, 2026-12-07: a
 * reply with `Precedence: auto_reply` reopened a resolved ticket, and a new email with it got our
 * auto-acknowledgement, two robots answering each other). Such mail is filed on the ticket and
 * marked automatic, and changes nothing else; a person's mail that merely carries a header some
 * automatic mail also carries (X-Auto-Response-Suppress from Outlook, a list's Precedence) is
 * still a person's reply.
 */
const SECRET = 'automatic-mail-secret-0123456789abcdef'
const INBOUND = 'auto.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

function eml(m: { from: string; to: string; subject: string; headers: string; body?: string }) {
  return Buffer.from(
    `From: ${m.from}\r\nTo: ${m.to}\r\nSubject: ${m.subject}\r\n` +
      `Date: Mon, 7 Dec 2026 09:00:00 +0000\r\n` +
      `Message-ID: <auto-${randomBytes(6).toString('hex')}@example.net>\r\n` +
      `${m.headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `${m.body ?? 'I am out of the office until Monday.'}\r\n`,
  )
}

async function replyAddress(m: TestMember, ticketId: string) {
  const [{ replyToken }] = await getDb()
    .select({ replyToken: tickets.replyToken })
    .from(tickets)
    .where(eq(tickets.id, ticketId))
  return `${m.workspace.slug}.support+${replyToken}@${INBOUND}`
}

const AUTOMATIC: Array<[string, string]> = [
  ['Precedence: auto_reply', 'Precedence: auto_reply\r\n'],
  ['Auto-Submitted with parameters', 'Auto-Submitted: auto-replied; owner-email="sam@example.net"\r\n'],
  ['X-Autoreply', 'X-Autoreply: yes\r\n'],
  ['X-Autorespond', 'X-Autorespond: Kettle order\r\n'],
  [
    'Exchange’s out of office (X-Auto-Response-Suppress with the inbox rule’s loop header)',
    'X-Auto-Response-Suppress: All\r\nX-MS-Exchange-Inbox-Rules-Loop: sam@example.net\r\n',
  ],
  ['Precedence: bulk from no list', 'Precedence: bulk\r\n'],
]

const PERSON: Array<[string, string]> = [
  ['no such header', ''],
  ['Auto-Submitted: no', 'Auto-Submitted: no\r\n'],
  ['X-Auto-Response-Suppress alone (Outlook puts it on people’s mail)', 'X-Auto-Response-Suppress: All\r\n'],
  [
    'a post through a mailing list (Precedence: list)',
    'List-Id: Kettle owners <owners.lists.example.com>\r\nPrecedence: list\r\n',
  ],
  [
    'a post through a mailing list that says Precedence: bulk (Mailman 2)',
    'List-Id: Kettle owners <owners.lists.example.com>\r\nPrecedence: bulk\r\n',
  ],
]

describe.each(['raw', 'parsed'] as const)('%s mode', (mode) => {
  const build = (email: Buffer, to: string) =>
    mode === 'raw' ? rawModePost(email, { envelopeTo: [to] }) : parsedModePost(email, { envelopeTo: [to] })

  async function replyTo(status: 'resolved' | 'pending', headers: string) {
    const m = await createMember()
    const customer = `sam-${randomBytes(4).toString('hex')}@example.net`
    const t = await createTicketFor(m, { customerEmail: customer })
    await setTicket(t.ticketId, { status, assigneeId: m.user.id })
    const to = await replyAddress(m, t.ticketId)
    const response = await postInbound(
      server,
      SECRET,
      await build(
        eml({ from: `Sam <${customer}>`, to, subject: 'Out of office: Kettle order', headers }),
        to,
      ),
    )
    expect(response.status).toBe(200)
    await inboundPostsSettled()
    const thread = await getDb()
      .select()
      .from(messages)
      .where(eq(messages.ticketId, t.ticketId))
      .orderBy(asc(messages.createdAt))
    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.id, t.ticketId))
    const told = await getDb().select().from(notifications).where(eq(notifications.ticketId, t.ticketId))
    return { thread, ticket, told }
  }

  it.each(AUTOMATIC)(
    'files an automatic reply (%s) without reopening, unread or notification',
    async (_, headers) => {
      for (const status of ['resolved', 'pending'] as const) {
        const { thread, ticket, told } = await replyTo(status, headers)
        expect(thread).toHaveLength(2)
        expect(thread[1]).toMatchObject({ automatic: true, bodyText: 'I am out of the office until Monday.' })
        expect(ticket.status).toBe(status)
        expect(ticket.lastCustomerMessageAt?.getTime()).toBe(thread[0].createdAt.getTime())
        expect(told).toEqual([])
      }
    },
  )

  it.each(PERSON)('reopens the ticket for a person’s reply (%s)', async (_, headers) => {
    const { thread, ticket, told } = await replyTo('resolved', headers)
    expect(thread).toHaveLength(2)
    expect(thread[1].automatic).toBe(false)
    expect(ticket.status).toBe('open')
    expect(ticket.lastCustomerMessageAt?.getTime()).toBe(thread[1].createdAt.getTime())
    expect(told).toHaveLength(1)
  })

  it('sends no auto-acknowledgement to a new email with Precedence: auto_reply, and marks it automatic; a person’s gets one', async () => {
    const m = await createMember()
    await getDb()
      .update(mailboxes)
      .set({ autoAcknowledge: true, autoAcknowledgeText: 'We got your message.' })
      .where(eq(mailboxes.workspaceId, m.workspace.id))
    const to = `${m.workspace.slug}.support@${INBOUND}`
    const robot = `robot-${randomBytes(4).toString('hex')}@example.net`
    const person = `person-${randomBytes(4).toString('hex')}@example.net`
    for (const [from, headers] of [
      [robot, 'Precedence: auto_reply\r\n'],
      [person, 'X-Auto-Response-Suppress: OOF\r\n'],
    ]) {
      const response = await postInbound(
        server,
        SECRET,
        await build(eml({ from, to, subject: 'Out of office: Hello', headers }), to),
      )
      expect(response.status).toBe(200)
    }
    await inboundPostsSettled()
    const acknowledged = await getDb()
      .select({ to: emails.toAddress })
      .from(emails)
      .where(and(eq(emails.workspaceId, m.workspace.id), eq(emails.kind, 'auto-acknowledgement')))
    // X-Auto-Response-Suppress asks for no automatic answer: the person who sent it gets none either.
    expect(acknowledged).toEqual([])
    const filed = await getDb()
      .select({ automatic: messages.automatic, bodyText: messages.bodyText })
      .from(messages)
      .where(eq(messages.workspaceId, m.workspace.id))
      .orderBy(asc(messages.createdAt))
    expect(filed).toEqual([
      { automatic: true, bodyText: 'I am out of the office until Monday.' },
      { automatic: false, bodyText: 'I am out of the office until Monday.' },
    ])
    const third = `third-${randomBytes(4).toString('hex')}@example.net`
    const response = await postInbound(
      server,
      SECRET,
      await build(eml({ from: third, to, subject: 'Hello', headers: '', body: 'Where is my kettle?' }), to),
    )
    expect(response.status).toBe(200)
    await inboundPostsSettled()
    const after = await getDb()
      .select({ to: emails.toAddress })
      .from(emails)
      .where(and(eq(emails.workspaceId, m.workspace.id), eq(emails.kind, 'auto-acknowledgement')))
    expect(after).toEqual([{ to: third }])
  })
})

describe('the ticket page', () => {
  it('marks an automatic reply and shows each customer-side message’s real From address beside its name', async () => {
    const m = await createMember()
    const t = await createTicketFor(m, { customerEmail: 'zoe@example.net', customerName: "Zoe O'Brien" })
    const to = await replyAddress(m, t.ticketId)
    for (const [from, headers, body] of [
      ['"Zoe O\'Brien" <mallory@evil.example>', '', 'Please send the refund to my new account.'],
      ['Zoe <zoe@example.net>', 'Precedence: auto_reply\r\n', 'I am out of the office until Monday.'],
    ]) {
      const response = await postInbound(
        server,
        SECRET,
        await rawModePost(eml({ from, to, subject: 'Re: Kettle', headers, body }), { envelopeTo: [to] }),
      )
      expect(response.status).toBe(200)
    }
    await inboundPostsSettled()
    const page = await fetch(`${server.url}/w/${m.workspace.slug}/tickets/${t.number}`, {
      headers: { cookie: m.cookie },
    })
    expect(page.status).toBe(200)
    const html = await page.text()
    const articles = [...html.matchAll(/<article[^>]*>[\s\S]*?<\/article>/g)].map((a) => a[0])
    expect(articles).toHaveLength(3)
    const [first, stranger, away] = articles
    // The first message (the ticket's customer) names her address too, quietly.
    expect(first).toContain('&lt;zoe@example.net&gt;')
    // The stranger chose Zoe's name: their address is what tells them apart, next to it.
    expect(stranger).toContain('Zoe O&#x27;Brien')
    expect(stranger).toContain('&lt;mallory@evil.example&gt;')
    expect(stranger).toContain('Not from a participant')
    expect(stranger).not.toContain('Automatic reply')
    expect(away).toContain('Automatic reply')
    expect(away).toContain('&lt;zoe@example.net&gt;')
  })
})
