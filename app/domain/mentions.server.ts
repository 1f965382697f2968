import type { Tx } from '#db/client.ts'
import { listMembers, lockMembershipsOf } from '#db/queries/workspaces.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { findMentions } from '#app/utils/mentions.ts'
import { notify } from './notifications.server.ts'

type Note = { workspaceId: string; authorUserId: string; body: string }

/**
 * The members a note mentions (`@name`, see app/utils/mentions.ts; never its author), their
 * memberships locked FOR KEY SHARE until the note's transaction ends, as an assignment locks its
 * assignee's: a removal of one of them waits for the note and then deletes the notification it
 * wrote, and one that committed first leaves them out. Before, the members were read unlocked: a
 * removal racing the note left an unread notification for someone no longer a member. Called
 * before the note locks its ticket, in a removal's order (memberships, then tickets).
 */
export async function lockMentioned(tx: Tx, note: Note): Promise<string[]> {
  if (!note.body.includes('@')) return []
  const members = await listMembers(tx, note.workspaceId)
  const mentioned = findMentions(note.body, members).filter((id) => id !== note.authorUserId)
  const locked = new Set(await lockMembershipsOf(tx, { workspaceId: note.workspaceId, userIds: mentioned }))
  return mentioned.filter((id) => locked.has(id))
}

/**
 * Notifies the members `lockMentioned` found, in the note's transaction: a `mentioned`
 * notification each (bell and, when they want it, email).
 */
export async function notifyMentioned(
  tx: Tx,
  note: Note & { ticketId: string; number: number },
  userIds: string[],
): Promise<TicketEvent[]> {
  const events: TicketEvent[] = []
  for (const userId of userIds) {
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
