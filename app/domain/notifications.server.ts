import { getDb, type Tx } from '#db/client.ts'
import { insertNotification, markNotificationsRead as markRead } from '#db/queries/notifications.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { queueNotificationEmail } from './notification-emails.server.ts'

type NewNotification = {
  workspaceId: string
  userId: string
  kind: 'assigned' | 'customer-replied' | 'mentioned'
  ticketId: string
  number: number
  actorUserId: string | null
  /** The note that mentioned them (for the email). */
  excerpt?: string
}

/**
 * Records a notification in the caller's transaction, queues its email there too (unless the
 * user's address is unconfirmed or they turned the kind off), and returns the event that
 * announces it.
 */
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
  await queueNotificationEmail(tx, n)
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
