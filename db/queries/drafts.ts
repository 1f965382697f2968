import { and, eq, inArray, ne, or, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { drafts, tickets } from '../schema.ts'

export type DraftValues = { body: string; kind: 'reply' | 'note' }
/**
 * The reply's other fields as the composer shows them: its CC list (null: the ticket's, which the
 * agent did not change), BCC and "Then set status" choice (null: keep).
 */
export type DraftFields = {
  cc: string[] | null
  bcc: string[]
  status: 'open' | 'pending' | 'resolved' | 'closed' | null
}
/**
 * A draft that is an AI translation the agent has yet to send: their own text, the language and
 * the model's translation as it came (what the draft must still be derived from to keep the mark).
 */
export type DraftTranslation = { language: string; original: string; text: string }
/** As stored: drafts saved before 2026-12-08 have no `text` (their body stands for it). */
export type StoredDraftTranslation = Omit<DraftTranslation, 'text'> & { text?: string }
export type DraftFile = { filename: string; contentType: string; size: number; sha256: string }
/** A reply taken back by Undo send: everything the composer had, files by content address. */
export type RestoredDraft = DraftValues &
  DraftFields & {
    files: DraftFile[]
    /** An AI translation the agent had reviewed and sent: their original and the language. */
    translation: DraftTranslation | null
  }

/**
 * The ticket's id by number, its row share-locked for the draft's write: a reply holds the
 * ticket's row lock while it empties the draft, so a save waits for it (and then finds the new
 * generation) instead of the two locking each other's rows in opposite orders (a deadlock).
 */
export async function lockTicketForDraft(
  db: DbOrTx,
  { workspaceId, number }: { workspaceId: string; number: number },
) {
  const [row] = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.number, number)))
    .for('key share')
  return row?.id
}

/**
 * Which text a composer's save was typed over: `seen`, the draft revision it last saw (its page's,
 * or its own last save's answer; 'none': no draft), and `writer`, its page's random id. Absent
 * (a page from before revisions, during a deploy): the save is not checked, as before.
 */
export type DraftBase = { seen?: string; writer?: string }

/**
 * The row a save may write over: of the save's generation, and, for a save that says what it saw,
 * the revision it saw, one its own page wrote last (its saves on the wire one after another), or
 * an empty one (sent or emptied: no text to lose).
 */
function writable(generation: number, { seen, writer }: DraftBase) {
  const ofGeneration = eq(drafts.generation, generation)
  if (seen === undefined) return ofGeneration
  return and(
    ofGeneration,
    or(
      eq(drafts.body, ''),
      seen === 'none' ? undefined : eq(drafts.revision, seen),
      writer === undefined ? undefined : eq(drafts.writer, writer),
    ),
  )
}

/** What a draft save did: written (its new revision; null: no row left), or not, and why. */
export type DraftWrite =
  | { written: true; revision: string | null }
  | { written: false; reason: 'older' | 'stale'; generation: number; revision: string | null }

/**
 * One draft per ticket and agent: the newest text, with the CC, BCC and status choice the
 * composer shows, replaces the stored one, if the save carries the draft's current generation
 * (its composer loaded it, or was told of it by `draft.cleared`) and, when it says what it saw,
 * the stored text is what it saw (writable). Not written: `older` (a save from before a send or an
 * Undo send), or `stale` (another tab or device saved other text since this composer last saw
 * the draft: it is kept, and the composer asks). Empty text is no draft: never inserted, and a
 * row emptied (emptyDraft) rather than written empty.
 */
export async function upsertDraft(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    userId,
    body,
    kind,
    generation,
    translation = null,
    cc = null,
    bcc = [],
    status = null,
    seen,
    writer,
  }: {
    workspaceId: string
    ticketId: string
    userId: string
    generation: number
    /** The composer shows the text as an AI translation: its original and language (else null). */
    translation?: DraftTranslation | null
  } & DraftValues &
    Partial<DraftFields> &
    DraftBase,
): Promise<DraftWrite> {
  const key = { workspaceId, ticketId, userId }
  const base = { seen, writer }
  if (body === '') return emptyDraft(db, { ...key, kind, generation, base })
  const updatedAt = new Date()
  const fields = {
    body,
    kind,
    updatedAt,
    translation,
    cc,
    bcc,
    status,
    revision: sql`gen_random_uuid()`,
    writer: writer ?? null,
  }
  // One statement: the check and the write cannot be split by another tab's save.
  const rows = await db
    .insert(drafts)
    .values({ ...key, generation, ...fields })
    .onConflictDoUpdate({
      target: [drafts.ticketId, drafts.userId],
      // An undone reply's files stay (ticked to go with the next send) until the text is emptied.
      set: fields,
      setWhere: writable(generation, base),
    })
    .returning({ revision: drafts.revision })
  if (rows[0]) return { written: true, revision: rows[0].revision }
  return notWritten(db, key, generation)
}

/** Why a save wrote nothing: the stored draft's generation and revision, to save over it knowingly. */
async function notWritten(db: DbOrTx, key: DraftKey, generation: number): Promise<DraftWrite> {
  const [row] = await db
    .select({ generation: drafts.generation, revision: drafts.revision })
    .from(drafts)
    .where(isDraft(key))
  if (!row) return { written: true, revision: null }
  return {
    written: false,
    reason: row.generation === generation ? 'stale' : 'older',
    generation: row.generation,
    revision: row.revision,
  }
}

/**
 * The agent emptied their text. A draft of generation 0 (no send or Undo on the ticket advanced
 * it) is deleted: nothing is left. One whose generation a send or an Undo advanced is emptied
 * (with what an undone reply kept) and kept as an empty row, so a save from before that send still
 * on the wire finds the newer generation and is refused; deleteEmptyDrafts removes it once no
 * such save can be left (EMPTY_DRAFT_KEPT_MS). Not written when the draft has another generation,
 * or other text than the composer saw (writable).
 */
async function emptyDraft(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    userId,
    kind,
    generation,
    base,
  }: {
    workspaceId: string
    ticketId: string
    userId: string
    kind: DraftValues['kind']
    generation: number
    base: DraftBase
  },
): Promise<DraftWrite> {
  const key = { workspaceId, ticketId, userId }
  const ofGeneration = and(isDraft(key), writable(generation, base))
  if (generation === 0) {
    if ((await db.delete(drafts).where(ofGeneration).returning({ id: drafts.id })).length > 0) {
      return { written: true, revision: null }
    }
  } else {
    const emptied = await db
      .update(drafts)
      .set({
        body: '',
        kind,
        updatedAt: new Date(),
        cc: null,
        bcc: [],
        status: null,
        files: [],
        translation: null,
        revision: sql`gen_random_uuid()`,
        writer: base.writer ?? null,
      })
      .where(ofGeneration)
      .returning({ revision: drafts.revision })
    if (emptied[0]) return { written: true, revision: emptied[0].revision }
  }
  // No draft at all: nothing to empty. Otherwise this save is older, or stale.
  return notWritten(db, key, generation)
}

/**
 * How long an empty draft row is kept for its generation: past any save that left a composer
 * before the send that emptied it (a request on the wire, a page's save as it unloads).
 */
export const EMPTY_DRAFT_KEPT_MS = 60 * 60 * 1000

/**
 * Deletes empty draft rows (sent or emptied, keeping only a generation) not touched for
 * EMPTY_DRAFT_KEPT_MS, `batch` at a time; returns how many went. A save that comes after,
 * carrying that generation, writes a new row as on a ticket never drafted.
 */
export async function deleteEmptyDrafts(db: DbOrTx, { before, batch }: { before: Date; batch: number }) {
  const result = await db.execute(sql`
    delete from drafts where id in (
      select id from drafts
      where body = '' and files = '[]'::jsonb and updated_at < ${before}
      limit ${batch})`)
  return result.rowCount ?? 0
}

/** Deletes a former member's drafts in the workspace (their text, and an undone reply's files). */
export async function deleteMemberDrafts(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  await db.delete(drafts).where(and(eq(drafts.workspaceId, workspaceId), eq(drafts.userId, userId)))
}

/** The undone reply as the agent's draft, replacing whatever draft they had on the ticket. */
export async function restoreDraft(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    userId,
    ...values
  }: { workspaceId: string; ticketId: string; userId: string } & RestoredDraft,
) {
  const updatedAt = new Date()
  // A new generation: the restore wins over any save still on the wire from before it.
  await db
    .insert(drafts)
    .values({ workspaceId, ticketId, userId, ...values, generation: 1, updatedAt })
    .onConflictDoUpdate({
      target: [drafts.ticketId, drafts.userId],
      set: {
        ...values,
        generation: sql`${drafts.generation} + 1`,
        updatedAt,
        revision: sql`gen_random_uuid()`,
        writer: null,
      },
    })
}

type DraftKey = { workspaceId: string; ticketId: string; userId: string }

/**
 * The agent's draft of the ticket as an AI translation of their text (a reply): it replaces the
 * draft's text and keeps the original beside it. With `generation` (the composer's), only a draft
 * of that generation is replaced; false when none was written.
 */
export async function saveTranslatedDraft(
  db: DbOrTx,
  { generation, ...values }: DraftKey & { body: string; translation: DraftTranslation; generation?: number },
) {
  const updatedAt = new Date()
  const rows = await db
    .insert(drafts)
    .values({ ...values, kind: 'reply', generation: generation ?? 0, updatedAt })
    .onConflictDoUpdate({
      target: [drafts.ticketId, drafts.userId],
      set: {
        body: values.body,
        kind: 'reply',
        translation: values.translation,
        updatedAt,
        // Other text than any open composer saw (a page without JavaScript saved it).
        revision: sql`gen_random_uuid()`,
        writer: null,
      },
      setWhere: generation === undefined ? undefined : eq(drafts.generation, generation),
    })
    .returning({ id: drafts.id })
  return rows.length > 0
}

/** The agent's draft text of the ticket and, when it is an AI translation, its original. */
export async function draftTranslationOf(db: DbOrTx, key: DraftKey) {
  const [row] = await db
    .select({ body: drafts.body, translation: drafts.translation })
    .from(drafts)
    .where(isDraft(key))
  return row
}

/** The one draft of this agent on this ticket, within the workspace. */
function isDraft(key: DraftKey) {
  return and(
    eq(drafts.workspaceId, key.workspaceId),
    eq(drafts.ticketId, key.ticketId),
    eq(drafts.userId, key.userId),
  )
}

/** The files kept on the agent's draft of the ticket (from an undone reply), none without one. */
export async function draftFiles(db: DbOrTx, key: DraftKey): Promise<DraftFile[]> {
  const [row] = await db.select({ files: drafts.files }).from(drafts).where(isDraft(key))
  return row?.files ?? []
}

/** The composer columns of the ticket page's statement as PostgreSQL returns them. */
export type ComposerStateRow = {
  drafts: Array<
    { userId: string; name: string; updatedAt: string } & Omit<RestoredDraft, 'files'> & {
        files: Array<Omit<DraftFile, 'contentType'>>
        translation: StoredDraftTranslation | null
      }
  >
  held: Array<{ messageId: string; heldUntil: string }>
  draftGeneration: number
  draftRevision: string | null
}

/**
 * The ticket page's composer state, as columns of the page's statement (db/queries/ticket-page.ts):
 * the ticket's non-empty drafts with their authors' names (and what an undone reply kept: CC, BCC,
 * status choice, files; and an AI translation's original), newest first, and `userId`'s replies on
 * it still in their undo window.
 */
export function composerStateColumns({
  workspaceId,
  ticketId,
  userId,
}: {
  workspaceId: string
  ticketId: SQL
  userId: string
}) {
  return sql`
      (select coalesce(json_agg(json_build_object(
          'userId', d.user_id, 'name', u.name, 'body', d.body, 'kind', d.kind, 'updatedAt', d.updated_at,
          'cc', d.cc, 'bcc', d.bcc, 'status', d.status, 'translation', d.translation,
          'files', (select coalesce(json_agg(json_build_object('filename', f->>'filename',
              'size', (f->>'size')::bigint, 'sha256', f->>'sha256')), '[]'::json)
            from jsonb_array_elements(d.files) f))
          order by d.updated_at desc), '[]'::json)
        from drafts d join users u on u.id = d.user_id
          -- Members only: a removed member's drafts are deleted with the membership (removeMember).
          join memberships ms on ms.workspace_id = d.workspace_id and ms.user_id = d.user_id
        where d.workspace_id = ${workspaceId} and d.ticket_id = ${ticketId} and d.body <> '') as drafts,
      (select coalesce(json_agg(json_build_object('messageId', m.id, 'heldUntil', m.held_until)), '[]'::json)
        from messages m
        where m.workspace_id = ${workspaceId} and m.ticket_id = ${ticketId}
          -- Replies: a translated reply's note, held with it, is undone with it.
          and m.author_user_id = ${userId} and m.kind = 'reply' and m.held_until > now()) as held,
      coalesce((select d.generation from drafts d
        where d.workspace_id = ${workspaceId} and d.ticket_id = ${ticketId} and d.user_id = ${userId}), 0)
        as "draftGeneration",
      (select d.revision from drafts d
        where d.workspace_id = ${workspaceId} and d.ticket_id = ${ticketId} and d.user_id = ${userId})
        as "draftRevision"`
}

export function composerStateFrom(row: ComposerStateRow) {
  return {
    drafts: row.drafts.map((d) => ({ ...d, updatedAt: new Date(d.updatedAt) })),
    held: row.held.map((h) => ({ messageId: h.messageId, heldUntil: new Date(h.heldUntil) })),
    draftGeneration: row.draftGeneration,
    draftRevision: row.draftRevision,
  }
}

/**
 * The agent's draft of the ticket as the composer loads it ("Load it", after another tab or
 * device saved over what it showed): the text and fields, the generation and the revision.
 */
export async function ownDraft(db: DbOrTx, key: DraftKey) {
  const [row] = await db
    .select({
      body: drafts.body,
      kind: drafts.kind,
      cc: drafts.cc,
      bcc: drafts.bcc,
      status: drafts.status,
      translation: drafts.translation,
      generation: drafts.generation,
      revision: drafts.revision,
    })
    .from(drafts)
    .where(isDraft(key))
  return row
}

/** Which of these tickets the agent has a draft on (the queue's markers). */
export async function ticketsWithDraft(
  db: DbOrTx,
  { workspaceId, userId, ticketIds }: { workspaceId: string; userId: string; ticketIds: string[] },
) {
  if (ticketIds.length === 0) return []
  const rows = await db
    .select({ ticketId: drafts.ticketId })
    .from(drafts)
    .where(
      and(
        eq(drafts.workspaceId, workspaceId),
        eq(drafts.userId, userId),
        inArray(drafts.ticketId, ticketIds),
        ne(drafts.body, ''),
      ),
    )
  return rows.map((r) => r.ticketId)
}
