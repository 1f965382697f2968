import { getDb } from '#db/client.ts'
import { loadLayoutRow } from '#db/queries/layout.ts'
import { checklistState, type ChecklistState } from '#db/queries/onboarding.ts'
import type { QueueOptionsRow } from '#db/queries/queue.ts'
import type { Member } from './workspaces.server.ts'

/**
 * The workspace layout's data (switcher, navigation counts, notification bell) for a member.
 * `withQueueOptions` / `withChecklist`: the queue filters' options or the home page's checklist
 * state come with it in the same statement (see app/routes/w.$slug.layout-data.server.ts).
 */
export async function workspaceLayout(
  member: Member,
  { withQueueOptions = false, withChecklist = false } = {},
) {
  const row = await loadLayoutRow(getDb(), {
    userId: member.userId,
    workspaceId: member.workspaceId,
    withQueueOptions,
    withChecklist,
  })
  const queueOptions: QueueOptionsRow | null =
    row.mailboxes && row.members && row.tags
      ? { mailboxes: row.mailboxes, members: row.members, tags: row.tags }
      : null
  const checklist: ChecklistState | null =
    withChecklist &&
    row.dismissed !== undefined &&
    row.member_count !== undefined &&
    row.web_ticket !== undefined &&
    row.invited !== undefined &&
    row.answered !== undefined &&
    row.inbound_email !== undefined
      ? checklistState({
          dismissed: row.dismissed,
          member_count: row.member_count,
          web_ticket: row.web_ticket,
          invited: row.invited,
          answered: row.answered,
          inbound_email: row.inbound_email,
        })
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
    checklist,
  }
}
