import { and, count, desc, eq, inArray, isNull } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.ts'
import { notifications, tickets, users } from '#db/schema.ts'
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
  await tx.insert(notifications).values({
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

export async function listNotifications(workspaceId: string, userId: string) {
  const db = getDb()
  const where = and(eq(notifications.workspaceId, workspaceId), eq(notifications.userId, userId))
  const [items, [unread]] = await Promise.all([
    db
      .select({
        id: notifications.id,
        kind: notifications.kind,
        readAt: notifications.readAt,
        createdAt: notifications.createdAt,
        number: tickets.number,
        subject: tickets.subject,
        actorName: users.name,
      })
      .from(notifications)
      .innerJoin(tickets, eq(tickets.id, notifications.ticketId))
      .leftJoin(users, eq(users.id, notifications.actorUserId))
      .where(where)
      .orderBy(desc(notifications.createdAt))
      .limit(30),
    db
      .select({ n: count() })
      .from(notifications)
      .where(and(where, isNull(notifications.readAt))),
  ])
  return { items, unread: unread?.n ?? 0 }
}

/** Marks the given notifications (or all, without ids) of this user in this workspace as read. */
export async function markNotificationsRead(workspaceId: string, userId: string, ids?: string[]) {
  await getDb()
    .update(notifications)
    .set({ readAt: new Date() })
    .where(
      and(
        eq(notifications.workspaceId, workspaceId),
        eq(notifications.userId, userId),
        isNull(notifications.readAt),
        ids ? inArray(notifications.id, ids) : undefined,
      ),
    )
}
