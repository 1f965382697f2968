import type { JobWithMetadata } from 'pg-boss'
import { deliverWebhook } from '#app/domain/webhook-delivery.server.ts'
import { settleJobs } from './map-with-limit.server.ts'
import type { JobPayloads } from './queue.server.ts'

/**
 * How the webhook worker fetches: woken by the NOTIFY of the enqueuing transaction (so a
 * delivery leaves within milliseconds of the commit), up to 20 jobs at once, 10 POSTs in
 * parallel (each waits at most 10 s on its receiver), each job settled on its own.
 */
export const WEBHOOK_WORK = {
  batchSize: 20,
  burstWhenBatchFull: true,
  pollingIntervalSeconds: 1,
  notifyPollingIntervalSeconds: 5,
  includeMetadata: true,
  perJobResults: true,
} as const
const WEBHOOK_PARALLEL = 10

/**
 * An HTTP failure is not a job failure: deliverWebhook records it and schedules the next attempt
 * itself. A job fails (and pg-boss retries it) only when the database did.
 */
export async function deliverWebhookJobs(jobs: JobWithMetadata<JobPayloads['webhook.deliver']>[]) {
  return settleJobs(jobs, WEBHOOK_PARALLEL, 'webhook delivery job failed', async (job) => ({
    outcome: await deliverWebhook(job.data.deliveryId),
  }))
}
