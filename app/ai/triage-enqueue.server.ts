import type { Tx } from '#db/client.ts'
import { env } from '#app/env.server.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import { aiSettingsFrom } from './settings.server.ts'

/**
 * Called inside createTicket's transaction with the `settings.ai` it already read (where the
 * ticket number is taken), so a ticket costs no extra query for triage: one job insert when
 * triage is on, nothing when it is off or AI is not configured. The job runs after commit and
 * never delays the creation (app/ai/triage.server.ts).
 */
export async function enqueueTriageIfWanted(
  tx: Tx,
  storedAi: unknown,
  workspaceId: string,
  ticketId: string,
) {
  if (!env().ai.configured) return
  if (!aiSettingsFrom(storedAi).features.triage) return
  await enqueue(tx, 'ai.triage', { workspaceId, ticketId })
}
