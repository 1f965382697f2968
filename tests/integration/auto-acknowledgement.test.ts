import { and, eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { getMailbox } from '#db/queries/mailboxes.ts'
import { emails, mailboxes, tickets } from '#db/schema.ts'
import { sendAutoAcknowledgement } from '#app/domain/auto-acknowledgement.server.ts'
import { outboundEmailLimit } from '#app/domain/outbound-email-limit.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as mailboxesRoute from '#app/routes/w.$slug.settings.mailboxes.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Agent = Awaited<ReturnType<typeof createMember>>

async function setting(agent: Agent, fields: Record<string, string>) {
  const [mailbox] = await getDb()
    .select()
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, agent.workspace.id))
  const result = await callAction(
    mailboxesRoute,
    `/w/${agent.workspace.slug}/settings/mailboxes`,
    { intent: 'auto-acknowledge', mailboxId: mailbox.id, ...fields },
    { cookie: agent.cookie, params: { slug: agent.workspace.slug } },
  )
  return {
    result,
    mailbox: (await getMailbox(getDb(), { workspaceId: agent.workspace.id, id: mailbox.id }))!,
  }
}

async function acknowledge(agent: Agent, to: string) {
  const ticket = await createTicketFor(agent, { customerEmail: to })
  const [{ threadMessageId }] = await getDb()
    .select({ threadMessageId: tickets.threadMessageId })
    .from(tickets)
    .where(eq(tickets.id, ticket.ticketId))
  const [mailbox] = await getDb()
    .select()
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, agent.workspace.id))
  return getDb().transaction((tx) =>
    sendAutoAcknowledgement(tx, {
      workspaceId: agent.workspace.id,
      ticket: { id: ticket.ticketId, number: ticket.number, subject: 'Kettle', threadMessageId },
      mailbox,
      to,
      replyTo: `${agent.workspace.slug}.support+abcdefghijklmnopqrst@inbound.localhost`,
      inReplyTo: '<original@mail.example>',
    }),
  )
}

describe('auto-acknowledgement', () => {
  it('is off by default, and an owner turns it on with a text in Settings → Mailboxes', async () => {
    const owner = await createMember('owner')
    expect(await acknowledge(owner, 'first@example.net')).toEqual({ kind: 'off' })
    const missing = await setting(owner, { enabled: 'on', text: '  ' })
    expect(missing.result.status).toBe(400)
    expect(missing.result.data.result.error.text).toEqual(['Write the text to send, or turn it off'])
    expect(missing.mailbox.autoAcknowledge).toBe(false)
    const saved = await setting(owner, { enabled: 'on', text: 'Thanks, we got it.\nWe answer within a day.' })
    expect(saved.result.status).toBe(200)
    expect(saved.mailbox.autoAcknowledge).toBe(true)
    expect(saved.mailbox.autoAcknowledgeText).toBe('Thanks, we got it.\nWe answer within a day.')
    const agent = await createMember('agent', owner.workspace)
    expect((await setting(agent, { text: 'x' })).result.status).toBe(403)
    expect((await setting(owner, { text: 'kept' })).mailbox.autoAcknowledge).toBe(false)
  })

  it('keeps a teammate’s switch or text that this admin did not change since the form was drawn', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    await setting(owner, { enabled: 'on', text: 'We got it.' })
    // Both pages drew the form on, with this text.
    const base = JSON.stringify({ enabled: true, text: 'We got it.' })
    // The owner turns it off; the admin, whose page still shows it on, edits the text.
    const off = await setting(owner, { text: 'We got it.', base })
    expect(off.mailbox.autoAcknowledge).toBe(false)
    const edited = await setting(admin, { enabled: 'on', text: 'We got it, thanks.', base })
    expect(edited.result.status).toBe(200)
    expect(edited.result.data.notice).toBe('Auto-acknowledgement off.')
    expect(edited.mailbox).toMatchObject({
      autoAcknowledge: false,
      autoAcknowledgeText: 'We got it, thanks.',
    })
    // A switch the admin did change is saved, the text kept.
    const on = await setting(admin, {
      enabled: 'on',
      text: 'We got it, thanks.',
      base: JSON.stringify({ enabled: false, text: 'We got it, thanks.' }),
    })
    expect(on.mailbox).toMatchObject({ autoAcknowledge: true, autoAcknowledgeText: 'We got it, thanks.' })
    // Turned on by a teammate while this admin emptied the text (its page showed it off): refused
    // with the text's message, nothing changed.
    const emptied = await setting(owner, {
      text: '',
      base: JSON.stringify({ enabled: false, text: 'We got it, thanks.' }),
    })
    expect(emptied.result.status).toBe(400)
    expect(emptied.result.data.result.error.text).toEqual([
      'A teammate turned it on meanwhile: write the text to send, or turn it off',
    ])
    expect(emptied.mailbox).toMatchObject({
      autoAcknowledge: true,
      autoAcknowledgeText: 'We got it, thanks.',
    })
    // No readable base: both as posted, as before.
    const plain = await setting(owner, { text: 'Plain', base: '{"enabled":"yes"}' })
    expect(plain.mailbox).toMatchObject({ autoAcknowledge: false, autoAcknowledgeText: 'Plain' })
  })

  it('sends auto-replied, suppressing other auto-responses, at most once per sender per hour', async () => {
    const owner = await createMember('owner')
    await setting(owner, { enabled: 'on', text: 'Thanks, we got it.' })
    const first = await acknowledge(owner, 'Sam@Example.net')
    expect(first.kind).toBe('queued')
    const [email] = await getDb()
      .select()
      .from(emails)
      .where(eq(emails.id, (first as { emailId: string }).emailId))
    expect(email.kind).toBe('auto-acknowledgement')
    expect(email.fromAddress).toBe(`${owner.workspace.slug}@example.com`)
    expect(email.headers['Auto-Submitted']).toBe('auto-replied')
    expect(email.headers['X-Auto-Response-Suppress']).toBe('All')
    expect(email.headers['In-Reply-To']).toBe('<original@mail.example>')
    expect(email.replyTo).toMatch(/\+abcdefghijklmnopqrst@/)
    expect(email.text).toContain('Thanks, we got it.')
    // The same sender (any case) again: nothing; another sender: yes.
    expect(await acknowledge(owner, 'sam@example.net')).toEqual({ kind: 'rate-limited' })
    expect((await acknowledge(owner, 'other@example.net')).kind).toBe('queued')
    // Even when the limiter's window has turned over, the last hour counts exactly.
    await getDb().execute(
      sql`delete from rate_limit_counters where key like ${`auto-ack:${owner.workspace.id}:%`}`,
    )
    await getDb()
      .update(emails)
      .set({ createdAt: new Date(Date.now() - 30 * 60 * 1000) })
      .where(eq(emails.id, email.id))
    expect(await acknowledge(owner, 'sam@example.net')).toEqual({ kind: 'rate-limited' })
    await getDb().execute(
      sql`delete from rate_limit_counters where key like ${`auto-ack:${owner.workspace.id}:%`}`,
    )
    await getDb()
      .update(emails)
      .set({ createdAt: new Date(Date.now() - 61 * 60 * 1000) })
      .where(eq(emails.id, email.id))
    expect((await acknowledge(owner, 'sam@example.net')).kind).toBe('queued')
  })

  it(`forged senders get at most the workspace's ${outboundEmailLimit(false).max} an hour, exactly, under a parallel burst`, async () => {
    // The workspace writes the text and anyone can write from any address: one per sender was a
    // relay for a sender forged anew each time.
    const owner = await createMember('owner')
    await setting(owner, { enabled: 'on', text: 'Buy now at spam.example' })
    const { max } = outboundEmailLimit(false)
    // All at once, more than the pool's connections: each filing takes its slots on its own
    // transaction (small-pool.test.ts shows why that matters).
    const outcomes = await Promise.all(
      Array.from({ length: max + 5 }, (_, i) => acknowledge(owner, `forged-${i}@example.net`)),
    )
    expect(outcomes.filter((o) => o.kind === 'queued')).toHaveLength(max)
    expect(outcomes.filter((o) => o.kind === 'rate-limited')).toHaveLength(5)
    const [sent] = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(emails)
      .where(and(eq(emails.workspaceId, owner.workspace.id), eq(emails.kind, 'auto-acknowledgement')))
    expect(sent!.n).toBe(max)
    // A refused sender was not counted: it gets one once the hour has room again.
    await getDb().execute(
      sql`delete from rate_limit_counters where key = ${`outbound-auto:${owner.workspace.id}`}`,
    )
    const refused = outcomes.findIndex((o) => o.kind === 'rate-limited')
    expect((await acknowledge(owner, `forged-${refused}@example.net`)).kind).toBe('queued')
  })
})
