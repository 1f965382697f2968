import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import { checklistColumns, type ChecklistRow } from './onboarding.ts'
import { queueOptionsColumns, type QueueOptionsRow } from './queue.ts'

export type LayoutRow = {
  workspaces: Array<{ id: string; name: string; slug: string }>
  mine: number
  unassigned: number
  unread: number
  notifications: Array<{
    id: string
    kind: 'assigned' | 'customer-replied' | 'webhook-disabled'
    read_at: string | null
    // null for a workspace notice (webhook-disabled): subject is then the endpoint's URL
    number: number | null
    subject: string
    actor_name: string | null
  }>
}

/**
 * Everything the workspace layout shows on every page, in one round trip: the user's
 * workspaces, the Mine/Unassigned counts and the latest notifications. The counts are exact and
 * cost two index lookups: they read queue_counts, which triggers on tickets keep up to date in
 * the same transaction as every change (migration 0021_queue_counts). `withQueueOptions` adds
 * the queue filters' options (the inbox page), `withChecklist` the getting-started checklist's
 * columns (the home page): one round trip instead of two, scoped by the same workspace id and
 * user id as the counts.
 */
export async function loadLayoutRow(
  db: DbOrTx,
  {
    workspaceId,
    userId,
    withQueueOptions = false,
    withChecklist = false,
  }: { workspaceId: string; userId: string; withQueueOptions?: boolean; withChecklist?: boolean },
) {
  const result = await executePrepared<LayoutRow & Partial<QueueOptionsRow> & Partial<ChecklistRow>>(
    db,
    sql`
    select
      (select coalesce(json_agg(json_build_object('id', w.id, 'name', w.name, 'slug', w.slug) order by w.name), '[]'::json)
         from memberships m join workspaces w on w.id = m.workspace_id where m.user_id = ${userId}) as workspaces,
      (select coalesce(sum(q.n), 0)::int from queue_counts q where q.workspace_id = ${workspaceId}
         and q.assignee_id = ${userId} and q.status in ('open', 'pending')) as mine,
      (select coalesce(sum(q.n), 0)::int from queue_counts q where q.workspace_id = ${workspaceId}
         and q.assignee_id is null and q.status in ('open', 'pending')) as unassigned,
      (select count(*)::int from notifications n where n.workspace_id = ${workspaceId}
         and n.user_id = ${userId} and n.read_at is null) as unread,
      (select coalesce(json_agg(x), '[]'::json) from (
         select n.id, n.kind, n.read_at, t.number, coalesce(t.subject, we.url, '') as subject, a.name as actor_name
         from notifications n
         left join tickets t on t.id = n.ticket_id
         left join webhook_endpoints we on we.id = n.webhook_endpoint_id
         left join users a on a.id = n.actor_user_id
         where n.workspace_id = ${workspaceId} and n.user_id = ${userId}
         order by n.created_at desc limit 30) x) as notifications${
           withQueueOptions ? sql`, ${queueOptionsColumns(workspaceId)}` : sql``
         }${withChecklist ? sql`, ${checklistColumns({ workspaceId, userId })}` : sql``}`,
  )
  return result.rows[0]
}
