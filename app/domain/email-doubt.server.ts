import { randomUUID } from 'node:crypto'
import { getDb, type DbOrTx } from '#db/client.ts'
import { failPendingEmail, lockAbandonedEmails, requeueUnansweredEmail } from '#db/queries/emails.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import {
  CLAIM_LEASE_SECONDS,
  setMessageDelivery,
  wakeNextThreadEmail,
  type OutgoingEmail,
} from './email.server.ts'

// What becomes of an email whose delivery ended in doubt: an attempt got no answer after its
// request may have reached SendGrid, so SendGrid may hold it, and no event said so yet.

/**
 * Kinds that get one more attempt when their last one ended unanswered: nobody can retry them
 * from a page, and a duplicate is harmless where a missing one is not (a password-reset or
 * verification link that never arrives, the notice that a password was changed, an invitation, a teammate's notification, an admin's
 * "webhook disabled"). The others stay failed with `maybe_accepted`: an agent's reply, which its
 * Retry sends again only after the agent confirmed it may arrive twice, and the automatic
 * ticket confirmation and auto-acknowledgement to customers, where a second copy is the worse
 * mistake (the customer has the ticket either way; it shows on the ticket).
 */
export const RESENT_WHEN_UNANSWERED: readonly OutgoingEmail['kind'][] = [
  'password-reset',
  'password-changed',
  'verify-email',
  'invitation',
  'notification',
  'webhook-disabled',
]

/** A failed email's reason when its last attempt never got SendGrid's answer (see markEmailFailed). */
export const UNANSWERED_FAILURE =
  'SendGrid did not answer the last attempt, so it may have accepted this email. A SendGrid event saying it did will still mark it sent'

/** A failed email's reason when its job died on its last attempt (see settleAbandonedEmails). */
export const ABANDONED_FAILURE =
  'Its delivery job stopped (the process sending it ended) before SendGrid’s answer was recorded, so SendGrid may have accepted this email. A SendGrid event saying it did will still mark it sent'

/** The note on an email given its one more attempt. */
export const RESENT_AFTER_DOUBT = `SendGrid did not answer, so it may have accepted this email: sent once more in ${CLAIM_LEASE_SECONDS} s unless a SendGrid event says it has it`

/**
 * Records that an email's last delivery attempt (of job `jobId`) failed, unless an attempt got
 * through, it failed already, or another job (an agent's Retry, a Retry-After reschedule) has it
 * now. Returns the live event for its message. An email still `sending` here (an attempt that
 * got no answer, or one whose lease had not run out) may be at SendGrid: one of
 * RESENT_WHEN_UNANSWERED gets one more attempt after the lease, the rest are failed with
 * `maybe_accepted`, so a late processed or delivered event moves them on, and a Retry warns first.
 */
export async function markEmailFailed(
  emailId: string,
  jobId: string,
  reason: string,
): Promise<TicketEvent[]> {
  return getDb().transaction((tx) => settleLastAttempt(tx, emailId, jobId, reason, UNANSWERED_FAILURE))
}

/**
 * Settles an email whose job `jobId` ended (its last attempt, or a job pg-boss gave up on) as a
 * last attempt: failed with `reason`, or, when it is still `sending` (an attempt may be at
 * SendGrid), one more job for RESENT_WHEN_UNANSWERED kinds, else failed with `unansweredError`
 * and `maybe_accepted`. Only while that job owns the row. Returns the live event.
 */
export async function settleLastAttempt(
  tx: DbOrTx,
  emailId: string,
  jobId: string,
  reason: string,
  unansweredError: string,
): Promise<TicketEvent[]> {
  const nextJobId = randomUUID()
  const requeued = await requeueUnansweredEmail(tx, {
    emailId,
    jobId,
    nextJobId,
    kinds: RESENT_WHEN_UNANSWERED,
    error: RESENT_AFTER_DOUBT,
  })
  if (requeued) {
    // After a whole lease, so a processed event for the unanswered copy has it to arrive
    // (it moves the queued row to sent, and this job then sends nothing).
    await enqueue(tx, 'email.send', { emailId }, { id: nextJobId, startAfterSeconds: CLAIM_LEASE_SECONDS })
    return []
  }
  const email = await failPendingEmail(tx, {
    emailId,
    jobId,
    error: reason.slice(0, 1000),
    unansweredError,
  })
  if (!email) return []
  await wakeNextThreadEmail(tx, emailId)
  return setMessageDelivery(tx, email, 'failed')
}

/** A claim lapsed this long ago, with its job gone, belongs to no live attempt. */
export const ABANDONED_AFTER_SECONDS = 5 * 60
const ABANDONED_BATCH = 1000

/**
 * Emails left `sending` by a job pg-boss gave up on without our handler settling it: its process
 * died (a lost heartbeat) on the last attempt, so the row kept its claim and the ticket showed
 * "Sending" for good, with no Retry. Each is settled as a last attempt that got no answer (an
 * attempt may have reached SendGrid): one more attempt for RESENT_WHEN_UNANSWERED kinds, else
 * failed with `maybe_accepted`. Only rows whose lease lapsed ABANDONED_AFTER_SECONDS ago and whose
 * job is not waiting, retrying or running, locked with SKIP LOCKED and changed only while that job
 * still owns them: safe beside a slow job (still `active`), and with two sweeps at once.
 */
export async function settleAbandonedEmails(): Promise<{ settled: number; events: TicketEvent[] }> {
  return getDb().transaction(async (tx) => {
    const rows = await lockAbandonedEmails(tx, {
      staleSeconds: ABANDONED_AFTER_SECONDS,
      limit: ABANDONED_BATCH,
    })
    const events: TicketEvent[] = []
    for (const row of rows) {
      if (!row.jobId) continue
      events.push(...(await settleLastAttempt(tx, row.id, row.jobId, ABANDONED_FAILURE, ABANDONED_FAILURE)))
    }
    return { settled: rows.length, events }
  })
}
