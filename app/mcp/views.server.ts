import { sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { COUNT_CAP } from '#db/queries/queue.ts'
import type { Member } from '#app/domain/workspaces.server.ts'

/**
 * The inbox's views with their ticket counts, for the MCP list_views tool: one round trip, each
 * count capped like the navigation's (it never scans a huge backlog).
 */
export async function viewCounts(member: Member) {
  const capped = (where: ReturnType<typeof sql>) =>
    sql`(select count(*)::int from (select 1 from tickets t where t.workspace_id = ${member.workspaceId} and ${where} limit ${COUNT_CAP}) s)`
  const result = await getDb().execute<
    Record<'mine' | 'unassigned' | 'open' | 'pending' | 'resolved' | 'all', number>
  >(sql`
    select
      ${capped(sql`t.assignee_id = ${member.userId} and t.status in ('open', 'pending')`)} as mine,
      ${capped(sql`t.assignee_id is null and t.status in ('open', 'pending')`)} as unassigned,
      ${capped(sql`t.status = 'open'`)} as open,
      ${capped(sql`t.status = 'pending'`)} as pending,
      ${capped(sql`t.status = 'resolved'`)} as resolved,
      ${capped(sql`true`)} as "all"`)
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
    capped: row[view] >= COUNT_CAP,
  }))
}
