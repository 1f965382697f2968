import type { JobWithMetadata, PgBoss } from 'pg-boss'
import { deliverWebhook } from '#app/domain/webhook-delivery.server.ts'
import { settleJobs } from './map-with-limit.server.ts'
import { workLoops, type JobPayloads } from './queue.server.ts'

/**
 * How the webhook worker fetches: woken by the NOTIFY of the enqueuing transaction (so a
 * delivery leaves within milliseconds of the commit), WEBHOOK_LOOPS fetch loops per instance,
 * each taking one job at a time. Each job's group is its endpoint, and a fetch skips the
 * endpoints with a job active on any instance (`groupConcurrency: 1`): a receiver that never
 * answers holds one loop at most, and its backlog waits without taking the others.
 * webhook-fairness.server.ts adds the per-workspace share and the pause of a receiver that keeps
 * timing out. One job per fetch also sends an endpoint's deliveries oldest first (a batch ranked a
 * group's jobs by their random ids). It was 4 loops of 5 jobs each, first come first served: 25
 * tickets to a receiver that never answered held another workspace's delivery back 18 s.
 */
export const WEBHOOK_LOOPS = 10
export const WEBHOOK_WORK = {
  batchSize: 1,
  localConcurrency: 1,
  groupConcurrency: 1,
  pollingIntervalSeconds: 1,
  notifyPollingIntervalSeconds: 5,
  includeMetadata: true,
  perJobResults: true,
} as const

/**
 * An HTTP failure is not a job failure: deliverWebhook records it and schedules the next attempt
 * itself. A job fails (and pg-boss retries it) only when the database did.
 */
export async function deliverWebhookJobs(jobs: JobWithMetadata<JobPayloads['webhook.deliver']>[]) {
  return settleJobs(jobs, WEBHOOK_WORK.batchSize, 'webhook delivery job failed', async (job) => ({
    outcome: await deliverWebhook(job.data.deliveryId, {
      signal: job.signal,
      first: job.data.first,
      job: { id: job.id, rerun: job.retryCount > 0 },
    }),
  }))
}

/**
 * Starts the loops, each its own pg-boss worker so it can be woken by id: a loop that got a job
 * fetches again as soon as that job is settled (workLoops: a notify during the handler skips its
 * poll delay), and sleeps only after a fetch that found nothing. (pg-boss bursts only on a full batch of more
 * than one job, or on its cached ready count, up to a minute stale: one endpoint's backlog went
 * one job per poll.) Returns the first loop's id, the one a due timer wakes.
 */
export async function startWebhookWorkers(boss: PgBoss) {
  const ids = await workLoops(boss, 'webhook.deliver', WEBHOOK_WORK, deliverWebhookJobs, WEBHOOK_LOOPS)
  return ids[0]!
}
