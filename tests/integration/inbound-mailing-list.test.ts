import { randomBytes } from 'node:crypto'
import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, inboundEmails, tickets } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { parsedModePost, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, postInbound, startInboundServer } from '#tests/helpers/inbound-server.ts'

/**
 * An email to a mailing list with our support address CC'd: reproduced from outside (2026-12-07),
 * the list's address became the ticket's CC and the agent's reply went to the whole list. An
 * email carrying List-Id or List-Post keeps the list's address out of the ticket's CC list.
 */
const SECRET = 'mailing-list-secret-0123456789abcdef'
const INBOUND = 'lists.example.test'
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
const LIST_HEADERS =
  'List-Id: Users of Example <users.lists.example.com>\r\nList-Post: <mailto:users@lists.example.com>\r\n' +
  'List-Unsubscribe: <mailto:users-leave@lists.example.com>\r\nPrecedence: list\r\n'

function eml(m: {
  from: string
  to: string
  cc: string
  subject: string
  extra: string
  inReplyTo?: string
}) {
  return Buffer.from(
    `From: ${m.from}\r\nTo: ${m.to}\r\nCc: ${m.cc}\r\nSubject: ${m.subject}\r\n` +
      `Message-ID: <list-${randomBytes(6).toString('hex')}@example.org>\r\n` +
      (m.inReplyTo ? `In-Reply-To: ${m.inReplyTo}\r\n` : '') +
      `${m.extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe export button fails for me.\r\n`,
  )
}

async function ticketOf(workspaceId: string) {
  const [row] = await getDb()
    .select({
      id: tickets.id,
      cc: tickets.cc,
      customer: contacts.email,
      threadMessageId: tickets.threadMessageId,
    })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(eq(tickets.workspaceId, workspaceId))
    .orderBy(asc(tickets.number))
  return row
}

describe.each(['raw', 'parsed'] as const)('%s mode', (mode) => {
  const build = (email: Buffer, to: string) =>
    mode === 'raw' ? rawModePost(email, { envelopeTo: [to] }) : parsedModePost(email, { envelopeTo: [to] })

  it('keeps the list’s address out of the CC list of the ticket it opens; a person CC’d stays', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    await post(
      await build(
        eml({
          from: 'Alice <alice@example.org>',
          to: 'Users of Example <users@lists.example.com>',
          cc: `${support}, Bob <bob@example.org>`,
          subject: 'Export fails',
          extra: LIST_HEADERS,
        }),
        support,
      ),
    )
    await inboundPostsSettled()
    const ticket = await ticketOf(m.workspace.id)
    expect(ticket.customer).toBe('alice@example.org')
    expect(ticket.cc).toEqual(['bob@example.org'])
  })

  it('adds none of the addresses when the list headers name none of them (List-Id alone)', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    await post(
      await build(
        eml({
          from: 'alice@example.org',
          to: 'everyone@corp.example',
          cc: `${support}, carol@example.org`,
          subject: 'Export fails',
          extra: 'List-Id: <all-staff.corp.example>\r\n',
        }),
        support,
      ),
    )
    await inboundPostsSettled()
    expect((await ticketOf(m.workspace.id)).cc).toEqual([])
  })

  it('keeps the list’s address out when the customer answers through the list', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    const direct = eml({
      from: 'alice@example.org',
      to: support,
      cc: 'dana@example.org',
      subject: 'Export',
      extra: '',
    })
    await post(await build(direct, support))
    await inboundPostsSettled()
    const ticket = await ticketOf(m.workspace.id)
    expect(ticket.cc).toEqual(['dana@example.org'])
    await post(
      await build(
        eml({
          from: 'alice@example.org',
          to: 'users@lists.example.com',
          cc: support,
          subject: 'Re: Export',
          extra: LIST_HEADERS,
          inReplyTo: ticket.threadMessageId!,
        }),
        support,
      ),
    )
    await inboundPostsSettled()
    const [filed] = await getDb()
      .select({ status: inboundEmails.status, ticketId: inboundEmails.ticketId })
      .from(inboundEmails)
      .where(eq(inboundEmails.workspaceId, m.workspace.id))
      .orderBy(asc(inboundEmails.receivedAt))
      .offset(1)
    expect(filed).toEqual({ status: 'filed', ticketId: ticket.id })
    expect((await ticketOf(m.workspace.id)).cc).toEqual(['dana@example.org'])
  })
})
