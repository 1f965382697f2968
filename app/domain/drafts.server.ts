import { getDb } from '#db/client.ts'
import {
  type composerStateFrom,
  deleteEmptyDrafts as deleteEmptyDraftRows,
  draftGenerationOf,
  EMPTY_DRAFT_KEPT_MS,
  lockTicketForDraft,
  ticketsWithDraft,
  upsertDraft,
  type DraftFields,
  type DraftTranslation,
  type DraftValues,
} from '#db/queries/drafts.ts'
import { lockMembershipOf } from '#db/queries/workspaces.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import type { Member } from './workspaces.server.ts'

/**
 * The agent's draft of this ticket is gone (sent, or emptied): their other tabs still showing
 * text for it save it again (app/components/ticket/use-draft-autosave.ts), under `generation`,
 * the draft's generation now (a send advanced it).
 */
export function draftCleared(
  member: Pick<Member, 'workspaceId' | 'userId'>,
  ticket: { id: string; number: number },
  generation: number,
  at = new Date(),
): TicketEvent {
  return {
    type: 'draft.cleared',
    workspaceId: member.workspaceId,
    userId: member.userId,
    ticketId: ticket.id,
    number: ticket.number,
    generation,
    at: at.toISOString(),
  }
}

/**
 * Saves the agent's composer text for the ticket (as they type, and when they leave the page).
 * Empty text deletes the draft, or empties it when a send advanced its generation (removed later
 * by deleteEmptyDrafts), and returns its `draft.cleared` event to publish. `translation`: the
 * composer shows the text as an AI translation, of this original into this language (null: it
 * shows none, the agent restored or replaced it, and the stored one goes). `cc` (null: the
 * ticket's list), `bcc` and `status` are what the composer's fields show, stored with the text
 * (an agent's removal of a CC stays removed on a reload or another device). `generation` is
 * the draft generation the composer was given: a save from before a send (an autosave already on
 * the wire when Send was pressed) or an Undo send carries an older one and is `ignored`, so sent
 * text never comes back as a draft. Not audited: a draft is work in progress, not an action.
 */
/** Whether the member's workspace has this ticket: a refused draft save answers 404 for one it has not. */
export async function draftTicketExists(member: Member, number: number) {
  return (await lockTicketForDraft(getDb(), { workspaceId: member.workspaceId, number })) !== undefined
}

export async function saveDraft(
  member: Member,
  number: number,
  values: DraftValues & Partial<DraftFields> & { generation: number; translation?: DraftTranslation | null },
) {
  return getDb().transaction(async (tx) => {
    // The agent's membership first (removeMember's order: memberships, then tickets): a removal
    // under way waits for this save and then deletes the draft with the member's others, and one
    // that committed first leaves nobody to save for (the route's requireMember read before it).
    if (!(await lockMembershipOf(tx, member))) return { kind: 'not-found' as const }
    const ticketId = await lockTicketForDraft(tx, { workspaceId: member.workspaceId, number })
    if (!ticketId) return { kind: 'not-found' as const }
    const key = { workspaceId: member.workspaceId, ticketId, userId: member.userId }
    const body = values.body.trim() === '' ? '' : values.body
    const written = await upsertDraft(tx, { ...key, ...values, body })
    // The server's generation goes back with it: the composer saves what it shows under it,
    // unless that is a send's text (the composer knows; see use-draft-autosave.ts).
    if (!written) {
      return { kind: 'ignored' as const, generation: await draftGenerationOf(tx, key), events: [] }
    }
    const events = body === '' ? [draftCleared(member, { id: ticketId, number }, values.generation)] : []
    return { kind: 'saved' as const, events }
  })
}

/**
 * The ticket's drafts for its page, from the page's statement (db/queries/ticket-page.ts): the
 * agent's own (restored into the composer, from any device) and the teammates' (shown as "<name>
 * has a draft", readable on click); and the agent's replies still in their undo window (the
 * page's Undo buttons).
 */
export function ticketDraftsFrom(member: Member, state: ReturnType<typeof composerStateFrom>) {
  const { drafts, held, draftGeneration } = state
  const mine = drafts.find((r) => r.userId === member.userId)
  return {
    mine: mine
      ? {
          body: mine.body,
          kind: mine.kind,
          updatedAt: mine.updatedAt,
          // What an undone reply kept besides its text (null and empty for a typed draft).
          cc: mine.cc,
          bcc: mine.bcc,
          status: mine.status,
          files: mine.files,
          // The text is an AI translation the agent has yet to send: their own words, the language
          // and the model's text (a draft saved before it was kept: its body, the best known).
          translation: mine.translation
            ? { ...mine.translation, text: mine.translation.text ?? mine.body }
            : null,
        }
      : null,
    // A teammate's AI translation says so, with their original: the text alone read as if they
    // had written it in a language the reader may not know.
    others: drafts
      .filter((r) => r.userId !== member.userId)
      .map(({ userId, name, body, kind, updatedAt, translation }) => ({
        userId,
        name,
        body,
        kind,
        updatedAt,
        translation,
      })),
    held,
    /** What the composer's saves carry (saveDraft). */
    generation: draftGeneration,
  }
}

/** The set of these tickets on which the agent has a draft. */
export async function draftMarkers(member: Member, ticketIds: string[]) {
  return new Set(
    await ticketsWithDraft(getDb(), { workspaceId: member.workspaceId, userId: member.userId, ticketIds }),
  )
}

/**
 * Removes the empty draft rows (a sent or emptied draft's generation) older than
 * EMPTY_DRAFT_KEPT_MS, in batches: run by the sessions.cleanup job every 15 minutes.
 */
export async function deleteEmptyDrafts(now = Date.now()) {
  const before = new Date(now - EMPTY_DRAFT_KEPT_MS)
  let deleted = 0
  for (;;) {
    const n = await deleteEmptyDraftRows(getDb(), { before, batch: 1000 })
    deleted += n
    if (n < 1000) return deleted
  }
}
