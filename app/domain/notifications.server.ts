import { getDb, type Tx } from '#db/client.ts'
import {
  insertNotification,
  listNotificationGroups,
  markNotificationsRead as markRead,
  setNotificationGroupRead,
  type NotificationKind,
} from '#db/queries/notifications.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { NOTIFICATION_GROUP_LIMIT, type NotificationGroup } from '#app/utils/notification-groups.ts'
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
  /** customer-replied: the sender, when not the ticket's customer or CC'd (for the email). */
  writtenBy?: string
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

/** The notifications page: this user's notifications in this workspace, one entry per ticket. */
export async function notificationGroups(
  member: { workspaceId: string; userId: string },
  filters: { unreadOnly: boolean; kind: NotificationKind | null },
): Promise<NotificationGroup[]> {
  const rows = await listNotificationGroups(getDb(), {
    workspaceId: member.workspaceId,
    userId: member.userId,
    ...filters,
    limit: NOTIFICATION_GROUP_LIMIT,
  })
  return rows.map((row) => ({
    ticketId: row.ticket_id,
    webhookEndpointId: row.webhook_endpoint_id,
    number: row.number,
    subject: row.subject,
    latestAt: new Date(row.latest_at).toISOString(),
    total: row.total,
    unread: row.unread,
    counts: {
      assigned: row.assigned,
      'customer-replied': row.customer_replied,
      mentioned: row.mentioned,
      'webhook-disabled': row.webhook_disabled,
    },
    latestActorName: row.latest_actor_name,
  }))
}

/** Marks a ticket's (or a webhook endpoint's) notifications read or unread for this user. */
export async function markNotificationGroup(
  member: { workspaceId: string; userId: string },
  group: { ticketId: string } | { webhookEndpointId: string },
  read: boolean,
) {
  await setNotificationGroupRead(getDb(), {
    workspaceId: member.workspaceId,
    userId: member.userId,
    group,
    read,
    at: new Date(),
  })
}
