import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, contacts, emails, inboundEmails, mailboxes, tickets } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { fixture, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, startInboundServer } from '#tests/helpers/inbound-server.ts'

// Found from outside (2026-12-07): an agent forwarding a customer's email to the mailbox became
// the ticket's customer (replies went to the agent) and got the auto-acknowledgement.

const SECRET = 'inbound-forward-secret-0123456789abcdef'
const INBOUND = 'fwd.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>
let n = 0

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

async function forward(slug: string, from: string, auth: { dkim?: string; envelopeFrom?: string } = {}) {
  const to = `${slug}.support@${INBOUND}`
  const post = rawModePost(fixture('forwarded.eml', { FROM: from, TO: to, N: `fwd${++n}` }), {
    envelopeTo: [to],
    ...auth,
  })
  const response = await fetch(`${server.url}/webhooks/sendgrid/inbound/${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': post.contentType },
    body: new Uint8Array(post.body),
  })
  expect(response.status).toBe(200)
  await inboundPostsSettled()
  const [inbound] = await getDb()
    .select()
    .from(inboundEmails)
    .orderBy(sql`received_at desc, id desc`)
    .limit(1)
  expect(inbound!.status).toBe('filed')
  const [ticket] = await getDb()
    .select({
      id: tickets.id,
      subject: tickets.subject,
      cc: tickets.cc,
      email: contacts.email,
      name: contacts.name,
    })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(eq(tickets.id, inbound!.ticketId!))
  const [opened] = await getDb()
    .select({ actor: auditEvents.actorUserId })
    .from(auditEvents)
    .where(and(eq(auditEvents.targetId, ticket!.id), eq(auditEvents.action, 'ticket.created')))
  const acks = await getDb()
    .select({ to: emails.toAddress })
    .from(emails)
    .where(and(eq(emails.ticketId, ticket!.id), eq(emails.kind, 'auto-acknowledgement')))
  return { ...ticket!, openedBy: opened!.actor, acks: acks.map((a) => a.to) }
}

describe('an email a member of the workspace forwards to its mailbox', () => {
  it("opens the ticket for the forwarded message's sender, by the member, without acknowledging anyone", async () => {
    const m = await createMember('agent')
    await getDb()
      .update(mailboxes)
      .set({ autoAcknowledge: true, autoAcknowledgeText: 'We got your message.' })
      .where(eq(mailboxes.workspaceId, m.workspace.id))
    const ticket = await forward(m.workspace.slug, m.user.email.toUpperCase())
    expect(ticket).toMatchObject({
      email: 'pat@example.com',
      name: 'Pat Original',
      subject: 'Broken lid',
      openedBy: m.user.id,
      acks: [],
    })
    // Someone outside the workspace forwarding the same email is the customer, as before, and
    // is acknowledged.
    const outside = await forward(m.workspace.slug, 'colleague@example.org')
    expect(outside).toMatchObject({
      email: 'colleague@example.org',
      subject: 'Fwd: Broken lid',
      openedBy: null,
    })
    expect(outside.acks).toEqual(['colleague@example.org'])
    // A member's address in a From nothing vouches for (no aligned DKIM or SPF) is anyone's: the
    // sender is the customer, and nobody opened it "as" the member.
    const forged = await forward(m.workspace.slug, m.user.email, {
      dkim: '{@evil.example : pass}',
      envelopeFrom: 'x@evil.example',
    })
    expect(forged).toMatchObject({ email: m.user.email.toLowerCase(), openedBy: null })
  })
})
