import { and, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, messages } from '#db/schema.ts'
import { recordDeliveryEvents } from '#app/domain/delivery-events.server.ts'
import {
  ABANDONED_FAILURE,
  RESENT_AFTER_DOUBT,
  settleAbandonedEmails,
  UNANSWERED_FAILURE,
} from '#app/domain/email-doubt.server.ts'
import { deliverEmail } from '#app/domain/email.server.ts'
import {
  queuedAgentReply,
  queuedSystemEmail,
  runEmailAttempt,
  sendGridRequestsFor,
  withFakeSendGrid,
} from '#tests/helpers/email-attempts.ts'

// Emails whose delivery ended in doubt (SendGrid may have them, no event said so): account and
// notification emails, which nobody can retry from a page, get one more attempt after the lease;
// customer-facing ones stay failed with maybe_accepted. Rows a dead job left `sending` are settled
// by the 15-minute cleanup the same way.
const fake = withFakeSendGrid()

const rowOf = async (emailId: string) =>
  (await getDb().select().from(emails).where(eq(emails.id, emailId)))[0]!
const requestsFor = (emailId: string) => sendGridRequestsFor(fake, emailId)
/** pg-boss's record of an email.send job: its state and how far off it starts. */
async function jobOf(jobId: string) {
  const result = await getDb().execute<{ state: string; data: unknown; delay: number }>(
    sql`select state, data, extract(epoch from start_after - now())::float as delay
        from pgboss.job where name = 'email.send' and id = ${jobId}::uuid`,
  )
  return result.rows[0]
}

const systemEmail = queuedSystemEmail
const agentReply = queuedAgentReply

const now = () => Math.floor(Date.now() / 1000)
let eventNumber = 0
const event = (emailId: string, name: string) => ({
  sg_event_id: `${name}-${emailId}-${++eventNumber}`,
  event: name,
  timestamp: now(),
  email_id: emailId,
})

describe('a password-reset email whose last attempt got no answer', () => {
  it('gets one more attempt after the lease, which sends it, and an unanswered one after that fails it', async () => {
    const emailId = await systemEmail('password-reset')
    const firstJob = (await rowOf(emailId)).jobId!
    fake.dropNext('reset')
    expect((await runEmailAttempt(emailId, 5)).status).toBe('failed')

    const row = await rowOf(emailId)
    expect(row).toMatchObject({
      status: 'queued',
      maybeAccepted: true,
      resentAfterDoubt: true,
      error: RESENT_AFTER_DOUBT,
      leaseExpiresAt: null,
    })
    expect(row.jobId).not.toBe(firstJob)
    const job = await jobOf(row.jobId!)
    expect(job).toMatchObject({ state: 'created', data: { emailId } })
    // Not before the unanswered copy's lease is over: a processed event has all of it.
    expect(job!.delay).toBeGreaterThan(55)
    // The old job cannot send it any more.
    expect((await deliverEmail(emailId, firstJob)).outcome).toBe('superseded')

    expect((await deliverEmail(emailId, row.jobId!)).outcome).toBe('sent')
    expect(requestsFor(emailId)).toHaveLength(2)

    // Once more unanswered on its own last attempt: failed for good, no third job.
    const other = await systemEmail('verify-email')
    fake.dropNext('reset')
    await runEmailAttempt(other, 5)
    fake.dropNext('reset')
    expect((await runEmailAttempt(other, 5)).status).toBe('failed')
    expect(await rowOf(other)).toMatchObject({
      status: 'failed',
      maybeAccepted: true,
      error: UNANSWERED_FAILURE,
    })
    expect(requestsFor(other)).toHaveLength(2)
  })

  it('is not sent again when SendGrid’s processed event arrives before the extra attempt', async () => {
    const emailId = await systemEmail('invitation')
    fake.dropNext('reset')
    await runEmailAttempt(emailId, 5)
    const { jobId, status } = await rowOf(emailId)
    expect(status).toBe('queued')
    await recordDeliveryEvents([event(emailId, 'processed')])
    expect(await rowOf(emailId)).toMatchObject({ status: 'sent', maybeAccepted: false, error: null })
    expect((await deliverEmail(emailId, jobId!)).outcome).toBe('already-sent')
    expect(requestsFor(emailId)).toHaveLength(1)
  })

  it('is not extended to customer-facing emails: a ticket confirmation and an agent reply stay failed', async () => {
    const confirmation = await systemEmail('ticket-confirmation')
    fake.dropNext('reset')
    await runEmailAttempt(confirmation, 5)
    expect(await rowOf(confirmation)).toMatchObject({ status: 'failed', maybeAccepted: true })

    const reply = await agentReply()
    fake.dropNext('reset')
    await runEmailAttempt(reply.emailId, 5)
    expect(await rowOf(reply.emailId)).toMatchObject({
      status: 'failed',
      maybeAccepted: true,
      resentAfterDoubt: false,
    })
  })
})

/** The email as a job left it whose process died during its call: claimed, lease lapsed long ago. */
async function abandoned(
  emailId: string,
  { jobState, lapsedSeconds }: { jobState: string; lapsedSeconds: number },
) {
  const { jobId } = await rowOf(emailId)
  await getDb()
    .update(emails)
    .set({
      status: 'sending',
      attempts: 6,
      leaseExpiresAt: sql`now() - make_interval(secs => ${lapsedSeconds})`,
    })
    .where(eq(emails.id, emailId))
  await getDb().execute(
    sql`update pgboss.job set state = ${jobState}::pgboss.job_state where name = 'email.send' and id = ${jobId}::uuid`,
  )
  return jobId!
}

describe('the cleanup job, for emails a dead job left sending', () => {
  it('fails an agent reply with maybe_accepted (the ticket offers the confirmed Retry) and resends a reset email once', async () => {
    const reply = await agentReply()
    await abandoned(reply.emailId, { jobState: 'failed', lapsedSeconds: 600 })
    const reset = await systemEmail('password-reset')
    const resetJob = await abandoned(reset, { jobState: 'failed', lapsedSeconds: 600 })

    const outcome = await settleAbandonedEmails()
    expect(outcome.settled).toBeGreaterThanOrEqual(2)
    expect(await rowOf(reply.emailId)).toMatchObject({
      status: 'failed',
      maybeAccepted: true,
      error: ABANDONED_FAILURE,
      leaseExpiresAt: null,
    })
    const [badge] = await getDb().select().from(messages).where(eq(messages.id, reply.messageId))
    expect(badge!.deliveryStatus).toBe('failed')
    expect(outcome.events).toContainEqual(
      expect.objectContaining({ type: 'message.delivery', messageId: reply.messageId, status: 'failed' }),
    )

    const resetRow = await rowOf(reset)
    expect(resetRow).toMatchObject({ status: 'queued', maybeAccepted: true, resentAfterDoubt: true })
    expect(resetRow.jobId).not.toBe(resetJob)
    expect(await jobOf(resetRow.jobId!)).toMatchObject({ state: 'created' })
    expect((await deliverEmail(reset, resetRow.jobId!)).outcome).toBe('sent')
    expect(requestsFor(reset)).toHaveLength(1)
  })

  it('leaves a slow job’s email alone, and one whose lease lapsed only just', async () => {
    const slow = await systemEmail('notification')
    await abandoned(slow, { jobState: 'active', lapsedSeconds: 600 })
    const retrying = await systemEmail('notification')
    await abandoned(retrying, { jobState: 'retry', lapsedSeconds: 600 })
    const recent = await systemEmail('notification')
    await abandoned(recent, { jobState: 'failed', lapsedSeconds: 30 })

    await settleAbandonedEmails()
    for (const id of [slow, retrying, recent]) {
      expect(await rowOf(id)).toMatchObject({ status: 'sending', maybeAccepted: false })
    }
  })

  it('settles each email once when two instances sweep at the same time', async () => {
    const ids = [await systemEmail('password-reset'), await systemEmail('password-reset')]
    for (const id of ids) await abandoned(id, { jobState: 'failed', lapsedSeconds: 600 })
    await Promise.all([settleAbandonedEmails(), settleAbandonedEmails()])
    for (const id of ids) {
      const row = await rowOf(id)
      expect(row).toMatchObject({ status: 'queued', resentAfterDoubt: true })
      const jobs = await getDb().execute<{ n: number }>(
        sql`select count(*)::int as n from pgboss.job where name = 'email.send' and data->>'emailId' = ${id}`,
      )
      // The original job and exactly one more.
      expect(jobs.rows[0]!.n).toBe(2)
    }
    expect(
      await getDb().$count(emails, and(eq(emails.status, 'sending'), eq(emails.maybeAccepted, true))),
    ).toBe(0)
  })
})
