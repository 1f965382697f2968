import { getDb, type Tx } from '#db/client.ts'
import { insertNotification, markNotificationsRead as markRead } from '#db/queries/notifications.ts'
import type { TicketEvent } from '#app/realtime/events.ts'

type NewNotification = {
  workspaceId: string
  userId: string
  kind: 'assigned' | 'customer-replied'
  ticketId: string
  number: number
  actorUserId: string | null
}

/** Records a notification in the caller's transaction and returns the event that announces it. */
export async function notify(tx: Tx, n: NewNotification): Promise<TicketEvent> {
  const at = new Date()
  await insertNotification(tx, {
    workspaceId: n.workspaceId,
    userId: n.userId,
    kind: n.kind,
    ticketId: n.ticketId,
    actorUserId: n.actorUserId,
    createdAt: at,
  })
  return {
    type: 'notification.created',
    workspaceId: n.workspaceId,
    userId: n.userId,
    ticketId: n.ticketId,
    number: n.number,
    kind: n.kind,
    at: at.toISOString(),
  }
}

/** Marks the given notifications (or all, without ids) of this user in this workspace as read. */
export async function markNotificationsRead(workspaceId: string, userId: string, ids?: string[]) {
  await markRead(getDb(), { workspaceId, userId, ids, at: new Date() })
}
