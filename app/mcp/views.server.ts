import { sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import type { Member } from '#app/domain/workspaces.server.ts'

/**
 * The inbox's views with their ticket counts, for the MCP list_views tool: one round trip, exact
 * counts read from queue_counts (kept by triggers on tickets in the same transaction as every
 * change, as the navigation's Mine/Unassigned), so a huge backlog is never scanned.
 */
export async function viewCounts(member: Member) {
  const sum = (where: ReturnType<typeof sql>) =>
    sql`(select coalesce(sum(q.n), 0)::int from queue_counts q where q.workspace_id = ${member.workspaceId} and ${where})`
  const result = await getDb().execute<
    Record<'mine' | 'unassigned' | 'open' | 'pending' | 'resolved' | 'all', number>
  >(sql`
    select
      ${sum(sql`q.assignee_id = ${member.userId} and q.status in ('open', 'pending')`)} as mine,
      ${sum(sql`q.assignee_id is null and q.status in ('open', 'pending')`)} as unassigned,
      ${sum(sql`q.status = 'open'`)} as open,
      ${sum(sql`q.status = 'pending'`)} as pending,
      ${sum(sql`q.status = 'resolved'`)} as resolved,
      ${sum(sql`true`)} as "all"`)
  const row = result.rows[0]!
  const describe = {
    mine: 'Open and pending tickets assigned to you',
    unassigned: 'Open and pending tickets nobody is assigned to',
    open: 'Open tickets',
    pending: 'Tickets waiting on the customer',
    resolved: 'Resolved tickets',
    all: 'Every ticket',
  } as const
  return (Object.keys(describe) as Array<keyof typeof describe>).map((view) => ({
    view,
    description: describe[view],
    count: row[view],
  }))
}
