import { inArray } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { accountTokens, customerLinks, invitations } from '../schema.ts'

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
