import { getDb } from '#db/client.ts'
import {
  commonLexemeShares,
  findSimilarTickets,
  pickTerms,
  ticketLexemes,
  type SimilarTicket,
} from '#db/queries/similar-tickets.ts'

export const SIMILAR_TICKETS_SHOWN = 5

/**
 * The planner's word statistics change only with ANALYZE: read them at most once a minute per
 * process rather than on every ticket page.
 */
const SHARES_TTL_MS = 60_000
const cache = globalThis as unknown as {
  __switchboardLexemeShares?: { at: number; shares: Promise<Map<string, number>> }
}

function lexemeShares() {
  const cached = cache.__switchboardLexemeShares
  if (cached && Date.now() - cached.at < SHARES_TTL_MS) return cached.shares
  const shares = commonLexemeShares(getDb()).catch(() => new Map<string, number>())
  cache.__switchboardLexemeShares = { at: Date.now(), shares }
  return shares
}

/** The distinctive words of a ticket (subject + first message), for similar tickets and canned ranking. */
export async function ticketTerms(workspaceId: string, ticketId: string) {
  const [lexemes, shares] = await Promise.all([
    ticketLexemes(getDb(), { workspaceId, ticketId }),
    lexemeShares(),
  ])
  return pickTerms(lexemes, shares)
}

/** Up to 5 resolved or closed tickets of the same workspace that look like this one. */
export async function listSimilarTickets(
  workspaceId: string,
  ticketId: string,
  terms?: string[],
): Promise<SimilarTicket[]> {
  return findSimilarTickets(getDb(), {
    workspaceId,
    excludeTicketId: ticketId,
    terms: terms ?? (await ticketTerms(workspaceId, ticketId)),
    limit: SIMILAR_TICKETS_SHOWN,
  })
}
