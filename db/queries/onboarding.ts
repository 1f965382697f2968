import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { memberships, workspaces } from '../schema.ts'

export type ChecklistRow = {
  dismissed: boolean
  member_count: number
  web_ticket: boolean
  invited: boolean
  answered: boolean
  inbound_email: boolean
}

/**
 * What the getting-started checklist is made of, as columns of a select list, all derived from
 * the workspace's data: each `exists` stops at the first row it finds. With the member count the
 * home page shows, which the teammate item counts anyway. getChecklistState runs them alone; the
 * layout's statement can carry them (loadLayoutRow's `withChecklist`: the home page).
 */
export function checklistColumns({
  workspaceId,
  userId,
}: {
  workspaceId: string | SQL
  userId: string | SQL
}) {
  return sql`coalesce((select checklist_dismissed_at is not null from memberships
                where workspace_id = ${workspaceId} and user_id = ${userId}), false) as dismissed,
      exists (select 1 from tickets where workspace_id = ${workspaceId} and channel = 'web') as web_ticket,
      (select count(*)::int from memberships where workspace_id = ${workspaceId}) as member_count,
      exists (select 1 from invitations where workspace_id = ${workspaceId} and revoked_at is null) as invited,
      exists (select 1 from tickets where workspace_id = ${workspaceId} and first_response_at is not null) as answered,
      -- Through inbound_emails_mailbox_idx (the table has no workspace index of its own).
      exists (select 1 from inbound_emails ie
              where ie.mailbox_id in (select id from mailboxes where workspace_id = ${workspaceId})) as inbound_email`
}

/** The checklist's items from its columns. */
export function checklistState(row: ChecklistRow) {
  return {
    dismissed: row.dismissed,
    supportForm: row.web_ticket,
    teammate: row.member_count > 1 || row.invited,
    members: row.member_count,
    answered: row.answered,
    mailbox: row.inbound_email,
  }
}

export type ChecklistState = ReturnType<typeof checklistState>

/** The checklist's state in one round trip. */
export async function getChecklistState(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  const result = await db.execute<ChecklistRow>(sql`select ${checklistColumns({ workspaceId, userId })}`)
  return checklistState(result.rows[0]!)
}

export async function dismissChecklist(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  await db
    .update(memberships)
    .set({ checklistDismissedAt: new Date() })
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
}

/** Whether a workspace already uses this URL (the signup form's availability check). */
export async function workspaceSlugTaken(db: DbOrTx, { slug }: { slug: string }) {
  const [row] = await db
    .select({ id: workspaces.id })
    .from(workspaces)
    .where(eq(workspaces.slug, slug))
    .limit(1)
  return row !== undefined
}
