import { and, desc, eq, gt, inArray, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { accountTokens, contacts, customerLinks, invitations, tickets } from '../schema.ts'

/**
 * Which of these token hashes a link our emails carry stores (a customer's link, an invitation,
 * a password-reset or address-confirmation token): the one an email queued under an older
 * SESSION_SECRET was made with. Each table is looked up by its unique hash index.
 */
export async function storedEmailLinkHashes(db: DbOrTx, hashes: string[]) {
  if (hashes.length === 0) return new Set<string>()
  const found = await db
    .select({ hash: customerLinks.tokenHash })
    .from(customerLinks)
    .where(inArray(customerLinks.tokenHash, hashes))
    .unionAll(
      db
        .select({ hash: invitations.tokenHash })
        .from(invitations)
        .where(inArray(invitations.tokenHash, hashes)),
    )
    .unionAll(
      db
        .select({ hash: accountTokens.tokenHash })
        .from(accountTokens)
        .where(inArray(accountTokens.tokenHash, hashes)),
    )
  return new Set(found.map((row) => row.hash))
}

/**
 * The ids of the unexpired customer links of one ticket and of every ticket of the contacts with
 * these (lower-case) addresses, newest first, at most `limit`: the links whose tokens an email
 * filed on that ticket, or from those people, may quote.
 */
export async function liveCustomerLinkIds(
  db: DbOrTx,
  params: { workspaceId: string; ticketId: string | null; addresses: string[]; limit: number },
) {
  const theirTickets = db
    .select({ id: tickets.id })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(
      and(
        eq(contacts.workspaceId, params.workspaceId),
        inArray(sql`lower(${contacts.email})`, params.addresses.length > 0 ? params.addresses : ['']),
      ),
    )
  const rows = await db
    .select({ id: customerLinks.id })
    .from(customerLinks)
    .where(
      and(
        eq(customerLinks.workspaceId, params.workspaceId),
        gt(customerLinks.expiresAt, sql`now()`),
        or(
          params.ticketId ? eq(customerLinks.ticketId, params.ticketId) : undefined,
          inArray(customerLinks.ticketId, theirTickets),
        ),
      ),
    )
    .orderBy(desc(customerLinks.createdAt))
    .limit(params.limit)
  return rows.map((row) => row.id)
}
