import http from 'node:http'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, tickets, users, webhookDeliveries } from '#db/schema.ts'
import { openApiDocument } from '#app/api/openapi.server.ts'
import { updateApiTicket } from '#app/domain/api-resources.server.ts'
import { mergeContacts } from '#app/domain/contact-merge.server.ts'
import { renameContact } from '#app/domain/contacts.server.ts'
import { customerReply, replyToTicket } from '#app/domain/messages.server.ts'
import { addTags, updateTickets } from '#app/domain/tickets.server.ts'
import { undoReply } from '#app/domain/undo-send.server.ts'
import { deliverWebhook } from '#app/domain/webhook-delivery.server.ts'
import { createWebhookEndpoint, deleteWebhookEndpoint, sendTestEvent } from '#app/domain/webhooks.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { parseEnv } from '#app/env.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import type { WebhookEventType } from '#app/utils/webhook-schemas.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { type JsonSchema, schemaErrors } from '#tests/helpers/json-schema.ts'
import { listenOnLoopback } from '#tests/helpers/loopback-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// One PATCH of status, priority, assignee, subject and tags sent four ticket.updated deliveries:
// the first with the old subject and tags, one with tags that never existed together, one per
// removed tag, each naming its fields differently (tags_added: [...], tag_removed: "…"). And the
// deliveries of one transaction went out in random order (their jobs share a creation time).

type Payload = { type: string; data: { ticket: Record<string, any>; changes?: Record<string, unknown> } }

let received: Payload[] = []
/** Each delivery as the receiver got it: its headers and raw body. */
let arrived: Array<{ headers: http.IncomingHttpHeaders; body: string }> = []
let receiverUrl: string
let closeReceiver: () => Promise<void>
let owner: Awaited<ReturnType<typeof createMember>>
let teammate: Awaited<ReturnType<typeof createMember>>
let member: Member

const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }

beforeAll(async () => {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString()) as Payload)
      arrived.push({ headers: req.headers, body: Buffer.concat(chunks).toString() })
      res.end('ok')
    })
  })
  const listening = await listenOnLoopback(server)
  receiverUrl = listening.url
  closeReceiver = listening.close
  envStore.__switchboardEnv = parseEnv({
    ...process.env,
    WEBHOOKS_ALLOW_HTTP: 'true',
    WEBHOOKS_ALLOWED_HOSTS: `127.0.0.1:${listening.port}`,
  })
  // The queue without its workers: the test runs each delivery's job itself, in the order it picks.
  await startQueue(testDatabaseUrl)
  owner = await createMember('owner')
  teammate = await createMember('agent', owner.workspace)
  member = asMember(owner)
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
  await closeReceiver()
  envStore.__switchboardEnv = undefined
})

async function withEndpoint<T>(events: WebhookEventType[], run: (endpointId: string) => Promise<T>) {
  const created = await createWebhookEndpoint(member, {
    url: `${receiverUrl}/hook`,
    description: '',
    events,
    includeNotes: true,
  })
  if (created.kind !== 'ok') throw new Error('endpoint not created')
  try {
    return await run(created.id)
  } finally {
    await deleteWebhookEndpoint(member, created.id)
  }
}

async function contactIdOf(ticketId: string) {
  const [row] = await getDb().select({ id: tickets.contactId }).from(tickets).where(eq(tickets.id, ticketId))
  return row!.id
}

/** The endpoint's deliveries, newest transaction last, each a parsed payload with its id. */
async function deliveriesOf(endpointId: string) {
  const rows = await getDb()
    .select({ id: webhookDeliveries.id, payload: webhookDeliveries.payload })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(webhookDeliveries.createdAt, webhookDeliveries.id)
  return rows.map((r) => ({ id: r.id, ...(JSON.parse(r.payload) as Payload) }))
}

/** Runs each delivery's job in reverse order of recording (what pg-boss may do), then reads what arrived. */
async function deliverAllBackwards(endpointId: string) {
  received = []
  const rows = await deliveriesOf(endpointId)
  for (const row of [...rows].reverse()) expect(await deliverWebhook(row.id)).toBe('succeeded')
  return received
}

describe('ticket.updated: one per ticket per transaction, with the ticket as committed', () => {
  it('a contact merge sends one per moved ticket, its changes naming the contact it is filed under now', async () => {
    const first = await createTicketFor(owner, { customerEmail: `ada-${Date.now()}@work.example` })
    const second = await createTicketFor(owner, { customerEmail: `ada-${Date.now()}@home.example` })
    const keepId = await contactIdOf(second.ticketId)
    const mergeId = await contactIdOf(first.ticketId)
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      const merged = await mergeContacts(member, { keepId, mergeId })
      expect(merged.kind).toBe('merged')
      const deliveries = await deliveriesOf(endpointId)
      expect(deliveries.map((d) => d.data.ticket.number)).toEqual([first.number])
      const { data } = deliveries[0]!
      expect(data.ticket.contact).toMatchObject({ id: keepId })
      expect(data.changes).toEqual({ contact: data.ticket.contact })
    })
  })

  it('a contact rename sends one per ticket of theirs, its changes naming the contact by its new name', async () => {
    // The API shows each ticket's contact by name: a rename changed every one of them silently.
    const email = `rename-${Date.now()}@example.net`
    const first = await createTicketFor(owner, { customerEmail: email })
    const second = await createTicketFor(owner, { customerEmail: email })
    const contactId = await contactIdOf(first.ticketId)
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      const { events } = await renameContact(member, contactId, 'Ada Renamed')
      expect(events.map((e) => e.number).sort()).toEqual([first.number, second.number].sort())
      const deliveries = await deliveriesOf(endpointId)
      expect(deliveries.map((d) => d.data.ticket.number).sort()).toEqual([first.number, second.number].sort())
      for (const { data } of deliveries) {
        expect(data.ticket.contact).toEqual({ id: contactId, name: 'Ada Renamed', email })
        expect(data.changes).toEqual({ contact: data.ticket.contact })
      }
      // The same name again changes nothing and sends nothing.
      expect((await renameContact(member, contactId, 'Ada Renamed')).events).toEqual([])
      expect(await deliveriesOf(endpointId)).toHaveLength(2)
    })
  })

  it('a merge that gives the kept contact the other’s name sends one for the kept contact’s own tickets too', async () => {
    const kept = await createTicketFor(owner, { customerEmail: `nameless-${Date.now()}@example.net` })
    const moved = await createTicketFor(owner, {
      customerEmail: `named-${Date.now()}@example.net`,
      customerName: 'Named Person',
    })
    const keepId = await contactIdOf(kept.ticketId)
    await getDb().update(contacts).set({ name: '' }).where(eq(contacts.id, keepId))
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      const merged = await mergeContacts(member, { keepId, mergeId: await contactIdOf(moved.ticketId) })
      expect(merged.kind).toBe('merged')
      const deliveries = await deliveriesOf(endpointId)
      expect(deliveries.map((d) => d.data.ticket.number).sort()).toEqual([kept.number, moved.number].sort())
      for (const { data } of deliveries) {
        expect(data.ticket.contact).toMatchObject({ id: keepId, name: 'Named Person' })
        expect(data.changes).toEqual({ contact: data.ticket.contact })
      }
    })
  })

  it('a PATCH of five fields is one delivery: the final ticket and every changed field’s new value', async () => {
    const ticket = await createTicketFor(owner, { subject: 'scope test' })
    await addTags(member, [ticket.ticketId], ['a'])
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      const outcome = await updateApiTicket(member, ticket.number, {
        status: 'pending',
        priority: 'urgent',
        assigneeId: teammate.user.id,
        subject: 'scope test 2',
        tags: ['b'],
      })
      expect(outcome.kind).toBe('updated')
      const deliveries = await deliveriesOf(endpointId)
      expect(deliveries).toHaveLength(1)
      const { data } = deliveries[0]!
      expect(data.ticket).toMatchObject({
        subject: 'scope test 2',
        status: 'pending',
        priority: 'urgent',
        assignee: { id: teammate.user.id },
        tags: [expect.objectContaining({ name: 'b' })],
      })
      expect(data.changes).toEqual({
        status: 'pending',
        priority: 'urgent',
        assignee_id: teammate.user.id,
        subject: 'scope test 2',
        tags: ['b'],
      })
    })
  })

  it('a tag removed alone says tags, the complete new set (no tag_removed, no tags_added)', async () => {
    const ticket = await createTicketFor(owner)
    await addTags(member, [ticket.ticketId], ['x', 'y'])
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      await updateApiTicket(member, ticket.number, { tags: ['y', 'z'] })
      const deliveries = await deliveriesOf(endpointId)
      expect(deliveries).toHaveLength(1)
      expect(deliveries[0]!.data.changes).toEqual({ tags: ['y', 'z'] })
      expect(deliveries[0]!.data.ticket.tags.map((t: { name: string }) => t.name)).toEqual(['y', 'z'])
    })
  })

  it('a bulk change of two tickets is one delivery per ticket', async () => {
    const first = await createTicketFor(owner)
    const second = await createTicketFor(owner)
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      await updateTickets(member, [first.ticketId, second.ticketId], { status: 'resolved', priority: 'low' })
      const deliveries = await deliveriesOf(endpointId)
      expect(deliveries.map((d) => d.data.ticket.number).sort()).toEqual([first.number, second.number].sort())
      for (const d of deliveries) expect(d.data.changes).toEqual({ status: 'resolved', priority: 'low' })
    })
  })
})

describe('the CC list an agent’s reply changes', () => {
  it('is a ticket.updated with the new list after the message; a reply to the same list sends none', async () => {
    const ticket = await createTicketFor(owner)
    const agent = { ...member, user: { name: 'Agent' } }
    await withEndpoint(['ticket.updated', 'message.created'], async (endpointId) => {
      const cc = ['ops@client.example', 'finance@client.example']
      expect((await replyToTicket(agent, ticket.number, { kind: 'reply', body: 'Copying', cc })).kind).toBe(
        'sent',
      )
      expect((await replyToTicket(agent, ticket.number, { kind: 'reply', body: 'Again', cc })).kind).toBe(
        'sent',
      )
      // As recorded (the order deliveries of several changes go out in is another test's).
      const got = await deliveriesOf(endpointId)
      expect(got.map((p) => p.type)).toEqual(['message.created', 'ticket.updated', 'message.created'])
      expect(got[1]!.data.changes).toEqual({ cc })
      expect(got[1]!.data.ticket.cc).toEqual(cc)
    })
  })

  it('with a status: one ticket.updated naming both', async () => {
    const ticket = await createTicketFor(owner)
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      const sent = await replyToTicket({ ...member, user: { name: 'Agent' } }, ticket.number, {
        kind: 'reply',
        body: 'Done',
        cc: ['boss@client.example'],
        status: 'resolved',
      })
      expect(sent.kind).toBe('sent')
      const deliveries = await deliveriesOf(endpointId)
      expect(deliveries).toHaveLength(1)
      expect(deliveries[0]!.data.changes).toEqual({ cc: ['boss@client.example'], status: 'resolved' })
    })
  })

  it('undone: the list goes back, and so does a ticket.updated saying so', async () => {
    await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, owner.user.id))
    try {
      const ticket = await createTicketFor(owner)
      await withEndpoint(['ticket.updated'], async (endpointId) => {
        const held = await replyToTicket({ ...member, user: { name: 'Agent' } }, ticket.number, {
          kind: 'reply',
          body: 'Held',
          cc: ['held@client.example'],
          undoable: true,
        })
        expect(held).toMatchObject({ kind: 'sent', held: true })
        if (held.kind !== 'sent') return
        expect((await undoReply(member, ticket.number, held.messageId)).kind).toBe('undone')
        const deliveries = await deliveriesOf(endpointId)
        expect(deliveries.map((d) => d.data.changes)).toEqual([{ cc: ['held@client.example'] }, { cc: [] }])
      })
    } finally {
      await getDb().update(users).set({ undoSendSeconds: 0 }).where(eq(users.id, owner.user.id))
    }
  })
})

describe('order of one transaction’s deliveries to an endpoint', () => {
  it('an agent’s reply that sets a status: message.created, then ticket.updated, whatever order the jobs run in', async () => {
    const ticket = await createTicketFor(owner)
    await withEndpoint(['ticket.updated', 'message.created'], async (endpointId) => {
      const sent = await replyToTicket({ ...member, user: { name: 'Agent' } }, ticket.number, {
        kind: 'note',
        body: 'Done here',
        status: 'resolved',
      })
      expect(sent.kind).toBe('sent')
      const got = await deliverAllBackwards(endpointId)
      expect(got.map((p) => p.type)).toEqual(['message.created', 'ticket.updated'])
      expect(got[1]!.data.changes).toEqual({ status: 'resolved' })
    })
  })

  it('a customer’s reply that reopens: message.created, then ticket.updated', async () => {
    const ticket = await createTicketFor(owner)
    await updateTickets(member, [ticket.ticketId], { status: 'resolved' })
    await withEndpoint(['ticket.updated', 'message.created'], async (endpointId) => {
      await customerReply({ ticketId: ticket.ticketId, workspaceId: owner.workspace.id }, 'Not fixed')
      const got = await deliverAllBackwards(endpointId)
      expect(got.map((p) => p.type)).toEqual(['message.created', 'ticket.updated'])
      expect(got[1]!.data.changes).toEqual({ status: 'open' })
    })
  })

  it('a bulk change of five tickets arrives in the order it was made, each once', async () => {
    const made: Awaited<ReturnType<typeof createTicketFor>>[] = []
    for (let i = 0; i < 5; i++) made.push(await createTicketFor(owner))
    await withEndpoint(['ticket.updated'], async (endpointId) => {
      await updateTickets(
        member,
        made.map((t) => t.ticketId),
        { priority: 'high' },
      )
      const recorded = (await deliveriesOf(endpointId)).map((d) => d.data.ticket.number)
      expect(recorded).toHaveLength(5)
      const got = await deliverAllBackwards(endpointId)
      expect(got.map((p) => p.data.ticket.number)).toEqual(recorded)
    })
  })
})

describe('the OpenAPI document’s webhooks describe what a receiver gets', () => {
  it('every event type, and every field a ticket.updated names, fits its documented body and headers', async () => {
    const doc = openApiDocument() as unknown as {
      webhooks: Record<
        string,
        { post: { requestBody: { content: { 'application/json': { schema: JsonSchema } } } } }
      >
    }
    const documented = Object.keys(doc.webhooks).sort()
    expect(documented).toEqual([
      'contact.created',
      'message.created',
      'ticket.created',
      'ticket.updated',
      'webhook.test',
    ])
    const first = await createTicketFor(owner, { customerEmail: `grace-${Date.now()}@one.example` })
    await withEndpoint(
      ['ticket.created', 'ticket.updated', 'message.created', 'contact.created'],
      async (endpointId) => {
        const second = await createTicketFor(owner, { customerEmail: `grace-${Date.now()}@two.example` })
        await updateApiTicket(member, second.number, {
          status: 'pending',
          priority: 'high',
          assigneeId: teammate.user.id,
          subject: 'Kettle, again',
          tags: ['kettle'],
        })
        await updateApiTicket(member, second.number, { assigneeId: null })
        const agent = { ...member, user: { name: 'Agent' } }
        expect((await replyToTicket(agent, second.number, { kind: 'reply', body: 'On its way' })).kind).toBe(
          'sent',
        )
        expect((await replyToTicket(agent, second.number, { kind: 'note', body: 'Checked' })).kind).toBe(
          'sent',
        )
        await customerReply({ ticketId: second.ticketId, workspaceId: owner.workspace.id }, 'Thanks')
        const merged = await mergeContacts(member, {
          keepId: await contactIdOf(first.ticketId),
          mergeId: await contactIdOf(second.ticketId),
        })
        expect(merged.kind).toBe('merged')
        expect((await sendTestEvent(member, endpointId)).kind).toBe('ok')

        received = []
        arrived = []
        for (const row of await deliveriesOf(endpointId))
          expect(await deliverWebhook(row.id)).toBe('succeeded')
        const types = new Set<string>()
        const changed = new Set<string>()
        for (const { headers, body } of arrived) {
          const payload = JSON.parse(body) as Payload
          types.add(payload.type)
          for (const field of Object.keys(payload.data.changes ?? {})) changed.add(field)
          if (payload.type === 'ticket.updated')
            expect(Object.keys(payload.data.changes!).length).toBeGreaterThan(0)
          const schema = doc.webhooks[payload.type]!.post.requestBody.content['application/json'].schema
          expect(schemaErrors(schema, payload, doc), `${payload.type}: ${body}`).toEqual([])
          expect(headers['content-type']).toBe('application/json')
          expect(headers['webhook-id']).toMatch(/^msg_/)
          expect(headers['webhook-timestamp']).toMatch(/^[0-9]+$/)
          expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/)
        }
        expect([...types].sort()).toEqual(documented)
        expect([...changed].sort()).toEqual([
          'assignee_id',
          'contact',
          'priority',
          'status',
          'subject',
          'tags',
        ])
      },
    )
  })

  it('a payload that does not fit is caught: the check is not vacuous', () => {
    const doc = openApiDocument() as unknown as {
      webhooks: Record<
        string,
        { post: { requestBody: { content: { 'application/json': { schema: JsonSchema } } } } }
      >
    }
    const schema = doc.webhooks['ticket.updated']!.post.requestBody.content['application/json'].schema
    const errors = schemaErrors(
      schema,
      {
        type: 'ticket.updated',
        timestamp: new Date().toISOString(),
        data: { ticket: {}, changes: { tag_removed: 'x' } },
      },
      doc,
    )
    expect(errors.length).toBeGreaterThan(1)
  })
})
