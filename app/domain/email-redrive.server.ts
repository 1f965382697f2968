import { getDb } from '#db/client.ts'
import { lockEmailForTakeover, requeueGivenUpEmail } from '#db/queries/emails.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { ABANDONED_FAILURE, settleLastAttempt } from './email-doubt.server.ts'
import {
  ClaimHeldError,
  deliverEmail,
  setMessageDelivery,
  type DeliveryOptions,
  type DeliveryResult,
} from './email.server.ts'

/** What the worker knows of an `email.send` job: its id, and where its dead-letter chain began. */
export type EmailJob = { id: string; sourceRootId?: string | null }

type Takeover =
  | { kind: 'requeued'; events: TicketEvent[] }
  | { kind: 'settled'; events: TicketEvent[] }
  | { kind: 'maybe-accepted' }
  | { kind: 'not-ours' }

/**
 * Runs an `email.send` job. Usually that is deliverEmail. But the email row names the job that
 * may send it, and a job pg-boss gave up on (its retries spent: dead-lettered, `failed`) left the
 * row under its own id: an operator's `boss.redrive()` makes a new job (a new id, whose
 * `sourceRootId` is the job the chain began with) and `boss.retry()` runs the same one again, and
 * both found the email owned by a job that would never run, or failed, and sent nothing. Now such
 * a job takes the email over (takeOverGivenUpEmail) and sends it, once: only when the row still
 * belongs to the job it redrives, never past a live lease, and never an email SendGrid may already
 * have (the agent's Retry, which asks first, is the way for those).
 */
export async function runEmailJob(
  emailId: string,
  job: EmailJob,
  signal?: AbortSignal,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const first = await deliverEmail(emailId, job.id, signal, options)
  if (first.outcome !== 'superseded' && first.outcome !== 'already-failed') return first
  const owners = [job.id, ...(job.sourceRootId ? [job.sourceRootId] : [])]
  const taken = await takeOverGivenUpEmail(emailId, job.id, owners)
  if (taken.kind === 'not-ours') return first
  if (taken.kind === 'maybe-accepted') return { outcome: 'maybe-accepted', events: [] }
  if (taken.kind === 'settled') return { outcome: 'settled-in-doubt', events: taken.events }
  const sent = await deliverEmail(emailId, job.id, signal, options)
  return { outcome: sent.outcome, events: [...taken.events, ...sent.events] }
}

/**
 * Under the row's lock, for a job in `owners` (itself, or the job its redrive began with):
 * - `queued`, or `failed` with SendGrid certainly not having it: handed to `jobId`, queued with a
 *   fresh attempt count (the badge goes back to queued);
 * - `failed` with `maybe_accepted`: left alone (resending could give the customer two copies);
 * - `sending` under a live lease: ClaimHeldError, so pg-boss retries this job after it;
 * - `sending` with its lease lapsed (the job's process died mid-call): settled as the 15-minute
 *   sweep would (settleAbandonedEmails), so a redrive before the sweep does what one after it does.
 */
async function takeOverGivenUpEmail(emailId: string, jobId: string, owners: string[]): Promise<Takeover> {
  return getDb().transaction(async (tx): Promise<Takeover> => {
    const row = await lockEmailForTakeover(tx, { emailId })
    if (!row?.jobId || !owners.includes(row.jobId)) return { kind: 'not-ours' }
    if (row.status === 'sending') {
      if (!row.leaseLapsed) {
        throw new ClaimHeldError(
          `email claimed by the redriven job until ${row.leaseExpiresAt?.toISOString()}`,
        )
      }
      const events = await settleLastAttempt(tx, emailId, row.jobId, ABANDONED_FAILURE, ABANDONED_FAILURE)
      return { kind: 'settled', events }
    }
    if (row.status === 'failed' && row.maybeAccepted) return { kind: 'maybe-accepted' }
    if (row.status !== 'queued' && row.status !== 'failed') return { kind: 'not-ours' }
    const email = await requeueGivenUpEmail(tx, { emailId, ownerJobId: row.jobId, jobId })
    if (!email) return { kind: 'not-ours' }
    return { kind: 'requeued', events: await setMessageDelivery(tx, email, 'queued') }
  })
}
