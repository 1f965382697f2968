import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'

/**
 * Similar tickets by PostgreSQL full-text search, no model: the distinctive words of a ticket's
 * subject and first message, OR-ed, matched against `tickets.search` (GIN index) among the
 * workspace's resolved and closed tickets, ranked with ts_rank.
 */

/**
 * How many of the most recently active matches are ranked (bounded work on common words). The
 * planner walks the activity index and checks each row's tsvector, so the cost is linear in this
 * (1M-ticket seed: 200 → p50 51.7 / p95 120.9 ms, 100 → 25.5 / 57.3 ms for the match alone).
 */
export const SIMILAR_CANDIDATES = 100
/** Lexemes in more than this share of tickets say little about a ticket; they are left out. */
const COMMON_SHARE = 0.05
const MAX_TERMS = 10

/** The lexemes of a ticket's subject and first message (first 4,000 characters). */
export async function ticketLexemes(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const result = await db.execute<{ lexeme: string }>(sql`
    select distinct l as lexeme
    from tickets t
    cross join lateral (
      select left(m.body_text, 4000) as body from messages m
      where m.ticket_id = t.id and m.held_until is null and not m.not_from_participant
      order by m.created_at, m.id limit 1
    ) first
    cross join lateral unnest(tsvector_to_array(
      to_tsvector('english', t.subject || ' ' || coalesce(first.body, ''))
    )) l
    where t.workspace_id = ${workspaceId} and t.id = ${ticketId}
      and char_length(l) between 3 and 40 and l !~ '^[0-9]+$'`)
  return result.rows.map((r) => r.lexeme)
}

/**
 * The share of tickets each common lexeme appears in, from the planner's statistics on
 * tickets.search (migration 0006 keeps up to 1,000 of them). Lexemes not listed are rarer.
 */
export async function commonLexemeShares(db: DbOrTx) {
  const result = await db.execute<{ elems: string[] | null; freqs: number[] | null }>(sql`
    select most_common_elems::text::text[] as elems, most_common_elem_freqs::float8[] as freqs
    from pg_stats
    where schemaname = current_schema() and tablename = 'tickets' and attname = 'search'`)
  const row = result.rows[0]
  const shares = new Map<string, number>()
  if (row?.elems && row.freqs) row.elems.forEach((lexeme, i) => shares.set(lexeme, row.freqs![i] ?? 0))
  return shares
}

/** The most distinctive lexemes: rare ones first; if every word is common, the least common few. */
export function pickTerms(lexemes: string[], shares: Map<string, number>) {
  const ranked = lexemes
    .map((lexeme) => ({ lexeme, share: shares.get(lexeme) ?? 0 }))
    .sort((a, b) => a.share - b.share || a.lexeme.localeCompare(b.lexeme))
  const distinctive = ranked.filter((t) => t.share <= COMMON_SHARE)
  return (distinctive.length > 0 ? distinctive : ranked.slice(0, 4)).slice(0, MAX_TERMS).map((t) => t.lexeme)
}

/** An OR tsquery of already-normalised lexemes (each quoted, so no operator can sneak in). */
export function orQuery(terms: string[]) {
  return terms.map((t) => `'${t.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`).join(' | ')
}

export type SimilarTicket = { id: string; number: number; subject: string; resolvedAt: Date | null }

/** Up to `limit` resolved or closed tickets of the workspace matching `terms`, best first. */
export async function findSimilarTickets(
  db: DbOrTx,
  input: { workspaceId: string; excludeTicketId: string; terms: string[]; limit: number },
): Promise<SimilarTicket[]> {
  if (input.terms.length === 0) return []
  const query = orQuery(input.terms)
  const result = await db.execute<{
    id: string
    number: number
    subject: string
    resolved_at: string | null
  }>(sql`
    select c.id, c.number, c.subject, c.resolved_at
    from (
      select t.id, t.number, t.subject, t.resolved_at, t.last_activity_at,
             ts_rank(t.search, ${query}::tsquery) as rank
      from tickets t
      where t.workspace_id = ${input.workspaceId}
        and t.status in ('resolved', 'closed')
        and t.id <> ${input.excludeTicketId}
        and t.search @@ ${query}::tsquery
      order by t.last_activity_at desc nulls last, t.id desc nulls last
      limit ${SIMILAR_CANDIDATES}
    ) c
    order by c.rank desc, c.last_activity_at desc
    limit ${input.limit}`)
  return result.rows.map((r) => ({
    id: r.id,
    number: r.number,
    subject: r.subject,
    resolvedAt: r.resolved_at ? new Date(r.resolved_at) : null,
  }))
}

/** The last public agent reply of each ticket (the answer that resolved it), same workspace. */
export async function finalReplies(
  db: DbOrTx,
  { workspaceId, ticketIds }: { workspaceId: string; ticketIds: string[] },
) {
  if (ticketIds.length === 0) return []
  const result = await db.execute<{ ticket_id: string; body_text: string }>(sql`
    select t.id as ticket_id, last.body_text
    from tickets t
    cross join lateral (
      select left(m.body_text, 4000) as body_text from messages m
      where m.ticket_id = t.id and m.kind = 'reply' and m.author_user_id is not null and m.held_until is null
      order by m.created_at desc, m.id desc limit 1
    ) last
    where t.workspace_id = ${workspaceId}
      and t.id in (${sql.join(
        ticketIds.map((id) => sql`${id}`),
        sql`, `,
      )})`)
  return result.rows.map((r) => ({ ticketId: r.ticket_id, bodyText: r.body_text }))
}

/** The workspace's canned responses that best match `terms` (few per workspace: ranked on the fly). */
export async function relevantCannedResponses(
  db: DbOrTx,
  { workspaceId, terms, limit }: { workspaceId: string; terms: string[]; limit: number },
) {
  if (terms.length === 0) return []
  const query = orQuery(terms)
  const result = await db.execute<{ id: string; title: string; body: string }>(sql`
    select c.id, c.title, left(c.body, 4000) as body
    from canned_responses c
    cross join lateral (select to_tsvector('english', c.title || ' ' || c.body) as doc) d
    where c.workspace_id = ${workspaceId} and d.doc @@ ${query}::tsquery
    order by ts_rank(d.doc, ${query}::tsquery) desc, c.title
    limit ${limit}`)
  return result.rows
}
