import type { JobResult, JobWithMetadata } from 'pg-boss'
import { logger } from '#app/logger.server.ts'

/**
 * Runs `run` over `items` with at most `limit` in flight, results in input order: how the workers
 * settle a fetched batch of jobs one by one, a few at a time.
 */
export async function mapWithLimit<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await run(items[index])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return results
}

/**
 * Settles each job of a batch on its own, `limit` at a time: completed with the output `run`
 * returns, or failed (pg-boss retries it) with one warning line saying `failure`. Names and ids
 * only in the log: payloads stay out.
 */
export async function settleJobs<T>(
  jobs: JobWithMetadata<T>[],
  limit: number,
  failure: string,
  run: (job: JobWithMetadata<T>) => Promise<object>,
) {
  return mapWithLimit(jobs, limit, async (job): Promise<JobResult> => {
    // Stopped (a shutdown past its grace, or the job's expiry) while it waited for a free slot:
    // pg-boss has failed it already and retries it; starting it now would race that retry.
    if (job.signal?.aborted)
      return { id: job.id, status: 'failed', output: { message: 'stopped before it started' } }
    try {
      return { id: job.id, status: 'completed', output: await run(job) }
    } catch (error) {
      logger().warn(
        {
          job: job.name,
          jobId: job.id,
          attempt: job.retryCount + 1,
          error: error instanceof Error ? error.message : String(error),
        },
        failure,
      )
      return { id: job.id, status: 'failed', output: { message: String(error) } }
    }
  })
}
