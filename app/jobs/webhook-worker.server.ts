import type { JobResult, JobWithMetadata } from 'pg-boss'
import { deliverWebhook } from '#app/domain/webhook-delivery.server.ts'
import { logger } from '#app/logger.server.ts'
import { mapWithLimit } from './map-with-limit.server.ts'
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
  return mapWithLimit(jobs, WEBHOOK_PARALLEL, async (job): Promise<JobResult> => {
    try {
      const outcome = await deliverWebhook(job.data.deliveryId)
      return { id: job.id, status: 'completed', output: { outcome } }
    } catch (error) {
      logger().warn(
        {
          job: job.name,
          jobId: job.id,
          attempt: job.retryCount + 1,
          error: error instanceof Error ? error.message : String(error),
        },
        'webhook delivery job failed',
      )
      return { id: job.id, status: 'failed', output: { message: String(error) } }
    }
  })
}
