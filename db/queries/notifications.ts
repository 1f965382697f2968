import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { notificationEmailOptOuts, notifications, tickets, users, workspaces } from '../schema.ts'

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

export type NotificationKind = (typeof notifications.kind.enumValues)[number]

export type NotificationGroupRow = {
  ticket_id: string | null
  webhook_endpoint_id: string | null
  // null for a workspace notice (webhook-disabled): subject is then the endpoint's URL
  number: number | null
  subject: string
  latest_at: string
  total: number
  unread: number
  assigned: number
  customer_replied: number
  mentioned: number
  webhook_disabled: number
  latest_actor_name: string | null
}

/**
 * One user's notifications in one workspace, grouped per ticket (and per webhook endpoint for
 * workspace notices), newest group first: counts per kind and unread, the latest time and actor.
 */
export async function listNotificationGroups(
  db: DbOrTx,
  {
    workspaceId,
    userId,
    unreadOnly,
    kind,
    limit,
  }: {
    workspaceId: string
    userId: string
    unreadOnly: boolean
    kind: NotificationKind | null
    limit: number
  },
) {
  const result = await db.execute<NotificationGroupRow>(sql`
    select n.ticket_id, n.webhook_endpoint_id,
      min(t.number) as number,
      coalesce(min(t.subject), min(we.url), '') as subject,
      max(n.created_at) as latest_at,
      count(*)::int as total,
      (count(*) filter (where n.read_at is null))::int as unread,
      (count(*) filter (where n.kind = 'assigned'))::int as assigned,
      (count(*) filter (where n.kind = 'customer-replied'))::int as customer_replied,
      (count(*) filter (where n.kind = 'mentioned'))::int as mentioned,
      (count(*) filter (where n.kind = 'webhook-disabled'))::int as webhook_disabled,
      (array_agg(a.name order by n.created_at desc))[1] as latest_actor_name
    from notifications n
    left join tickets t on t.id = n.ticket_id and t.workspace_id = n.workspace_id
    left join webhook_endpoints we on we.id = n.webhook_endpoint_id and we.workspace_id = n.workspace_id
    left join users a on a.id = n.actor_user_id
    where n.workspace_id = ${workspaceId} and n.user_id = ${userId}
      ${unreadOnly ? sql`and n.read_at is null` : sql``}
      ${kind ? sql`and n.kind = ${kind}` : sql``}
    group by n.ticket_id, n.webhook_endpoint_id
    order by max(n.created_at) desc
    limit ${limit}`)
  return result.rows
}

/**
 * Marks one group of the notifications page (a ticket's, or a webhook endpoint's) read or unread
 * for this user in this workspace. Unread clears read_at on every notification of the group.
 */
export async function setNotificationGroupRead(
  db: DbOrTx,
  {
    workspaceId,
    userId,
    group,
    read,
    at,
  }: {
    workspaceId: string
    userId: string
    group: { ticketId: string } | { webhookEndpointId: string }
    read: boolean
    at: Date
  },
) {
  await db
    .update(notifications)
    .set({ readAt: read ? at : null })
    .where(
      and(
        eq(notifications.workspaceId, workspaceId),
        eq(notifications.userId, userId),
        'ticketId' in group
          ? eq(notifications.ticketId, group.ticketId)
          : eq(notifications.webhookEndpointId, group.webhookEndpointId),
        read ? isNull(notifications.readAt) : isNotNull(notifications.readAt),
      ),
    )
}

// ——— Notification emails (app/domain/notification-emails.server.ts) ———

type EmailKind = (typeof notificationEmailOptOuts.$inferInsert)['kind']

/** The kinds of notification email the user turned off. */
export async function listNotificationEmailOptOuts(db: DbOrTx, { userId }: { userId: string }) {
  return db
    .select({ kind: notificationEmailOptOuts.kind })
    .from(notificationEmailOptOuts)
    .where(eq(notificationEmailOptOuts.userId, userId))
}

/** Replaces the user's opt-outs with these kinds (two statements: run it in a transaction). */
export async function replaceNotificationEmailOptOuts(
  db: DbOrTx,
  { userId, kinds }: { userId: string; kinds: EmailKind[] },
) {
  await db.delete(notificationEmailOptOuts).where(eq(notificationEmailOptOuts.userId, userId))
  if (kinds.length > 0)
    await db.insert(notificationEmailOptOuts).values(kinds.map((kind) => ({ userId, kind })))
}

/** Turns one kind off; idempotent. */
export async function insertNotificationEmailOptOut(
  db: DbOrTx,
  { userId, kind }: { userId: string; kind: EmailKind },
) {
  await db.insert(notificationEmailOptOuts).values({ userId, kind }).onConflictDoNothing()
}

/** The user's email address (the unsubscribe page shows it partly hidden). */
export async function getUserEmailAddress(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId))
  return row
}

/**
 * What a notification email needs in one query: the recipient's address, whether it is confirmed
 * and whether they turned this kind off, the ticket's subject (of this workspace), the workspace's
 * slug and the actor's name.
 */
export async function getNotificationEmailContext(
  db: DbOrTx,
  {
    workspaceId,
    userId,
    ticketId,
    kind,
    actorUserId,
  }: { workspaceId: string; userId: string; ticketId: string; kind: EmailKind; actorUserId: string | null },
) {
  const [row] = await db
    .select({
      email: users.email,
      verifiedAt: users.emailVerifiedAt,
      optedOut: sql<boolean>`exists (select 1 from ${notificationEmailOptOuts} o
        where o.user_id = ${users.id} and o.kind = ${kind})`,
      subject: tickets.subject,
      slug: workspaces.slug,
      actorName: sql<string | null>`(select a.name from users a where a.id = ${actorUserId})`,
    })
    .from(users)
    .innerJoin(tickets, and(eq(tickets.id, ticketId), eq(tickets.workspaceId, workspaceId)))
    .innerJoin(workspaces, eq(workspaces.id, workspaceId))
    .where(eq(users.id, userId))
  return row
}

/** A removed member's unread notifications of the workspace (removeMember): nothing left to open. */
export async function deleteUnreadNotificationsOf(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  await db
    .delete(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        eq(notifications.workspaceId, workspaceId),
        isNull(notifications.readAt),
      ),
    )
}
