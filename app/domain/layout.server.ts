import { getDb } from '#db/client.ts'
import { loadLayoutRow } from '#db/queries/layout.ts'
import { primePerRequest } from '#app/http/request-scope.server.ts'
import type { Member } from './workspaces.server.ts'

/** The workspace layout's data (switcher, navigation counts, notification bell) for a member. */
export async function workspaceLayout(member: Member) {
  const row = await loadLayoutRow(getDb(), member.userId, member.workspaceId)
  const counts = { mine: row.mine, unassigned: row.unassigned }
  // A page loader in the same request that asks for the counts gets these.
  primePerRequest(`counts:${member.workspaceId}:${member.userId}`, counts)
  return {
    workspaces: row.workspaces,
    counts,
    notifications: {
      unread: row.unread,
      items: row.notifications.map((n) => ({
        id: n.id,
        kind: n.kind,
        read: n.read_at !== null,
        number: n.number,
        subject: n.subject,
        actorName: n.actor_name,
      })),
    },
  }
}
