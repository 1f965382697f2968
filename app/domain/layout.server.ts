import { getDb } from '#db/client.ts'
import { loadLayoutRow } from '#db/queries/layout.ts'
import type { Member } from './workspaces.server.ts'

/** The workspace layout's data (switcher, navigation counts, notification bell) for a member. */
export async function workspaceLayout(member: Member) {
  const row = await loadLayoutRow(getDb(), { userId: member.userId, workspaceId: member.workspaceId })
  return {
    workspaces: row.workspaces,
    counts: { mine: row.mine, unassigned: row.unassigned },
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
