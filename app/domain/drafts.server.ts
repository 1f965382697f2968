import { getDb } from '#db/client.ts'
import {
  deleteDraft,
  type composerStateFrom,
  ticketIdByNumber,
  ticketsWithDraft,
  upsertDraft,
  type DraftValues,
} from '#db/queries/drafts.ts'
import type { Member } from './workspaces.server.ts'

/**
 * Saves the agent's composer text for the ticket (as they type, and when they leave the page).
 * Empty text deletes the draft. Not audited: a draft is work in progress, not an action.
 */
export async function saveDraft(member: Member, number: number, values: DraftValues) {
  const db = getDb()
  const ticketId = await ticketIdByNumber(db, { workspaceId: member.workspaceId, number })
  if (!ticketId) return { kind: 'not-found' as const }
  const key = { workspaceId: member.workspaceId, ticketId, userId: member.userId }
  if (values.body.trim() === '') await deleteDraft(db, key)
  else await upsertDraft(db, { ...key, ...values })
  return { kind: 'saved' as const }
}

/**
 * The ticket's drafts for its page, from the page's statement (db/queries/ticket-page.ts): the
 * agent's own (restored into the composer, from any device) and the teammates' (shown as "<name>
 * has a draft", readable on click); and the agent's replies still in their undo window (the
 * page's Undo buttons).
 */
export function ticketDraftsFrom(member: Member, state: ReturnType<typeof composerStateFrom>) {
  const { drafts, held } = state
  const mine = drafts.find((r) => r.userId === member.userId)
  return {
    mine: mine ? { body: mine.body, kind: mine.kind, updatedAt: mine.updatedAt } : null,
    others: drafts.filter((r) => r.userId !== member.userId),
    held,
  }
}

/** The set of these tickets on which the agent has a draft. */
export async function draftMarkers(member: Member, ticketIds: string[]) {
  return new Set(
    await ticketsWithDraft(getDb(), { workspaceId: member.workspaceId, userId: member.userId, ticketIds }),
  )
}
