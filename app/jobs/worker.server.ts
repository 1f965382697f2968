import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss'
import { sendPasswordResetEmail } from '#app/domain/account-emails.server.ts'
import { runEmailJob } from '#app/domain/email-redrive.server.ts'
import { markEmailFailed, settleAbandonedEmails } from '#app/domain/email-doubt.server.ts'
import { releaseHeldReply } from '#app/domain/undo-send.server.ts'
import { fileInboundEmail, markInboundFailed } from '#app/domain/inbound-email.server.ts'
import { deleteOldInboundPosts } from '#app/domain/inbound-retention.server.ts'
import { deleteOldIdempotencyKeys } from '#app/domain/api-idempotency.server.ts'
import { deleteOldHits } from '#app/domain/rate-limit.server.ts'
import { deleteExpiredSessions } from '#app/domain/sessions.server.ts'
import { deleteEmptyDrafts } from '#app/domain/drafts.server.ts'
import { sweepLapsedAiRunClaims } from '#app/ai/run-claims.server.ts'
import { requeueStuckWebhookDeliveries } from '#app/domain/webhook-delivery.server.ts'
import { markNextRenamedBatch } from '#app/domain/renamed-tickets.server.ts'
import { logger, safeErrorMessage } from '#app/logger.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { realtime } from '#app/realtime/hub.server.ts'
import { cleanupOrphanFiles } from './files-cleanup.server.ts'
import { SendNotStartedError } from '#app/domain/email.server.ts'
import {
  giveBackJobs,
  queue,
  queueStopping,
  registerDueWaker,
  workLoops,
  type JobPayloads,
} from './queue.server.ts'
import { startWebhookWorkers } from './webhook-worker.server.ts'
import { TRIAGE_WORK, triageTickets } from './triage-worker.server.ts'

/**
 * How the email worker fetches: EMAIL_LOOPS fetch loops per instance, each taking up to 3 jobs,
 * beginning them all at once and fetching again as soon as they are settled, otherwise woken by the NOTIFY of the
 * enqueuing transaction, or by a timer when a delayed job enqueued in this process comes due.
 * Polling is the backstop: for other processes' delayed jobs and retries (which send no NOTIFY
 * when due), and while LISTEN is down. One send SendGrid is slow to answer holds its own loop's next
 * fetch only: it was one loop fetching up to 50 jobs and fetching again only once the whole batch was
 * settled, so an email committed meanwhile waited for the slowest send of the batch (up to
 * SENDGRID_TIMEOUT_MS, 20 s), and at shutdown the batch's unstarted jobs were still begun.
 */
export const EMAIL_LOOPS = 8
const EMAIL_WORK = {
  batchSize: 3,
  pollingIntervalSeconds: 1,
  // Every second even while LISTEN is up: a held reply (undo send) enqueued by another process
  // comes due without a NOTIFY, and goes within a second of its window (this process's own are
  // woken on time: registerDueWaker). An empty fetch is one short statement.
  notifyPollingIntervalSeconds: 1,
  includeMetadata: true,
  perJobResults: true,
} as const
/**
 * Inbound email: woken at commit, a few at a time (parsing is CPU; each filing is one transaction),
 * fetching again as soon as a batch is filed (workLoops). One loop per process, filing in the
 * order the posts arrived: a reply filed before the email it answers would open a ticket of its
 * own, and two emails of one ticket filed at once could land in either order. Parsing runs on the
 * one parse thread anyway (inbound-parse-thread.server.ts), so a second loop would mostly wait.
 */
const INBOUND_WORK = {
  batchSize: 4,
  pollingIntervalSeconds: 1,
  notifyPollingIntervalSeconds: 5,
  includeMetadata: true,
  perJobResults: true,
} as const

/** Files inbound emails one after the other, settling each job on its own. */
export async function fileInboundEmails(jobs: JobWithMetadata<JobPayloads['email.inbound']>[]) {
  const results: JobResult[] = []
  for (const job of jobs) {
    try {
      const outcome = await fileInboundEmail(job.data.inboundEmailId)
      results.push({ id: job.id, status: 'completed', output: { outcome } })
    } catch (error) {
      // The last attempt: the post is marked failed (with the reason), not left `received` for
      // ever behind a dead-lettered job. What it was is kept for the retention period.
      if (reportFailure(job, error)) await markInboundFailed(job.data.inboundEmailId, error)
      results.push({ id: job.id, status: 'failed', output: { message: messageOf(error) } })
    }
  }
  return results
}

/** "Forgot password?" requests: woken at commit, one job at a time (a failure retries only its own). */
const ACCOUNT_WORK = {
  pollingIntervalSeconds: 1,
  notifyPollingIntervalSeconds: 5,
  includeMetadata: true,
} as const

/** Emails a reset link to each requested address that has an account (the rest: nothing). */
export async function sendPasswordResetEmails(
  jobs: JobWithMetadata<JobPayloads['account.password-reset']>[],
) {
  for (const job of jobs) {
    try {
      await sendPasswordResetEmail(job.data.email)
    } catch (error) {
      reportFailure(job, error)
      throw error
    }
  }
}

/** A rename's batches: one at a time per process, the next fetched as soon as one is done. */
const RENAME_WORK = {
  pollingIntervalSeconds: 2,
  notifyPollingIntervalSeconds: 10,
  includeMetadata: true,
} as const

/** Marks one batch of a rename's tickets per job (each its own transaction, enqueuing the next). */
export async function markRenamedTicketBatches(jobs: JobWithMetadata<JobPayloads['tickets.name-changed']>[]) {
  for (const job of jobs) {
    try {
      await markNextRenamedBatch(job.data)
    } catch (error) {
      reportFailure(job, error)
      throw error
    }
  }
}

/** Cleanups are rare: one at a time, woken by NOTIFY, with a slow backstop poll. */
const CLEANUP_WORK = {
  pollingIntervalSeconds: 5,
  notifyPollingIntervalSeconds: 30,
  includeMetadata: true,
} as const

/**
 * Runs a cleanup of expired sessions, old rate-limit rows, API Idempotency-Keys older than
 * 24 hours, empty draft rows older than an hour and AI run claims a dead process left (lease
 * ended over 5 minutes ago), and settles emails a dead job left `sending` (settleAbandonedEmails).
 * Safe to run twice, or at once. (Webhook deliveries no job will attempt are queued again by
 * `webhook.sweep`, every minute.)
 */
export async function cleanupSessions() {
  const sessions = await deleteExpiredSessions()
  const hits = await deleteOldHits()
  const idempotencyKeys = await deleteOldIdempotencyKeys()
  const emptyDrafts = await deleteEmptyDrafts()
  const aiRunClaims = await sweepLapsedAiRunClaims()
  const abandoned = await settleAbandonedEmails()
  publish(abandoned.events)
  const abandonedEmails = abandoned.settled
  const counts = {
    sessions,
    hits,
    idempotencyKeys,
    emptyDrafts,
    aiRunClaims,
    abandonedEmails,
  }
  logger().info({ job: 'sessions.cleanup', ...counts }, 'cleanup done')
  return counts
}

/**
 * Registers the workers and schedules of every queue on the started pg-boss instance. Every
 * worker fetches again at once after a fetch that found jobs (workLoops): a backlog is worked off
 * at the speed of its jobs, not one batch per backstop poll.
 */
export async function startWorkers() {
  const boss = queue()
  await workLoops(boss, 'sessions.cleanup', CLEANUP_WORK, eachJob(cleanupSessions))
  await workLoops(boss, 'webhook.sweep', CLEANUP_WORK, eachJob(requeueStuckWebhookDeliveries))
  const emailWorkers = await startEmailWorkers(boss)
  registerDueWaker('email.send', () => emailWorkers.forEach((id) => boss.notifyWorker(id)))
  await workLoops(boss, 'email.inbound', INBOUND_WORK, fileInboundEmails)
  const webhookWorker = await startWebhookWorkers(boss)
  registerDueWaker('webhook.deliver', () => boss.notifyWorker(webhookWorker))
  await workLoops(boss, 'account.password-reset', ACCOUNT_WORK, sendPasswordResetEmails)
  await workLoops(boss, 'ai.triage', TRIAGE_WORK, triageTickets)
  await workLoops(boss, 'tickets.name-changed', RENAME_WORK, markRenamedTicketBatches)
  await workLoops(
    boss,
    'files.cleanup',
    CLEANUP_WORK,
    eachJob(() => cleanupOrphanFiles()),
  )
  await workLoops(
    boss,
    'email.inbound-retention',
    CLEANUP_WORK,
    eachJob(() => deleteOldInboundPosts()),
  )
  // Nightly: stored files that no attachment refers to (refused uploads).
  await boss.schedule('files.cleanup', '17 3 * * *', {})
  // Nightly: raw inbound posts past INBOUND_RAW_RETENTION_DAYS (unfiled ones: the longer window).
  await boss.schedule('email.inbound-retention', '47 2 * * *', {})
  // Every 15 minutes; pg-boss makes sure only one instance runs each scheduled slot.
  await boss.schedule('sessions.cleanup', '*/15 * * * *', {})
  // Every minute: a webhook delivery whose job was lost goes out within about two minutes of
  // falling due (the sweep reads only pending deliveries, through their own partial index).
  await boss.schedule('webhook.sweep', '* * * * *', {})
}

/**
 * Starts the email loops, each its own pg-boss worker so it can be woken by id (as the webhook
 * loops are: a loop that got a job fetches again at once, workLoops). Returns their ids.
 */
async function startEmailWorkers(boss: PgBoss) {
  const stopping = queueStopping()
  return workLoops(
    boss,
    'email.send',
    EMAIL_WORK,
    (jobs) => sendEmails(jobs, { stopping, giveBack: (ids) => giveBackJobs(boss, 'email.send', ids) }),
    EMAIL_LOOPS,
  )
}

/**
 * Delivers email jobs one after the other, settling each on its own: one failing email is retried
 * without sending the others again. Each state change is published to the ticket's page (the
 * delivery badge) once its transaction has committed. Once `stopping` is aborted (a shutdown
 * began) no email is begun: its job is given back (`giveBack`: pg-boss's restore, the same
 * attempt runs after the restart or on another instance) and nothing is claimed or sent.
 */
export async function sendEmails(
  jobs: JobWithMetadata<JobPayloads['email.send']>[],
  { stopping, giveBack }: { stopping?: AbortSignal; giveBack?: (ids: string[]) => Promise<void> } = {},
) {
  const results: JobResult[] = []
  const notStarted: string[] = []
  // All of a fetch at once (EMAIL_WORK.batchSize): none waits for another of its fetch to start.
  await Promise.all(
    jobs.map(async (job) => {
      const result = stopping?.aborted || job.signal?.aborted ? undefined : await sendEmail(job, stopping)
      if (result) results.push(result)
      else notStarted.push(job.id)
    }),
  )
  if (notStarted.length > 0) {
    if (giveBack)
      await giveBack(notStarted).catch((error: unknown) =>
        logger().warn({ err: error, job: 'email.send' }, 'could not give back jobs at shutdown'),
      )
    // Without a giveBack, or if it failed: failed, so pg-boss retries them (a restored job has
    // no active attempt left for this to settle: a no-op then).
    for (const id of notStarted) {
      results.push({ id, status: 'failed', output: { message: 'stopped before it started' } })
    }
  }
  return results
}

/** One email job; undefined when a shutdown stopped it before anything was sent. */
async function sendEmail(
  job: JobWithMetadata<JobPayloads['email.send']>,
  stopping: AbortSignal | undefined,
): Promise<JobResult | undefined> {
  try {
    // Undo send: a held reply is announced now that its delay has passed, before its email goes.
    publish(await releaseHeldReply(job.data.emailId))
    // A shutdown's end of grace aborts the SendGrid call (job.signal); once it began, nothing
    // new starts (stopping).
    const { outcome, events } = await runEmailJob(job.data.emailId, job, job.signal, {
      noNewSend: stopping,
      threadOrder: { waits: job.data.threadWaits ?? 0 },
    })
    publish(events)
    return { id: job.id, status: 'completed', output: { outcome } }
  } catch (error) {
    if (error instanceof SendNotStartedError) return undefined
    if (reportFailure(job, error)) {
      await markEmailFailed(job.data.emailId, job.id, messageOf(error))
        .then(publish)
        .catch((markError: unknown) =>
          logger().error({ err: markError, job: job.name, jobId: job.id }, 'could not mark the email failed'),
        )
    }
    return { id: job.id, status: 'failed', output: { message: messageOf(error) } }
  }
}

/** Through this process's Socket.IO server (or the worker's emitter), to every instance. */
function publish(events: TicketEvent[]) {
  if (events.length > 0) realtime().publish(events)
}

/** A handler for queues whose jobs carry no data: runs `task` once per job, reporting failures. */
function eachJob(task: () => Promise<unknown>) {
  return async (jobs: JobWithMetadata<object>[]) => {
    for (const job of jobs) {
      try {
        await task()
      } catch (error) {
        reportFailure(job, error)
        throw error
      }
    }
  }
}

/**
 * Logs a failed attempt: a warning while retries remain, an error once it was the last, when
 * pg-boss moves the job to the dead-letter queue. Names and ids only: payloads stay out of logs.
 * Returns whether it was the last attempt.
 */
function reportFailure(job: JobWithMetadata<unknown>, error: unknown) {
  const last = job.retryCount >= job.retryLimit
  const fields = {
    job: job.name,
    jobId: job.id,
    attempt: job.retryCount + 1,
    attempts: job.retryLimit + 1,
    error: messageOf(error),
  }
  if (last) {
    logger().error({ ...fields, deadLetter: job.deadLetter }, 'job failed on its last attempt: dead-lettered')
  } else {
    logger().warn(fields, 'job failed, will retry')
  }
  return last
}

/** Logged and stored in the job's output: no query parameters (a customer's text) in it. */
function messageOf(error: unknown) {
  return safeErrorMessage(error)
}
