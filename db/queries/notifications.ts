import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { notifications } from '../schema.ts'

export async function insertNotification(
  db: DbOrTx,
  values: {
    workspaceId: string
    userId: string
    kind: 'assigned' | 'customer-replied' | 'mentioned'
    ticketId: string
    actorUserId: string | null
    createdAt: Date
  },
) {
  await db.insert(notifications).values(values)
}

/** Marks the given notifications (or all, without ids) of this user in this workspace as read. */
export async function markNotificationsRead(
  db: DbOrTx,
  { workspaceId, userId, ids, at }: { workspaceId: string; userId: string; ids?: string[]; at: Date },
) {
  await db
    .update(notifications)
    .set({ readAt: at })
    .where(
      and(
        eq(notifications.workspaceId, workspaceId),
        eq(notifications.userId, userId),
        isNull(notifications.readAt),
        ids ? inArray(notifications.id, ids) : undefined,
      ),
    )
}
