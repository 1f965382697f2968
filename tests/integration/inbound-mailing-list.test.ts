import { randomBytes } from 'node:crypto'
import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, inboundEmails, messages, tickets } from '#db/schema.ts'
import { openApiDocument } from '#app/api/openapi.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { parsedModePost, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, postInbound, startInboundServer } from '#tests/helpers/inbound-server.ts'
import { type JsonSchema, schemaErrors } from '#tests/helpers/json-schema.ts'
import { callLoader } from '#tests/helpers/routes.ts'

/**
 * An email to a mailing list with our support address CC'd: reproduced from outside (2026-12-07),
 * the list's address became the ticket's CC and the agent's reply went to the whole list. An
 * email carrying List-Id or List-Post keeps the list's address out of the ticket's CC list.
 *
 * And nothing on the ticket said the customer wrote through a list (found in testing, 2026-12):
 * an agent could not tell that a reply goes to the sender only. The message keeps the list
 * (`messages.via_list`), the thread says "Came through the list …", the composer says the reply
 * goes to the customer only while their latest message came through one, and the API's Message
 * has `via_list`.
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
      number: tickets.number,
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

type Member = Awaited<ReturnType<typeof createMember>>

/** The ticket's messages' via_list, oldest first. */
async function viaListOf(ticketId: string) {
  const rows = await getDb()
    .select({ viaList: messages.viaList })
    .from(messages)
    .where(eq(messages.ticketId, ticketId))
    .orderBy(asc(messages.createdAt), asc(messages.id))
  return rows.map((r) => r.viaList)
}

/** The ticket page as its loader answers it and as the production build renders it. */
async function ticketPage(m: Member, number: number) {
  const url = `/w/${m.workspace.slug}/tickets/${number}`
  const page = await callLoader(ticketRoute, url, {
    cookie: m.cookie,
    params: { slug: m.workspace.slug, number: String(number) },
  })
  const html = await (await fetch(server.url + url, { headers: { cookie: m.cookie } })).text()
  const data = page.data as {
    thread: Array<{ viaList?: string }>
    latestCustomerViaList: string | null
  }
  return { data, html }
}

/** The API's messages of the ticket, each checked against the OpenAPI document's Message. */
async function apiMessages(m: Member, number: number) {
  const { token } = await apiTokenFor(m)
  const answer = await apiClient(server.url)('GET', `/api/v1/tickets/${number}/messages`, { token })
  expect(answer.status).toBe(200)
  const doc = openApiDocument() as unknown as { components: { schemas: Record<string, JsonSchema> } }
  const rows = answer.json.data as Array<Record<string, unknown>>
  for (const row of rows) expect(schemaErrors(doc.components.schemas.Message!, row, doc)).toEqual([])
  return rows
}

const SAYS_LIST = 'Came through the list'
const SAYS_REPLY_ONLY = 'only, not to the'

describe.each(['raw', 'parsed'] as const)('%s mode', (mode) => {
  const build = (email: Buffer, to: string) =>
    mode === 'raw' ? rawModePost(email, { envelopeTo: [to] }) : parsedModePost(email, { envelopeTo: [to] })
  /** Files one email delivered to the workspace's forwarding address `to`. */
  async function fileEmail(to: string, fields: Parameters<typeof eml>[0]) {
    await post(await build(eml(fields), to))
    await inboundPostsSettled()
  }

  it('keeps the list’s address out of the CC list of the ticket it opens; a person CC’d stays', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    await fileEmail(support, {
      from: 'Alice <alice@example.org>',
      to: 'Users of Example <users@lists.example.com>',
      cc: `${support}, Bob <bob@example.org>`,
      subject: 'Export fails',
      extra: LIST_HEADERS,
    })
    const ticket = await ticketOf(m.workspace.id)
    expect(ticket.customer).toBe('alice@example.org')
    expect(ticket.cc).toEqual(['bob@example.org'])
    // The message keeps the list; the thread, the composer and the API say so.
    const list = 'Users of Example (users@lists.example.com)'
    expect(await viaListOf(ticket.id)).toEqual([list])
    const { data, html } = await ticketPage(m, ticket.number)
    expect(data.thread.at(-1)!.viaList).toBe(list)
    expect(data.latestCustomerViaList).toBe(list)
    expect(html).toContain(`${SAYS_LIST} ${list}`)
    expect(html).toContain(
      `Your reply goes to alice@example.org and the CC list only, not to the list ${list}.`,
    )
    expect((await apiMessages(m, ticket.number)).map((r) => r.via_list)).toEqual([list])
  })

  it('adds none of the addresses when the list headers name none of them (List-Id alone)', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    await fileEmail(support, {
      from: 'alice@example.org',
      to: 'everyone@corp.example',
      cc: `${support}, carol@example.org`,
      subject: 'Export fails',
      extra: 'List-Id: <all-staff.corp.example>\r\n',
    })
    const ticket = await ticketOf(m.workspace.id)
    expect(ticket.cc).toEqual([])
    // A List-Id without a name: the list as it names itself.
    expect(await viaListOf(ticket.id)).toEqual(['all-staff.corp.example'])
    const { html } = await ticketPage(m, ticket.number)
    expect(html).toContain(`${SAYS_LIST} all-staff.corp.example`)
    expect(html).toContain(
      'Your reply goes to alice@example.org only, not to the list all-staff.corp.example.',
    )
  })

  it('takes Precedence: list alone for a list it cannot name: none of the addresses added, and it says so', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    await fileEmail(support, {
      from: 'alice@example.org',
      to: 'news@corp.example',
      cc: `${support}, carol@example.org`,
      subject: 'Export fails',
      extra: 'Precedence: list\r\n',
    })
    const ticket = await ticketOf(m.workspace.id)
    expect(ticket.cc).toEqual([])
    expect(await viaListOf(ticket.id)).toEqual([''])
    const { data, html } = await ticketPage(m, ticket.number)
    expect(data.thread.at(-1)!.viaList).toBe('')
    expect(html).toContain('Came through a mailing list')
    expect(html).toContain('Your reply goes to alice@example.org only, not to the mailing list.')
    expect((await apiMessages(m, ticket.number)).map((r) => r.via_list)).toEqual([''])
  })

  it('escapes the list’s name wherever it shows, keeps it one line and bounds its length', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    const name = `<script>alert(1)</script>\u202e\tÜsers\u0007 ${'x'.repeat(400)}`
    const encoded = `=?UTF-8?B?${Buffer.from(name).toString('base64')}?=`
    await fileEmail(support, {
      from: 'alice@example.org',
      to: 'users@evil.example.com',
      cc: support,
      subject: 'Export fails',
      extra: `List-Id: ${encoded} <users.evil.example.com>\r\n`,
    })
    const ticket = await ticketOf(m.workspace.id)
    const [stored] = await viaListOf(ticket.id)
    expect(stored).toMatch(/^<script>alert\(1\)<\/script> Üsers x{50,}… \(users\.evil\.example\.com\)$/)
    expect([...stored!].length).toBeLessThanOrEqual(200)
    // eslint-disable-next-line no-control-regex -- what must not be in it
    expect(stored).not.toMatch(/[\u0000-\u001f\u007f\u202e]/)
    const { html } = await ticketPage(m, ticket.number)
    expect(html).not.toContain('<script>alert(1)')
    expect(html).toContain(`${SAYS_LIST} &lt;script&gt;alert(1)&lt;/script&gt; Üsers xxx`)
    expect((await apiMessages(m, ticket.number))[0]!.via_list).toBe(stored)
  })

  it('keeps the list’s address out when the customer answers through the list', async () => {
    const m = await createMember()
    const support = forwarding(m.workspace.slug)
    await fileEmail(support, {
      from: 'alice@example.org',
      to: support,
      cc: 'dana@example.org',
      subject: 'Export',
      extra: '',
    })
    const ticket = await ticketOf(m.workspace.id)
    expect(ticket.cc).toEqual(['dana@example.org'])
    // An email from no list: nothing says one.
    expect(await viaListOf(ticket.id)).toEqual([null])
    const direct1 = await ticketPage(m, ticket.number)
    expect(direct1.data.thread.at(-1)).not.toHaveProperty('viaList')
    expect(direct1.data.latestCustomerViaList).toBeNull()
    expect(direct1.html).not.toContain(SAYS_LIST)
    expect(direct1.html).not.toContain(SAYS_REPLY_ONLY)
    expect((await apiMessages(m, ticket.number)).map((r) => r.via_list)).toEqual([null])
    await fileEmail(support, {
      from: 'alice@example.org',
      to: 'users@lists.example.com',
      cc: support,
      subject: 'Re: Export',
      extra: LIST_HEADERS,
      inReplyTo: ticket.threadMessageId!,
    })
    const [filed] = await getDb()
      .select({ status: inboundEmails.status, ticketId: inboundEmails.ticketId })
      .from(inboundEmails)
      .where(eq(inboundEmails.workspaceId, m.workspace.id))
      .orderBy(asc(inboundEmails.receivedAt))
      .offset(1)
    expect(filed).toEqual({ status: 'filed', ticketId: ticket.id })
    expect((await ticketOf(m.workspace.id)).cc).toEqual(['dana@example.org'])
    const list = 'Users of Example (users@lists.example.com)'
    expect(await viaListOf(ticket.id)).toEqual([null, list])
    const viaList = await ticketPage(m, ticket.number)
    expect(viaList.data.latestCustomerViaList).toBe(list)
    expect(viaList.html).toContain(
      `Your reply goes to alice@example.org and the CC list only, not to the list ${list}.`,
    )
    expect((await apiMessages(m, ticket.number)).map((r) => r.via_list)).toEqual([null, list])
    // Her next email comes straight to us: the note stays on the list's message, the hint goes.
    await fileEmail(support, {
      from: 'alice@example.org',
      to: support,
      cc: '',
      subject: 'Re: Export',
      extra: '',
      inReplyTo: ticket.threadMessageId!,
    })
    expect(await viaListOf(ticket.id)).toEqual([null, list, null])
    const direct2 = await ticketPage(m, ticket.number)
    expect(direct2.data.latestCustomerViaList).toBeNull()
    expect(direct2.html).toContain(`${SAYS_LIST} ${list}`)
    expect(direct2.html).not.toContain(SAYS_REPLY_ONLY)
  })
})
