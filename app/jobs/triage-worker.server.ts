import type { JobWithMetadata } from 'pg-boss'
import { triageTicket } from '#app/ai/triage.server.ts'
import { realtime } from '#app/realtime/hub.server.ts'
import { settleJobs } from './map-with-limit.server.ts'
import type { JobPayloads } from './queue.server.ts'

/**
 * How the triage worker fetches: woken by the NOTIFY of the ticket-creating transaction, up to
 * 8 jobs at once, 4 model calls in parallel (each bounded by the 60 s job deadline).
 */
export const TRIAGE_WORK = {
  batchSize: 8,
  pollingIntervalSeconds: 2,
  notifyPollingIntervalSeconds: 10,
  includeMetadata: true,
  perJobResults: true,
} as const
const TRIAGE_PARALLEL = 4

/**
 * Triage each ticket, settling each job on its own. A provider failure completes the job (the
 * ticket just has no suggestion; the ai_runs row says why); only a database error fails it. A
 * busy provider completes it too, with a new job queued for later (`busy` in its data).
 * The changes are published after their transactions committed, so pages refresh. A stop past the
 * queue's grace aborts the model calls in flight (the job's signal); pg-boss runs those jobs again.
 */
export async function triageTickets(jobs: JobWithMetadata<JobPayloads['ai.triage']>[]) {
  return settleJobs(jobs, TRIAGE_PARALLEL, 'triage job failed', async (job) => {
    const { outcome, events } = await triageTicket(job.data.workspaceId, job.data.ticketId, {
      signal: job.signal,
      ...(job.data.busy ? { busy: job.data.busy } : {}),
    })
    if (events.length > 0) realtime().publish(events)
    return { outcome }
  })
}
