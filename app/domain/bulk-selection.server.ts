import { getDb } from '#db/client.ts'
import { listTicketSubjects } from '#db/queries/bulk-selection.ts'

/** How many tickets a bulk confirmation names; the rest are counted. */
export const BULK_CONFIRM_NAMES = 10

/**
 * The selected tickets as a bulk confirmation names them ("#12 Refund please"), the first
 * BULK_CONFIRM_NAMES by number, then "and N more". Read in the member's workspace only: an id
 * of another workspace's ticket (or of none) makes the answer 'not-found', naming nothing.
 */
export async function describeBulkSelection(member: { workspaceId: string }, ticketIds: string[]) {
  const found = await listTicketSubjects(getDb(), { workspaceId: member.workspaceId, ticketIds })
  if (found.length !== new Set(ticketIds).size) return { kind: 'not-found' as const }
  const named = found.slice(0, BULK_CONFIRM_NAMES).map((t) => `#${t.number} ${t.subject}`)
  const more = found.length - named.length
  return { kind: 'found' as const, items: more > 0 ? [...named, `and ${more} more`] : named }
}
