import { requireTicket } from '#app/domain/ticket-page.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { listSimilarTickets } from './similar.server.ts'

/**
 * The similar resolved tickets of the member's ticket `number` (no model needed, so they show
 * even when AI is not configured); a 404 when the ticket is not the workspace's. Its own request
 * (/tickets/<n>/similar), loaded after the ticket page.
 */
export async function loadSimilarTickets(member: Member, number: number) {
  const ticket = await requireTicket(member, number)
  const similar = await listSimilarTickets(member.workspaceId, ticket.id)
  return similar.map((t) => ({ id: t.id, number: t.number, subject: t.subject }))
}
