import type { Tx } from '#db/client.ts'
import { listMembers } from '#db/queries/workspaces.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { findMentions } from '#app/utils/mentions.ts'
import { notify } from './notifications.server.ts'

/**
 * Notifies the members a note mentions (`@name`, see app/utils/mentions.ts), in the note's
 * transaction: a `mentioned` notification each (bell and, when they want it, email). Only members
 * of the ticket's workspace can be mentioned; the author is never notified of their own note.
 */
export async function notifyMentions(
  tx: Tx,
  note: {
    workspaceId: string
    ticketId: string
    number: number
    authorUserId: string
    body: string
  },
): Promise<TicketEvent[]> {
  if (!note.body.includes('@')) return []
  const members = await listMembers(tx, note.workspaceId)
  const mentioned = findMentions(note.body, members).filter((id) => id !== note.authorUserId)
  const events: TicketEvent[] = []
  for (const userId of mentioned) {
    events.push(
      await notify(tx, {
        workspaceId: note.workspaceId,
        userId,
        kind: 'mentioned',
        ticketId: note.ticketId,
        number: note.number,
        actorUserId: note.authorUserId,
        excerpt: note.body,
      }),
    )
  }
  return events
}
