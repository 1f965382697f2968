import { getDb } from '#db/client.ts'
import { dismissChecklist, getChecklistState, type ChecklistState } from '#db/queries/onboarding.ts'
import { env } from '#app/env.server.ts'
import type { Member } from './workspaces.server.ts'

export const CHECKLIST_ITEMS = ['supportForm', 'teammate', 'answered', 'mailbox'] as const
export type ChecklistItem = (typeof CHECKLIST_ITEMS)[number]

/**
 * The home page's data in one round trip: the member count, and the getting-started checklist
 * (null once every item is done or this member dismissed it). Nothing is ticked by hand: each
 * item is done when the data says so.
 * - supportForm: a ticket arrived through the web support form;
 * - teammate: the workspace has a second member or an open invitation;
 * - answered: a ticket got its first reply;
 * - mailbox: an email arrived through inbound forwarding (inbound_emails).
 */
export async function loadHome(member: Member) {
  return homeOf(
    member,
    await getChecklistState(getDb(), { workspaceId: member.workspaceId, userId: member.userId }),
  )
}

/** The home page's data from the checklist's state (read alone, or with the layout's statement). */
export function homeOf(member: Pick<Member, 'workspaceSlug'>, state: ChecklistState) {
  const done = Object.fromEntries(CHECKLIST_ITEMS.map((item) => [item, state[item]])) as Record<
    ChecklistItem,
    boolean
  >
  const hidden = state.dismissed || CHECKLIST_ITEMS.every((item) => done[item])
  return {
    memberCount: state.members,
    checklist: hidden ? null : { done, supportFormUrl: `${env().appUrl}/support/${member.workspaceSlug}` },
  }
}

/** Hides the checklist for this member only (teammates keep theirs). */
export async function hideChecklist(member: Member) {
  await dismissChecklist(getDb(), { workspaceId: member.workspaceId, userId: member.userId })
}
