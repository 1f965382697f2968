import { and, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, emails, messages } from '#db/schema.ts'
import { recordDeliveryEvents } from '#app/domain/delivery-events.server.ts'
import { deliverEmail, InterruptedDeliveryError, retryEmailDelivery } from '#app/domain/email.server.ts'
import { markEmailFailed, UNANSWERED_FAILURE } from '#app/domain/email-doubt.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { runEmailAttempt, sendGridRequestsFor, withFakeSendGrid } from '#tests/helpers/email-attempts.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'

// An email whose LAST attempt got no answer from SendGrid (a timeout or a reset after the request
// went out) is failed although SendGrid may have it: a late processed/delivered event still moves
// it on, and an agent's Retry warns that it may arrive twice and needs a confirmed second submit.
const fake = withFakeSendGrid()

type Agent = Awaited<ReturnType<typeof createMember>>

const emailOf = async (messageId: string) =>
  (await getDb().select().from(emails).where(eq(emails.messageId, messageId)))[0]!
const badgeOf = async (messageId: string) =>
  (await getDb().select().from(messages).where(eq(messages.id, messageId)))[0]!.deliveryStatus
const requestsFor = (emailId: string) => sendGridRequestsFor(fake, emailId)

/** An agent's reply on a fresh ticket; its email not sent yet. */
async function replyOf(agent?: Agent) {
  const member = agent ?? (await createMember())
  const ticket = await createTicketFor(member)
  const outcome = await replyToTicket(asMember(member), ticket.number, {
    kind: 'reply',
    body: 'Your refund is on its way',
  })
  if (outcome.kind !== 'sent') throw new Error(outcome.kind)
  const email = await emailOf(outcome.messageId)
  return { member, ticket, messageId: outcome.messageId, email }
}

/** A reply whose email's last attempt had its connection reset after SendGrid read the request. */
async function unansweredOnLastAttempt(agent?: Agent) {
  const reply = await replyOf(agent)
  fake.dropNext('reset')
  const result = await runEmailAttempt(reply.email.id, 5)
  expect(result.status).toBe('failed')
  expect(requestsFor(reply.email.id)).toHaveLength(1)
  return reply
}

const now = () => Math.floor(Date.now() / 1000)
let eventNumber = 0
const event = (emailId: string, name: string, extra: Record<string, unknown> = {}) => ({
  sg_event_id: `${name}-${emailId}-${++eventNumber}`,
  event: name,
  timestamp: now(),
  email_id: emailId,
  ...extra,
})

describe('an email whose last attempt got no answer', () => {
  it('is failed as "SendGrid may have accepted it", and its processed event still marks it sent, live', async () => {
    const { messageId, email, ticket } = await unansweredOnLastAttempt()
    expect(await emailOf(messageId)).toMatchObject({
      status: 'failed',
      maybeAccepted: true,
      error: UNANSWERED_FAILURE,
      leaseExpiresAt: null,
    })
    expect(await badgeOf(messageId)).toBe('failed')

    const outcome = await recordDeliveryEvents([
      event(email.id, 'processed', { sg_message_id: `sgx-${email.id}.filter.0` }),
    ])
    expect(outcome).toMatchObject({ recorded: 1 })
    expect(outcome.events).toEqual([
      expect.objectContaining({ type: 'message.delivery', messageId, status: 'sent', number: ticket.number }),
    ])
    expect(await emailOf(messageId)).toMatchObject({
      status: 'sent',
      maybeAccepted: false,
      error: null,
      providerId: `sgx-${email.id}`,
    })
    expect(await badgeOf(messageId)).toBe('sent')
    // Nothing sends it again: the job's claim needs `queued`, and no Retry is offered.
    expect((await deliverEmail(email.id, email.jobId!)).outcome).toBe('already-sent')
    expect(requestsFor(email.id)).toHaveLength(1)
  })

  it('is moved to delivered by a delivered event, and a deferred one counts as accepted', async () => {
    const first = await unansweredOnLastAttempt()
    const delivered = await recordDeliveryEvents([event(first.email.id, 'delivered')])
    expect(delivered.events).toEqual([
      expect.objectContaining({ messageId: first.messageId, status: 'delivered' }),
    ])
    const row = await emailOf(first.messageId)
    expect(row).toMatchObject({ status: 'delivered', maybeAccepted: false, error: null })
    expect(row.sentAt).not.toBeNull()
    expect(await badgeOf(first.messageId)).toBe('delivered')

    const second = await unansweredOnLastAttempt()
    await recordDeliveryEvents([event(second.email.id, 'deferred')])
    expect(await emailOf(second.messageId)).toMatchObject({ status: 'sent' })
  })

  it('still takes bounce and dropped: bounced, or failed with SendGrid’s reason and no more doubt', async () => {
    const bounced = await unansweredOnLastAttempt()
    await recordDeliveryEvents([
      event(bounced.email.id, 'bounce', { type: 'bounce', reason: '550 no such user' }),
    ])
    expect(await emailOf(bounced.messageId)).toMatchObject({ status: 'bounced' })
    expect(await badgeOf(bounced.messageId)).toBe('bounced')

    const dropped = await unansweredOnLastAttempt()
    const outcome = await recordDeliveryEvents([
      event(dropped.email.id, 'dropped', { reason: 'Bounced Address' }),
    ])
    expect(outcome.events).toEqual([
      expect.objectContaining({ messageId: dropped.messageId, status: 'failed' }),
    ])
    expect(await emailOf(dropped.messageId)).toMatchObject({
      status: 'failed',
      maybeAccepted: false,
      error: 'Bounced Address',
    })
    // SendGrid said what it did with it: a later processed event moves it nowhere.
    await recordDeliveryEvents([event(dropped.email.id, 'processed')])
    expect((await emailOf(dropped.messageId)).status).toBe('failed')
  })

  it('is failed the same way when the last attempt finds an earlier one’s claim still leased', async () => {
    const { messageId, email } = await replyOf()
    fake.dropNext('reset')
    await expect(deliverEmail(email.id, email.jobId!)).rejects.toBeInstanceOf(InterruptedDeliveryError)
    // The last retry runs while that attempt's lease holds (ClaimHeldError): nothing is sent.
    expect((await runEmailAttempt(email.id, 5)).status).toBe('failed')
    expect(requestsFor(email.id)).toHaveLength(1)
    expect(await emailOf(messageId)).toMatchObject({
      status: 'failed',
      maybeAccepted: true,
      error: UNANSWERED_FAILURE,
    })
    await recordDeliveryEvents([event(email.id, 'processed')])
    expect((await emailOf(messageId)).status).toBe('sent')
  })

  it('is not given that doubt when SendGrid answered the last attempt with a refusal', async () => {
    const { messageId, email } = await replyOf()
    fake.failNext({ status: 503 })
    expect((await runEmailAttempt(email.id, 5)).status).toBe('failed')
    expect(await emailOf(messageId)).toMatchObject({ status: 'failed', maybeAccepted: false })
    await recordDeliveryEvents([event(email.id, 'processed')])
    expect((await emailOf(messageId)).status).toBe('failed')
  })

  it('keeps the doubt when an earlier attempt got no answer and a later one was refused', async () => {
    const { messageId, email } = await replyOf()
    fake.dropNext('reset')
    await expect(deliverEmail(email.id, email.jobId!)).rejects.toBeInstanceOf(InterruptedDeliveryError)
    await getDb().execute(
      sql`update emails set lease_expires_at = now() - interval '1 second' where id = ${email.id}`,
    )
    fake.failNext({ status: 400 })
    expect((await deliverEmail(email.id, email.jobId!)).outcome).toBe('failed')
    expect(await emailOf(messageId)).toMatchObject({ status: 'failed', maybeAccepted: true })
  })

  it('does not fail an email another job has taken over since (an agent’s Retry)', async () => {
    const { member, ticket, messageId, email } = await replyOf()
    fake.failNext({ status: 400 })
    await deliverEmail(email.id, email.jobId!)
    expect((await retryEmailDelivery(asMember(member), ticket.number, messageId)).kind).toBe('queued')
    // The old job's last attempt ends (a database hiccup, say) after the Retry queued a new job.
    expect(await markEmailFailed(email.id, email.jobId!, 'stale attempt')).toEqual([])
    expect((await emailOf(messageId)).status).toBe('queued')
  })
})

describe('Retry of a reply SendGrid may already have accepted', () => {
  const path = (agent: Agent, number: number) => `/w/${agent.workspace.slug}/tickets/${number}`
  const options = (agent: Agent, number: number, calls?: RealtimeCalls) => ({
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
    context: testContext(calls),
  })
  /** The Retry form of the message, posted to the ticket page `number` of the agent's workspace. */
  const retry = (
    agent: Agent,
    number: number,
    fields: { messageId: string; confirmed?: string },
    calls?: RealtimeCalls,
  ) =>
    callAction(
      ticketRoute,
      path(agent, number),
      { intent: 'retry-delivery', ...fields },
      options(agent, number, calls),
    )
  const shown = async (agent: Agent, number: number, messageId: string) => {
    const page = await callLoader(ticketRoute, path(agent, number), options(agent, number))
    return page.data.thread.find((m: { id: string }) => m.id === messageId)
  }
  /** email.send jobs queued for the email besides the one its reply queued (the worker is not running here). */
  const retryJobs = async (email: { id: string; jobId: string | null }) => {
    const rows = await getDb().execute<{ count: number }>(
      sql`select count(*)::int as count from pgboss.job
          where name = 'email.send' and data->>'emailId' = ${email.id} and id::text <> ${email.jobId}`,
    )
    return rows.rows[0]!.count
  }

  it('asks to confirm (409, no JavaScript needed), then sends once however often it is confirmed', async () => {
    const { member, ticket, messageId, email } = await unansweredOnLastAttempt()
    const message = await shown(member, ticket.number, messageId)
    expect(message).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: UNANSWERED_FAILURE,
      deliveryMaybeAccepted: true,
    })

    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const asked = await retry(member, ticket.number, { messageId }, calls)
    expect(asked.status).toBe(409)
    expect(asked.data).toEqual({ retryNeedsConfirmation: messageId })
    expect(calls.published).toEqual([])
    expect(await emailOf(messageId)).toMatchObject({ status: 'failed', maybeAccepted: true })
    expect(await retryJobs(email)).toBe(0)

    // Another workspace's member can retry it neither from their own ticket of that number nor
    // by naming this one, confirmed or not.
    const stranger = await createMember()
    const strangerTicket = await createTicketFor(stranger)
    for (const number of [strangerTicket.number, ticket.number]) {
      const refused = await retry(stranger, number, { messageId, confirmed: '1' })
      expect(refused.status).toBe(404)
    }
    expect((await emailOf(messageId)).status).toBe('failed')

    const confirmed = await retry(member, ticket.number, { messageId, confirmed: '1' }, calls)
    expect(confirmed.status).toBe(302)
    expect(calls.published).toEqual([
      expect.objectContaining({ type: 'message.delivery', status: 'queued', messageId }),
    ])
    const [audit] = await getDb()
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.workspaceId, member.workspace.id),
          eq(auditEvents.action, 'message.delivery-retried'),
        ),
      )
    expect(audit!.data).toEqual({ messageId, mayArriveTwice: true })

    // The confirmed form posted again (a double click, the browser's resubmit): nothing more queued.
    const again = await retry(member, ticket.number, { messageId, confirmed: '1' }, calls)
    expect(again.status).toBe(302)
    expect(await retryJobs(email)).toBe(1)
    const row = await emailOf(messageId)
    expect(row.status).toBe('queued')
    expect((await deliverEmail(email.id, row.jobId!)).outcome).toBe('sent')
    // The unanswered attempt and the confirmed one: two requests, not three.
    expect(requestsFor(email.id)).toHaveLength(2)
  })

  it('asks again for a confirmed value other than 1 (a tampered or stale form), rather than a 404', async () => {
    const { member, ticket, messageId, email } = await unansweredOnLastAttempt()
    for (const confirmed of ['2', '', 'yes', '1'.repeat(10_000)]) {
      const asked = await retry(member, ticket.number, { messageId, confirmed })
      expect(asked.status).toBe(409)
      expect(asked.data).toEqual({ retryNeedsConfirmation: messageId })
    }
    expect(await emailOf(messageId)).toMatchObject({ status: 'failed', maybeAccepted: true })
    expect(await retryJobs(email)).toBe(0)
  })

  it('retries a failure SendGrid certainly refused at once, without asking', async () => {
    const { member, ticket, messageId, email } = await replyOf()
    fake.failNext({ status: 400 })
    await deliverEmail(email.id, email.jobId!)
    expect(await shown(member, ticket.number, messageId)).not.toHaveProperty('deliveryMaybeAccepted')
    const retried = await retry(member, ticket.number, { messageId })
    expect(retried.status).toBe(302)
    expect(await emailOf(messageId)).toMatchObject({ status: 'queued' })
  })

  it('queues nothing when a processed event settled it between the warning and the confirmation', async () => {
    const { member, ticket, messageId, email } = await unansweredOnLastAttempt()
    await recordDeliveryEvents([event(email.id, 'processed')])
    const confirmed = await retry(member, ticket.number, { messageId, confirmed: '1' })
    expect(confirmed.status).toBe(302)
    expect(await emailOf(messageId)).toMatchObject({ status: 'sent' })
    expect(await retryJobs(email)).toBe(0)
  })
})
