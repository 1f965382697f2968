import { getDb } from '#db/client.ts'
import { searchPaletteCustomers, searchPaletteTickets } from '#db/queries/palette.ts'
import type { Member } from './workspaces.server.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'
import { ticketNumberIn } from '#app/utils/ticket-number.ts'

/** Longer input is cut here; the palette is for jumping, not for full search. */
export const PALETTE_QUERY_CHARS = 200

/**
 * `kettle bro` → `kettle:* & bro:*` for to_tsquery: only letters and digits of at most six words
 * reach it, so nothing the person types can break the query's syntax.
 */
export function prefixQuery(text: string) {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 6)
  return words.length ? words.map((w) => `${w.slice(0, 50)}:*`).join(' & ') : null
}

/** What the command palette finds for the text: tickets (by number or words) and customers. */
export async function searchPalette(member: Member, text: string) {
  const q = sliceWhole(text, PALETTE_QUERY_CHARS).trim()
  if (!q) return { tickets: [], customers: [] }
  const db = getDb()
  const number = ticketNumberIn(q)
  const [tickets, customers] = await Promise.all([
    searchPaletteTickets(db, {
      workspaceId: member.workspaceId,
      number,
      prefixQuery: prefixQuery(q),
      limit: 8,
    }),
    number === null && q.length >= 2
      ? searchPaletteCustomers(db, { workspaceId: member.workspaceId, text: q, limit: 5 })
      : Promise.resolve([]),
  ])
  return { tickets, customers }
}
