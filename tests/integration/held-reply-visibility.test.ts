import { eq, inArray } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, messages, users } from '#db/schema.ts'
import { listMessagesPage } from '#app/domain/api-resources.server.ts'
import { releaseHeldReply } from '#app/domain/undo-send.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as queueRoute from '#app/routes/w.$slug.tickets._index.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction, callLoader, inboxRows, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Agent = Awaited<ReturnType<typeof createMember>>

async function setDelay(agent: Agent, seconds: number) {
  await getDb().update(users).set({ undoSendSeconds: seconds }).where(eq(users.id, agent.user.id))
}

async function reply(agent: Agent, number: number, body: string) {
  const sent = await callAction(
    ticketRoute,
    `/w/${agent.workspace.slug}/tickets/${number}`,
    { intent: 'reply', kind: 'reply', body, sendAnyway: '1' },
    {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(number) },
      context: testContext(),
    },
  )
  expect(sent.status).toBe(302)
  const messageId = sent.location!.split('#m-')[1]!
  const [email] = await getDb().select().from(emails).where(eq(emails.messageId, messageId))
  return { messageId, email: email! }
}

function undo(agent: Agent, number: number, messageId: string) {
  return callAction(
    ticketRoute,
    `/w/${agent.workspace.slug}/tickets/${number}`,
    { intent: 'undo-send', messageId },
    {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(number) },
      context: testContext(),
    },
  )
}

function threadOf(agent: Agent, number: number) {
  return callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}`, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
  }).then((page) => (page.data.thread as Array<{ bodyText: string }>).map((m) => m.bodyText))
}

function search(agent: Agent, words: string) {
  return callLoader(
    queueRoute,
    `/w/${agent.workspace.slug}/tickets?view=all&q=${encodeURIComponent(words)}`,
    {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug },
    },
  ).then((result) => inboxRows(result) as Array<{ number: number; snippet?: string | null }>)
}

describe('a reply in its undo window', () => {
  it('is quoted in no other email and named in no References, and an undone one never reaches the customer', async () => {
    const alex = await createMember('agent')
    const sam = await createMember('agent', alex.workspace)
    await setDelay(alex, 30)
    await setDelay(sam, 0)
    const ticket = await createTicketFor(alex)
    const a = await reply(alex, ticket.number, 'Unsent thought zanzibarquux')
    // A teammate who never saw it, then its own author, reply while it is held.
    const b = await reply(sam, ticket.number, 'Teammate reply while it is held')
    const c = await reply(alex, ticket.number, 'Second reply in the window')
    expect((await undo(alex, ticket.number, a.messageId)).status).toBe(302)

    const mails = await getDb()
      .select()
      .from(emails)
      .where(inArray(emails.id, [b.email.id, c.email.id]))
    expect(mails).toHaveLength(2)
    const aMessageId = a.email.headers['Message-ID']!
    for (const mail of mails) {
      expect(mail.text).not.toContain('zanzibarquux')
      expect(mail.html ?? '').not.toContain('zanzibarquux')
      expect(JSON.stringify(mail.headers)).not.toContain(aMessageId)
    }
    // What was released before the send is quoted as before.
    const c2 = await reply(sam, ticket.number, 'After it all')
    expect(c2.email.text).toContain('Teammate reply while it is held')
  })

  it('is seen by its author only: not in a teammate’s thread, the API, the inbox search (nor after Undo), until it is released', async () => {
    const alex = await createMember('agent')
    const sam = await createMember('agent', alex.workspace)
    await setDelay(alex, 30)
    const ticket = await createTicketFor(alex)
    const held = await reply(alex, ticket.number, 'Held words xylophonic')

    expect(await threadOf(alex, ticket.number)).toContain('Held words xylophonic')
    expect(await threadOf(sam, ticket.number)).not.toContain('Held words xylophonic')
    const api = await listMessagesPage(asMember(sam), ticket.number, undefined, 50)
    expect(api.kind === 'page' ? api.rows.map((m) => m.bodyText) : api).not.toContain('Held words xylophonic')
    expect(await search(sam, 'xylophonic')).toEqual([])

    // Released: everyone sees it, and it is found.
    await releaseHeldReply(held.email.id)
    expect(await threadOf(sam, ticket.number)).toContain('Held words xylophonic')
    expect((await search(sam, 'xylophonic')).map((r) => r.number)).toEqual([ticket.number])

    // Undone: its words never join the ticket's search document.
    const taken = await reply(alex, ticket.number, 'Taken back vermiculite')
    expect((await undo(alex, ticket.number, taken.messageId)).status).toBe(302)
    expect(await search(sam, 'vermiculite')).toEqual([])
    expect(
      await getDb().select({ id: messages.id }).from(messages).where(eq(messages.id, taken.messageId)),
    ).toEqual([])
  })
})
