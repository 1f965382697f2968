import { getDb } from '#db/client.ts'
import {
  type composerStateFrom,
  deleteEmptyDrafts as deleteEmptyDraftRows,
  EMPTY_DRAFT_KEPT_MS,
  lockTicketForDraft,
  ownDraft,
  ticketsWithDraft,
  upsertDraft,
  type DraftBase,
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
 * The agent's draft of this ticket was saved with text, by the page `writer` (null: no page's
 * autosave), as `revision`: their other tabs and devices on the ticket learn at once that what
 * they show is no longer the draft (app/components/ticket/use-draft-autosave.ts). Ids only, never
 * the text; to the agent's user room only.
 */
export function draftSaved(
  member: Pick<Member, 'workspaceId' | 'userId'>,
  ticket: { id: string; number: number },
  { generation, revision, writer }: { generation: number; revision: string; writer: string | null },
  at = new Date(),
): TicketEvent {
  return {
    type: 'draft.saved',
    workspaceId: member.workspaceId,
    userId: member.userId,
    ticketId: ticket.id,
    number: ticket.number,
    generation,
    revision,
    writer,
    at: at.toISOString(),
  }
}

/** Whether the member's workspace has this ticket: a refused draft save answers 404 for one it has not. */
export async function draftTicketExists(member: Member, number: number) {
  return (await lockTicketForDraft(getDb(), { workspaceId: member.workspaceId, number })) !== undefined
}

/**
 * Saves the agent's composer text for the ticket (as they type, and when they leave the page).
 * Empty text deletes the draft, or empties it when a send advanced its generation (removed later
 * by deleteEmptyDrafts), and returns its `draft.cleared` event to publish; text returns
 * `draft.saved`. `translation`: the composer shows the text as an AI translation, of this original
 * into this language (null: it shows none, the agent restored or replaced it, and the stored one
 * goes). `cc` (null: the ticket's list), `bcc` and `status` are what the composer's fields show,
 * stored with the text (an agent's removal of a CC stays removed on a reload or another device).
 * `generation` is the draft generation the composer was given: a save from before a send (an
 * autosave already on the wire when Send was pressed) or an Undo send carries an older one and
 * is `ignored`, so sent text never comes back as a draft. `seen` and `writer` (DraftBase): the
 * draft revision the composer last saw and its page's id; a save over text another tab or device
 * saved since is `stale` and writes nothing (the composer offers "Load it" or "Keep mine", which
 * saves again with the revision this answer names). Not audited: a draft is work in progress.
 */
export async function saveDraft(
  member: Member,
  number: number,
  values: DraftValues &
    Partial<DraftFields> &
    DraftBase & { generation: number; translation?: DraftTranslation | null },
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
    const write = await upsertDraft(tx, { ...key, ...values, body })
    // The server's generation and revision go back with it: the composer saves what it shows
    // under them (an older save's, unless that is a send's text; see use-draft-autosave.ts), or
    // asks the agent first (a stale one's).
    if (!write.written) {
      const { reason, generation, revision } = write
      return {
        kind: reason === 'older' ? ('ignored' as const) : ('stale' as const),
        generation,
        revision,
        events: [],
      }
    }
    const ticket = { id: ticketId, number }
    const events =
      body === ''
        ? [draftCleared(member, ticket, values.generation)]
        : write.revision === null
          ? []
          : [
              draftSaved(member, ticket, {
                generation: values.generation,
                revision: write.revision,
                writer: values.writer ?? null,
              }),
            ]
    return { kind: 'saved' as const, revision: write.revision, events }
  })
}

/** The agent's own draft of the ticket, for the composer's "Load it"; null: the ticket is not there. */
export async function loadOwnDraft(member: Member, number: number) {
  const ticketId = await lockTicketForDraft(getDb(), { workspaceId: member.workspaceId, number })
  if (!ticketId) return null
  const row = await ownDraft(getDb(), { workspaceId: member.workspaceId, ticketId, userId: member.userId })
  return {
    draft:
      row && row.body !== ''
        ? {
            body: row.body,
            kind: row.kind,
            cc: row.cc,
            bcc: row.bcc,
            status: row.status,
            translation: row.translation
              ? { ...row.translation, text: row.translation.text ?? row.body }
              : null,
          }
        : null,
    generation: row?.generation ?? 0,
    revision: row?.revision ?? null,
  }
}

/**
 * The ticket's drafts for its page, from the page's statement (db/queries/ticket-page.ts): the
 * agent's own (restored into the composer, from any device) and the teammates' (shown as "<name>
 * has a draft", readable on click); and the agent's replies still in their undo window (the
 * page's Undo buttons).
 */
export function ticketDraftsFrom(member: Member, state: ReturnType<typeof composerStateFrom>) {
  const { drafts, held, draftGeneration, draftRevision } = state
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
    /** The revision of the agent's draft the page shows (null: none); its saves carry it. */
    revision: draftRevision,
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
