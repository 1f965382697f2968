import { eq, sql } from 'drizzle-orm'
import type { JobWithMetadata } from 'pg-boss'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, messages } from '#db/schema.ts'
import { ABANDONED_FAILURE } from '#app/domain/email-doubt.server.ts'
import { retryEmailDelivery } from '#app/domain/email.server.ts'
import { DEAD_LETTER_QUEUE, queue } from '#app/jobs/queue.server.ts'
import { sendEmails } from '#app/jobs/worker.server.ts'
import {
  queuedAgentReply,
  queuedSystemEmail,
  runEmailAttempt,
  sendGridRequestsFor,
  withFakeSendGrid,
} from '#tests/helpers/email-attempts.ts'
import { asMember } from '#tests/helpers/factories.ts'

// The operator's way to resend email whose job pg-boss gave up on (docs/data-flow.md, Dead
// letters): `npm run jobs:redrive`, pg-boss's redrive of the dead-letter queue. Its new job used
// to find the email owned by the old job id and send nothing.
const fake = withFakeSendGrid()

const rowOf = async (emailId: string) =>
  (await getDb().select().from(emails).where(eq(emails.id, emailId)))[0]!
const requestsFor = (emailId: string) => sendGridRequestsFor(fake, emailId)

const agentReply = queuedAgentReply
const resetEmail = () => queuedSystemEmail('password-reset')

/**
 * The email's job, its retries spent, failed by pg-boss itself: a copy goes to the dead-letter
 * queue, as after a last attempt that threw (the worker is not running in this file).
 */
async function deadLetter(emailId: string) {
  const { jobId } = await rowOf(emailId)
  await getDb().execute(
    sql`update pgboss.job set retry_limit = 0 where name = 'email.send' and id = ${jobId}::uuid`,
  )
  await queue().fail('email.send', jobId!, { message: 'SendGrid answered 500' })
  return jobId!
}

/** `boss.redrive()` of the email's dead letter, and the new job as the worker fetches it. */
async function redrive(emailId: string) {
  expect(await queue().redrive(DEAD_LETTER_QUEUE, { data: { emailId } })).toBe(1)
  const [job] = await queue().findJobs<{ emailId: string }>('email.send', { data: { emailId }, queued: true })
  expect(job).toBeDefined()
  return job!
}

async function run(job: JobWithMetadata<{ emailId: string }>) {
  const [result] = await sendEmails([job])
  return result!
}

describe('an email.send job pg-boss gave up on, redriven by the operator', () => {
  it('sends a failed agent reply exactly once, its badge back to sent, and a second run sends nothing', async () => {
    const reply = await agentReply()
    fake.failNext({ status: 500 })
    expect((await runEmailAttempt(reply.emailId, 5)).status).toBe('failed')
    expect(await rowOf(reply.emailId)).toMatchObject({ status: 'failed', maybeAccepted: false })
    const deadJob = await deadLetter(reply.emailId)

    const job = await redrive(reply.emailId)
    expect(job.id).not.toBe(deadJob)
    expect(job.sourceRootId).toBe(deadJob)
    expect(await run(job)).toMatchObject({ status: 'completed', output: { outcome: 'sent' } })
    expect(await rowOf(reply.emailId)).toMatchObject({ status: 'sent', jobId: job.id, error: null })
    const [badge] = await getDb().select().from(messages).where(eq(messages.id, reply.messageId))
    expect(badge!.deliveryStatus).toBe('sent')
    // The 500 and the redriven send.
    expect(requestsFor(reply.emailId).map((r) => r.status)).toEqual([500, 202])

    // pg-boss runs it again (a lost completion), or the old job is retried as well: nothing more.
    expect(await run(job)).toMatchObject({ output: { outcome: 'already-sent' } })
    expect(await runEmailAttempt(reply.emailId, 0)).toMatchObject({ output: { outcome: 'already-sent' } })
    expect(requestsFor(reply.emailId)).toHaveLength(2)
  })

  it('sends a failed email whose job the operator retries in place (boss.retry, the same job id)', async () => {
    const emailId = await resetEmail()
    fake.failNext({ status: 500 })
    await runEmailAttempt(emailId, 5)
    const deadJob = await deadLetter(emailId)
    await queue().retry('email.send', deadJob)
    const job = await queue().getJobById<{ emailId: string }>('email.send', deadJob)
    expect(await run(job!)).toMatchObject({ output: { outcome: 'sent' } })
    expect(requestsFor(emailId).map((r) => r.status)).toEqual([500, 202])
  })

  it('does not resend a reply SendGrid may have (its last attempt got no answer): the agent’s confirmed Retry does', async () => {
    const reply = await agentReply()
    fake.dropNext('reset')
    await runEmailAttempt(reply.emailId, 5)
    expect(await rowOf(reply.emailId)).toMatchObject({ status: 'failed', maybeAccepted: true })
    await deadLetter(reply.emailId)

    expect(await run(await redrive(reply.emailId))).toMatchObject({ output: { outcome: 'maybe-accepted' } })
    expect(await rowOf(reply.emailId)).toMatchObject({ status: 'failed', maybeAccepted: true })
    expect(requestsFor(reply.emailId)).toHaveLength(1)

    const retried = await retryEmailDelivery(asMember(reply.member), reply.ticket.number, reply.messageId, {
      confirmed: true,
    })
    expect(retried.kind).toBe('queued')
    expect(await runEmailAttempt(reply.emailId, 0)).toMatchObject({ output: { outcome: 'sent' } })
    expect(requestsFor(reply.emailId)).toHaveLength(2)
  })

  it('waits while the dead job’s claim is live, then settles it as the cleanup would, without sending', async () => {
    const reply = await agentReply()
    const reset = await resetEmail()
    for (const emailId of [reply.emailId, reset]) {
      // The process died during its call: the row stays claimed, its lease running.
      await getDb()
        .update(emails)
        .set({ status: 'sending', attempts: 6, leaseExpiresAt: sql`now() + interval '30 seconds'` })
        .where(eq(emails.id, emailId))
      await deadLetter(emailId)
    }
    const replyJob = await redrive(reply.emailId)
    const resetJob = await redrive(reset)
    expect(await run(replyJob)).toMatchObject({ status: 'failed' })
    expect(await rowOf(reply.emailId)).toMatchObject({ status: 'sending', maybeAccepted: false })

    // The lease runs out.
    await getDb()
      .update(emails)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(emails.id, reply.emailId))
    await getDb()
      .update(emails)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(emails.id, reset))
    expect(await run(replyJob)).toMatchObject({ output: { outcome: 'settled-in-doubt' } })
    expect(await rowOf(reply.emailId)).toMatchObject({
      status: 'failed',
      maybeAccepted: true,
      error: ABANDONED_FAILURE,
    })
    // A reset link gets its one more attempt, under a job of its own (after the lease).
    expect(await run(resetJob)).toMatchObject({ output: { outcome: 'settled-in-doubt' } })
    const resetRow = await rowOf(reset)
    expect(resetRow).toMatchObject({ status: 'queued', resentAfterDoubt: true })
    expect([resetJob.id, resetJob.sourceRootId]).not.toContain(resetRow.jobId)
    expect(requestsFor(reply.emailId)).toHaveLength(0)
    expect(requestsFor(reset)).toHaveLength(0)
  })

  it('sends nothing when an agent’s Retry took the email over first', async () => {
    const reply = await agentReply()
    fake.failNext({ status: 500 })
    await runEmailAttempt(reply.emailId, 5)
    await deadLetter(reply.emailId)
    const job = await redrive(reply.emailId)
    await retryEmailDelivery(asMember(reply.member), reply.ticket.number, reply.messageId)
    expect(await run(job)).toMatchObject({ output: { outcome: 'superseded' } })
    expect(await runEmailAttempt(reply.emailId, 0)).toMatchObject({ output: { outcome: 'sent' } })
    expect(requestsFor(reply.emailId).map((r) => r.status)).toEqual([500, 202])
  })
})
