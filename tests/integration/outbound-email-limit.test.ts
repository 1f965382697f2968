import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { and, eq, isNotNull, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, messages, tickets, users } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { releaseHeldReply } from '#app/domain/undo-send.server.ts'
import { outboundEmailLimit } from '#app/domain/outbound-email-limit.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { asMember, createMember, createTicketFor, outboundEmailsCounted } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { callAction, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// The real defaults: a workspace whose owners have not verified their email, and one that has.
const UNVERIFIED = outboundEmailLimit(false).max
const VERIFIED = outboundEmailLimit(true).max

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
})
afterAll(async () => {
  await server.close()
  await stopQueue()
})

type Agent = Awaited<ReturnType<typeof createMember>>

function composerForm(fields: Record<string, string>) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append('files', new File([], '', { type: 'application/octet-stream' }))
  return form
}

function replyThroughPage(agent: Agent, number: number, fields: Record<string, string>) {
  const slug = agent.workspace.slug
  return callAction(
    ticketRoute,
    `/w/${slug}/tickets/${number}`,
    composerForm({ intent: 'reply', kind: 'reply', sendAnyway: '1', ...fields }),
    { cookie: agent.cookie, params: { slug, number: String(number) }, context: testContext() },
  )
}

async function agentReplies(workspaceId: string) {
  return getDb()
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        eq(messages.kind, 'reply'),
        isNotNull(messages.authorUserId),
      ),
    )
}

async function replyEmails(workspaceId: string) {
  return getDb()
    .select({ to: emails.toAddress, cc: emails.cc, bcc: emails.bcc })
    .from(emails)
    .where(and(eq(emails.workspaceId, workspaceId), eq(emails.kind, 'agent-reply')))
}

/** The hour passes: the workspace's counted emails are forgotten. */
async function anHourLater(workspaceId: string) {
  await getDb().execute(sql`delete from rate_limit_counters where key = ${`outbound-email:${workspaceId}`}`)
}

/** The workspace's customer emails counted in the hour's windows. */
async function counted(workspaceId: string) {
  const result = await getDb().execute<{ hits: number | null }>(
    sql`select sum(hits)::int as hits from rate_limit_counters where key = ${`outbound-email:${workspaceId}`}`,
  )
  return result.rows[0]?.hits ?? 0
}

async function verifyEmail(userId: string) {
  await getDb().update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, userId))
}

describe('customer emails per workspace per hour', () => {
  it(`ticket page: a new workspace sends at most ${UNVERIFIED} in a parallel burst, the rest are 429 on the reply with the text kept`, async () => {
    const agent = await createMember('owner')
    const ticketsOf = await Promise.all(Array.from({ length: 5 }, () => createTicketFor(agent)))
    const burst = UNVERIFIED + 7
    const results = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        replyThroughPage(agent, ticketsOf[i % ticketsOf.length]!.number, { body: `Burst reply ${i}` }),
      ),
    )
    expect(results.filter((r) => r.status === 302)).toHaveLength(UNVERIFIED)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(7)
    expect(refused[0]!.data.result.error.body).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Not sent: this workspace emailed ${UNVERIFIED} customer addresses in the last hour \\(the limit until an owner of the workspace verifies their email address\\)\\. Try again in \\d+ min; your reply is kept\\.$`,
        ),
      ),
    ])
    expect(refused[0]!.data.result.initialValue.body).toMatch(/^Burst reply \d+$/)
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await agentReplies(agent.workspace.id)).toHaveLength(UNVERIFIED)
    expect(await replyEmails(agent.workspace.id)).toHaveLength(UNVERIFIED)

    // Internal notes email no one: still allowed. Another workspace has its own count.
    const note = await replyThroughPage(agent, ticketsOf[0]!.number, { kind: 'note', body: 'Only for us' })
    expect(note.status).toBe(302)
    const other = await createMember('owner')
    const theirs = await createTicketFor(other)
    expect((await replyThroughPage(other, theirs.number, { body: 'Hello' })).status).toBe(302)
    // An hour later the workspace sends again.
    await anHourLater(agent.workspace.id)
    expect((await replyThroughPage(agent, ticketsOf[0]!.number, { body: 'Later' })).status).toBe(302)
  })

  it('counts every recipient of a reply: the customer, each CC and each BCC', async () => {
    const agent = await createMember('owner')
    const member = asMember(agent)
    const ticket = await createTicketFor(agent, { customerEmail: 'casey@example.net' })
    await outboundEmailsCounted(agent.workspace.id, UNVERIFIED - 5)
    // 1 + 3 CC + 2 BCC = 6 recipients, 5 left: refused, nothing written.
    const six = await replyToTicket(member, ticket.number, {
      kind: 'reply',
      body: 'To everyone',
      cc: ['a@example.net', 'b@example.net', 'c@example.net'],
      bcc: ['d@example.net', 'e@example.net'],
    })
    expect(six).toMatchObject({ kind: 'email-limit', max: UNVERIFIED, verifiedOwner: false })
    expect(await agentReplies(agent.workspace.id)).toHaveLength(0)
    // Repeats and the customer's own address in CC count once: 1 + 3 + 1 = 5.
    const five = await replyToTicket(member, ticket.number, {
      kind: 'reply',
      body: 'To everyone, once',
      cc: ['a@example.net', 'B@example.net', 'c@example.net', 'casey@example.net', 'a@example.net'],
      bcc: ['b@example.net', 'd@example.net'],
    })
    expect(five).toMatchObject({ kind: 'sent', emailed: 5 })
    expect(await replyEmails(agent.workspace.id)).toEqual([
      {
        to: 'casey@example.net',
        cc: ['a@example.net', 'B@example.net', 'c@example.net'],
        bcc: ['d@example.net'],
      },
    ])
    // Reply-all copies the ticket's CC list, now three addresses: four recipients, none left.
    expect(await replyToTicket(member, ticket.number, { kind: 'reply', body: 'Reply all' })).toMatchObject({
      kind: 'email-limit',
    })
    expect(await replyToTicket(member, ticket.number, { kind: 'note', body: 'A note' })).toMatchObject({
      kind: 'sent',
      emailed: 0,
    })
  })

  it(`a workspace with a verified owner may send ${VERIFIED}, exactly, under a parallel burst`, async () => {
    const agent = await createMember('owner')
    await verifyEmail(agent.user.id)
    const ticket = await createTicketFor(agent)
    // Past the unverified limit without a refusal…
    const first = await Promise.all(
      Array.from({ length: UNVERIFIED + 10 }, (_, i) =>
        replyThroughPage(agent, ticket.number, { body: `R${i}` }),
      ),
    )
    expect(first.map((r) => r.status)).toEqual(Array(UNVERIFIED + 10).fill(302))
    // …and up to the verified one: the counter brought to 3 short of it, 8 at once send 3.
    await anHourLater(agent.workspace.id)
    await outboundEmailsCounted(agent.workspace.id, VERIFIED - 3)
    const last = await Promise.all(
      Array.from({ length: 8 }, (_, i) => replyThroughPage(agent, ticket.number, { body: `Last ${i}` })),
    )
    expect(last.filter((r) => r.status === 302)).toHaveLength(3)
    const refused = last.filter((r) => r.status === 429)
    expect(refused).toHaveLength(5)
    expect(refused[0]!.data.result.error.body[0]).toMatch(
      new RegExp(`^Not sent: this workspace emailed ${VERIFIED} customer addresses in the last hour\\. Try`),
    )
    expect(await agentReplies(agent.workspace.id)).toHaveLength(UNVERIFIED + 10 + 3)
  })

  it('API: exactly the limit of parallel replies are 201, the rest 429 problem+json with Retry-After; a 429 does not use up its Idempotency-Key', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    const ticket = await createTicketFor(owner)
    const path = `/api/v1/tickets/${ticket.number}/messages`
    const burst = UNVERIFIED + 6
    const results = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        call('POST', path, { token, body: { kind: 'reply', body: `API ${i}` } }),
      ),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(UNVERIFIED)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(6)
    expect(refused[0]!.headers.get('content-type')).toBe('application/problem+json')
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused[0]!.json).toMatchObject({
      type: 'https://switchboard.dev/problems/email-limit',
      status: 429,
      limit: UNVERIFIED,
    })
    expect(refused[0]!.json.detail).toContain('nothing was sent')
    expect(await agentReplies(owner.workspace.id)).toHaveLength(UNVERIFIED)
    // A note is not an email.
    expect((await call('POST', path, { token, body: { kind: 'note', body: 'Internal' } })).status).toBe(201)

    const key = { 'idempotency-key': `limit-${owner.user.id}` }
    const body = { kind: 'reply', body: 'Sent with a key' }
    expect((await call('POST', path, { token, body, headers: key })).status).toBe(429)
    await anHourLater(owner.workspace.id)
    const again = await call('POST', path, { token, body, headers: key })
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBeNull()

    // MCP's send_reply makes the same call: refused as a tool error once the hour is used up.
    await outboundEmailsCounted(owner.workspace.id, UNVERIFIED)
    const [latest] = await getDb()
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.ticketId, ticket.ticketId))
      .orderBy(sql`${messages.createdAt} desc`, sql`${messages.id} desc`)
      .limit(1)
    const client = new Client({ name: 'limit-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    )
    try {
      const sent = (await client.callTool({
        name: 'send_reply',
        arguments: { number: ticket.number, body: 'From an agent', last_seen_message_id: latest!.id },
      })) as { isError?: boolean; content: Array<{ text: string }> }
      expect(sent.isError).toBe(true)
      expect(sent.content[0]!.text).toMatch(/^Customer email limit reached \(429\): /)
    } finally {
      await client.close()
    }
    expect(await agentReplies(owner.workspace.id)).toHaveLength(UNVERIFIED + 1)
  })

  it('Undo send gives back exactly the recipients the held reply counted, and nothing once it went out', async () => {
    const agent = await createMember('owner')
    await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, agent.user.id))
    const ticket = await createTicketFor(agent, { customerEmail: 'casey@example.net' })
    const slug = agent.workspace.slug
    const undo = (messageId: string, as: Agent = agent) =>
      callAction(
        ticketRoute,
        `/w/${slug}/tickets/${ticket.number}`,
        composerForm({ intent: 'undo-send', messageId }),
        { cookie: as.cookie, params: { slug, number: String(ticket.number) }, context: testContext() },
      )
    const heldId = (location: string | null | undefined) => location!.split('#m-')[1]!
    await outboundEmailsCounted(agent.workspace.id, UNVERIFIED - 3)
    // The customer and two CCs: the last three of the hour.
    const held = await replyThroughPage(agent, ticket.number, {
      body: 'To the three of you',
      cc: 'a@example.net, b@example.net',
    })
    expect(held.status).toBe(302)
    expect(await counted(agent.workspace.id)).toBe(UNVERIFIED)
    expect((await replyThroughPage(agent, ticket.number, { body: 'One more' })).status).toBe(429)

    // Another workspace's agent cannot undo it, and gives nothing back.
    const outsider = await createMember('owner')
    expect((await undo(heldId(held.location), outsider)).status).toBe(404)
    expect(await counted(agent.workspace.id)).toBe(UNVERIFIED)

    expect((await undo(heldId(held.location))).status).toBe(302)
    expect(await counted(agent.workspace.id)).toBe(UNVERIFIED - 3)
    // Undone once: a second Undo is too late and gives back nothing more.
    expect((await undo(heldId(held.location))).status).toBe(409)
    expect(await counted(agent.workspace.id)).toBe(UNVERIFIED - 3)
    // The ticket's CC list is back to none: a reply to the customer alone is one of the three.
    const [row] = await getDb()
      .select({ cc: tickets.cc })
      .from(tickets)
      .where(eq(tickets.id, ticket.ticketId))
    expect(row!.cc).toEqual([])
    const next = await replyThroughPage(agent, ticket.number, { body: 'Just to you' })
    expect(next.status).toBe(302)
    expect(await counted(agent.workspace.id)).toBe(UNVERIFIED - 2)

    // A reply whose undo window ended (the email job released it) went out: it stays counted.
    const [email] = await getDb()
      .select({ id: emails.id })
      .from(emails)
      .where(eq(emails.messageId, heldId(next.location)))
    expect(await releaseHeldReply(email!.id)).toHaveLength(1)
    expect((await undo(heldId(next.location))).status).toBe(409)
    expect(await counted(agent.workspace.id)).toBe(UNVERIFIED - 2)
  })

  it('an agent of another workspace gets 404, and uses none of this workspace’s emails', async () => {
    const agent = await createMember('owner')
    const ticket = await createTicketFor(agent)
    const outsider = await createMember('owner')
    const result = await callAction(
      ticketRoute,
      `/w/${agent.workspace.slug}/tickets/${ticket.number}`,
      composerForm({ intent: 'reply', kind: 'reply', body: 'Hello', sendAnyway: '1' }),
      {
        cookie: outsider.cookie,
        params: { slug: agent.workspace.slug, number: String(ticket.number) },
        context: testContext(),
      },
    )
    expect(result.status).toBe(404)
    const counters = await getDb().execute(
      sql`select hits from rate_limit_counters where key in (${`outbound-email:${agent.workspace.id}`}, ${`outbound-email:${outsider.workspace.id}`})`,
    )
    expect(counters.rows).toEqual([])
  })
})
