import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import type { TicketStatus } from '../schema.ts'

/** Escapes LIKE wildcards so user input matches literally. */
function likePattern(q: string) {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * The command palette's tickets: the one with this number, then the most recently active ones
 * whose subject or messages contain every word as a prefix (`kett bro` finds "kettle broken"),
 * through the tickets' full-text index. Within the workspace only.
 */
export async function searchPaletteTickets(
  db: DbOrTx,
  {
    workspaceId,
    number,
    prefixQuery,
    limit,
  }: { workspaceId: string; number: number | null; prefixQuery: string | null; limit: number },
) {
  if (number === null && !prefixQuery) return []
  const byNumber = number === null ? sql`false` : sql`t.number = ${number}`
  const byWords = prefixQuery ? sql`t.search @@ to_tsquery('english', ${prefixQuery})` : sql`false`
  const result = await db.execute<{ number: number; subject: string; status: TicketStatus }>(sql`
    select t.number, t.subject, t.status
    from tickets t
    where t.workspace_id = ${workspaceId} and (${byNumber} or ${byWords})
    order by ${number === null ? sql`` : sql`(t.number = ${number}) desc, `}t.last_activity_at desc nulls last, t.id desc
    limit ${limit}`)
  return result.rows
}

/** Customers whose name or email contains the text, within the workspace. */
export async function searchPaletteCustomers(
  db: DbOrTx,
  { workspaceId, text, limit }: { workspaceId: string; text: string; limit: number },
) {
  const pattern = likePattern(text)
  const result = await db.execute<{ id: string; name: string; email: string }>(sql`
    select c.id, c.name, c.email
    from contacts c
    where c.workspace_id = ${workspaceId} and (c.name ilike ${pattern} or c.email ilike ${pattern})
    order by lower(c.name), lower(c.email)
    limit ${limit}`)
  return result.rows
}
