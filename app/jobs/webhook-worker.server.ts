import type { JobWithMetadata } from 'pg-boss'
import { deliverWebhook } from '#app/domain/webhook-delivery.server.ts'
import { settleJobs } from './map-with-limit.server.ts'
import type { JobPayloads } from './queue.server.ts'

/**
 * How the webhook worker fetches: woken by the NOTIFY of the enqueuing transaction (so a
 * delivery leaves within milliseconds of the commit), four fetch loops per instance, each taking
 * up to 5 jobs and POSTing them in parallel (each waits at most 10 s on its receiver), each job
 * settled on its own. A loop waits for its whole batch before it fetches again, so with one loop
 * a receiver that never answers held every other delivery back for 10 s; with four, the other
 * loops keep delivering (up to 20 POSTs at once).
 */
export const WEBHOOK_WORK = {
  batchSize: 5,
  localConcurrency: 4,
  burstWhenBatchFull: true,
  pollingIntervalSeconds: 1,
  notifyPollingIntervalSeconds: 5,
  includeMetadata: true,
  perJobResults: true,
} as const
const WEBHOOK_PARALLEL = WEBHOOK_WORK.batchSize

/**
 * An HTTP failure is not a job failure: deliverWebhook records it and schedules the next attempt
 * itself. A job fails (and pg-boss retries it) only when the database did.
 */
export async function deliverWebhookJobs(jobs: JobWithMetadata<JobPayloads['webhook.deliver']>[]) {
  return settleJobs(jobs, WEBHOOK_PARALLEL, 'webhook delivery job failed', async (job) => ({
    outcome: await deliverWebhook(job.data.deliveryId, { signal: job.signal }),
  }))
}
