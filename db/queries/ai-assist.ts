import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { messageTranslations, messages, tags, ticketSummaries, ticketTriage, tickets } from '../schema.ts'

/** Queries of the AI triage, summaries and translations (app/ai/triage|summarize|translate). */

/** What the triage job reads: the ticket, its first message and the workspace's tags. */
export async function getTriageSubject(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [ticket] = await db
    .select({
      id: tickets.id,
      number: tickets.number,
      subject: tickets.subject,
      priority: tickets.priority,
      workspaceId: tickets.workspaceId,
    })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, ticketId)))
  if (!ticket) return undefined
  const [first] = await db
    .select({ bodyText: messages.bodyText })
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId)))
    .orderBy(asc(messages.createdAt), asc(messages.id))
    .limit(1)
  const workspaceTags = await db
    .select({ id: tags.id, name: tags.name })
    .from(tags)
    .where(eq(tags.workspaceId, workspaceId))
    .orderBy(asc(tags.name))
  return { ticket, firstMessage: first?.bodyText ?? '', workspaceTags }
}

export type TriageRow = typeof ticketTriage.$inferInsert

export async function upsertTriage(db: DbOrTx, row: TriageRow) {
  await db
    .insert(ticketTriage)
    .values(row)
    .onConflictDoUpdate({
      target: ticketTriage.ticketId,
      set: {
        priority: row.priority,
        tagIds: row.tagIds,
        language: row.language,
        sentiment: row.sentiment,
        gist: row.gist,
        appliedAt: row.appliedAt ?? null,
        skipped: row.skipped ?? null,
      },
    })
}

export async function markTriageApplied(
  db: DbOrTx,
  { workspaceId, ticketId, at }: { workspaceId: string; ticketId: string; at: Date },
) {
  await db
    .update(ticketTriage)
    .set({ appliedAt: at })
    .where(and(eq(ticketTriage.workspaceId, workspaceId), eq(ticketTriage.ticketId, ticketId)))
}

/** The ticket's triage with its suggested tags' names (tags deleted since are left out). */
export async function getTriage(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [row] = await db
    .select()
    .from(ticketTriage)
    .where(and(eq(ticketTriage.workspaceId, workspaceId), eq(ticketTriage.ticketId, ticketId)))
  if (!row) return undefined
  const suggestedTags =
    row.tagIds.length === 0
      ? []
      : await db
          .select({ id: tags.id, name: tags.name })
          .from(tags)
          .where(and(eq(tags.workspaceId, workspaceId), inArray(tags.id, row.tagIds)))
          .orderBy(asc(tags.name))
  return { ...row, suggestedTags }
}

// ---------------------------------------------------------------------------------------------
// Summaries

/** When the ticket's summary was last stored; undefined without one. */
export async function getSummaryUpdatedAt(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [row] = await db
    .select({ updatedAt: ticketSummaries.updatedAt })
    .from(ticketSummaries)
    .where(and(eq(ticketSummaries.workspaceId, workspaceId), eq(ticketSummaries.ticketId, ticketId)))
  return row?.updatedAt
}

export async function upsertSummary(db: DbOrTx, row: typeof ticketSummaries.$inferInsert) {
  await db
    .insert(ticketSummaries)
    .values(row)
    .onConflictDoUpdate({
      target: ticketSummaries.ticketId,
      set: {
        bullets: row.bullets,
        messageCount: row.messageCount,
        lastMessageId: row.lastMessageId,
        updatedAt: row.updatedAt,
      },
    })
}

// ---------------------------------------------------------------------------------------------
// Translations

/** A message of the ticket (workspace-scoped), with whether a customer wrote it. */
export async function getTicketMessage(
  db: DbOrTx,
  { workspaceId, ticketId, messageId }: { workspaceId: string; ticketId: string; messageId: string },
) {
  const [row] = await db
    .select({
      id: messages.id,
      bodyText: messages.bodyText,
      kind: messages.kind,
      authorUserId: messages.authorUserId,
    })
    .from(messages)
    .where(
      and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId), eq(messages.id, messageId)),
    )
  return row
}

export async function getTranslation(
  db: DbOrTx,
  { workspaceId, messageId, language }: { workspaceId: string; messageId: string; language: string },
) {
  const [row] = await db
    .select({ text: messageTranslations.text })
    .from(messageTranslations)
    .where(
      and(
        eq(messageTranslations.workspaceId, workspaceId),
        eq(messageTranslations.messageId, messageId),
        eq(messageTranslations.language, language),
      ),
    )
  return row
}

export async function insertTranslation(db: DbOrTx, row: typeof messageTranslations.$inferInsert) {
  await db.insert(messageTranslations).values(row).onConflictDoNothing()
}

/** The cached translations of a ticket's messages into `language`. */
export async function listTicketTranslations(
  db: DbOrTx,
  { workspaceId, ticketId, language }: { workspaceId: string; ticketId: string; language: string },
) {
  return db
    .select({ messageId: messageTranslations.messageId, text: messageTranslations.text })
    .from(messageTranslations)
    .innerJoin(messages, eq(messages.id, messageTranslations.messageId))
    .where(
      and(
        eq(messageTranslations.workspaceId, workspaceId),
        eq(messages.ticketId, ticketId),
        eq(messageTranslations.language, language),
      ),
    )
}

// ---------------------------------------------------------------------------------------------
// The ticket page

export type TicketAiState = {
  /** The workspace's stored `settings.ai` JSON (null when never saved). */
  settings: unknown
  triage: {
    priority: NonNullable<TriageRow['priority']> | null
    language: string | null
    sentiment: NonNullable<TriageRow['sentiment']> | null
    gist: string
    appliedAt: Date | null
    skipped: NonNullable<TriageRow['skipped']> | null
    suggestedTags: Array<{ id: string; name: string }>
  } | null
  summary: { bullets: unknown; messageCount: number; lastMessageId: string | null; updatedAt: Date } | null
  translations: Array<{ messageId: string; text: string }>
}

/** The AI columns of the ticket page's statement as PostgreSQL returns them (dates as JSON text). */
export type TicketAiStateRow = {
  settings: unknown
  triage: (Omit<NonNullable<TicketAiState['triage']>, 'appliedAt'> & { appliedAt: string | null }) | null
  summary: (Omit<NonNullable<TicketAiState['summary']>, 'updatedAt'> & { updatedAt: string }) | null
  translations: TicketAiState['translations']
}

/**
 * Everything AI the ticket page shows, as columns of the page's statement (db/queries/ticket-page.ts):
 * the workspace's AI settings, the ticket's triage (its suggested tags' names; tags deleted since
 * are left out), its cached summary and the cached translations of its messages into `language`.
 * Each part filtered by the workspace.
 */
export function ticketAiStateColumns({
  workspaceId,
  ticketId,
  language,
}: {
  workspaceId: string
  ticketId: SQL
  language: string
}) {
  return sql`
      (select w.settings -> 'ai' from workspaces w where w.id = ${workspaceId}) as settings,
      (select json_build_object(
          'priority', tr.priority, 'language', tr.language, 'sentiment', tr.sentiment,
          'gist', tr.gist, 'appliedAt', tr.applied_at, 'skipped', tr.skipped,
          'suggestedTags', (
            select coalesce(json_agg(json_build_object('id', tg.id, 'name', tg.name) order by tg.name), '[]'::json)
            from tags tg where tg.workspace_id = tr.workspace_id and tg.id = any(tr.tag_ids)))
        from ticket_triage tr where tr.workspace_id = ${workspaceId} and tr.ticket_id = ${ticketId}) as triage,
      (select json_build_object(
          'bullets', s.bullets, 'messageCount', s.message_count,
          'lastMessageId', s.last_message_id, 'updatedAt', s.updated_at)
        from ticket_summaries s where s.workspace_id = ${workspaceId} and s.ticket_id = ${ticketId}) as summary,
      (select coalesce(json_agg(json_build_object('messageId', mt.message_id, 'text', mt.text)), '[]'::json)
        from message_translations mt join messages m on m.id = mt.message_id
        where mt.workspace_id = ${workspaceId} and m.ticket_id = ${ticketId}
          and mt.language = ${language}) as translations`
}

export function ticketAiStateFrom(row: TicketAiStateRow): TicketAiState {
  return {
    settings: row.settings ?? null,
    triage: row.triage && {
      ...row.triage,
      appliedAt: row.triage.appliedAt ? new Date(row.triage.appliedAt) : null,
    },
    summary: row.summary && { ...row.summary, updatedAt: new Date(row.summary.updatedAt) },
    translations: row.translations,
  }
}
