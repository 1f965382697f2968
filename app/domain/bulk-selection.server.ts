import { getDb } from '#db/client.ts'
import { listTicketSubjects } from '#db/queries/bulk-selection.ts'
import { nameTickets } from '#app/utils/confirmation.ts'

/**
 * The selected tickets as a bulk confirmation names them (nameTickets). Read in the member's workspace only: an id
 * of another workspace's ticket (or of none) makes the answer 'not-found', naming nothing.
 */
export async function describeBulkSelection(member: { workspaceId: string }, ticketIds: string[]) {
  const found = await listTicketSubjects(getDb(), { workspaceId: member.workspaceId, ticketIds })
  if (found.length !== new Set(ticketIds).size) return { kind: 'not-found' as const }
  return { kind: 'found' as const, items: nameTickets(found) }
}
