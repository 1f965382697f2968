import type { Member } from '#app/domain/workspaces.server.ts'
import { hasRole } from '#app/utils/roles.ts'
import { aiAvailabilities } from './client.server.ts'
import { listSimilarTickets } from './similar.server.ts'

/**
 * What the ticket page shows of AI: whether the composer's Draft and Rewrite controls are
 * available (or the hint that replaces them), and the similar resolved tickets (no model needed,
 * so they show even when AI is not configured).
 */
export async function loadTicketAssist(member: Member, ticket: { id: string }) {
  const [available, similar] = await Promise.all([
    aiAvailabilities(member.workspaceId, ['draft', 'rewrite'] as const),
    listSimilarTickets(member.workspaceId, ticket.id),
  ])
  return { ...available, similar, canConfigure: hasRole(member.role, 'admin') }
}

export type TicketAssist = NonNullable<Awaited<ReturnType<typeof loadTicketAssist>>>
