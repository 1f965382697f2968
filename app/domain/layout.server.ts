import { getDb } from '#db/client.ts'
import { loadLayoutRow } from '#db/queries/layout.ts'
import type { QueueOptionsRow } from '#db/queries/queue.ts'
import type { Member } from './workspaces.server.ts'

/**
 * The workspace layout's data (switcher, navigation counts, notification bell) for a member.
 * `withQueueOptions`: the queue filters' options come with it in the same statement (the inbox
 * page asks for both; see app/routes/w.$slug.tsx).
 */
export async function workspaceLayout(member: Member, { withQueueOptions = false } = {}) {
  const row = await loadLayoutRow(getDb(), {
    userId: member.userId,
    workspaceId: member.workspaceId,
    withQueueOptions,
  })
  const queueOptions: QueueOptionsRow | null =
    row.mailboxes && row.members && row.tags
      ? { mailboxes: row.mailboxes, members: row.members, tags: row.tags }
      : null
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
    queueOptions,
  }
}
