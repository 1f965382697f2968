import { createHmac } from 'node:crypto'
import { getDb, type DbOrTx } from '#db/client.ts'
import { liveCustomerLinkIds, storedEmailLinkHashes } from '#db/queries/email-links.ts'
import { uuidv7 } from '#db/uuid.ts'
import { env } from '#app/env.server.ts'
import { hashToken } from './tokens.server.ts'

/**
 * The private links our emails carry (a customer's link to their ticket, an invitation, a
 * password reset, an address confirmation) are made so that the database alone holds no working
 * one. The link's table stores only the token's hash, as before; the email is stored with
 * `sb-link-<link id>` where the token goes (`emails.link_id` names that id), and the token, an
 * HMAC of the id under the server's secret (SESSION_SECRET), is put in only in the copy handed to
 * SendGrid (and in what the local /dev/emails viewer shows). Checking a link needs no secret (its
 * hash is looked up), so links keep working when the secret changes. An email still waiting to
 * be sent when it changes gets its token made under the secret its link was made with, while
 * that one is still listed in SESSION_SECRET (`emailLinkTokenToSend`).
 */
export function emailLinkToken(linkId: string, secret = env().sessionSecret) {
  return createHmac('sha256', secret).update(`email-link:${linkId}`).digest('base64url')
}

/**
 * The token to put into an email for its link: made under the current secret, or, while
 * SESSION_SECRET lists older ones (a rotation), under the one whose token the link's row stores
 * the hash of (the email was queued before the rotation). None stored (the link expired or was
 * revoked): the current secret's, which opens nothing, as the link itself would not.
 */
export async function emailLinkTokenToSend(linkId: string) {
  const secrets = env().sessionSecrets
  const current = emailLinkToken(linkId)
  if (secrets.length === 1) return current
  const tokens = secrets.map((secret) => emailLinkToken(linkId, secret))
  const stored = await storedEmailLinkHashes(getDb(), tokens.map(hashToken))
  return tokens.find((token) => stored.has(hashToken(token))) ?? current
}

/** What a stored email holds where the link's token goes: URL-safe, so no template escapes it. */
export function emailLinkPlaceholder(linkId: string) {
  return `sb-link-${linkId}`
}

/** A new link for one email: its id, its token (for the hash, or to show), and its placeholder. */
export function newEmailLink() {
  const linkId = uuidv7()
  return { linkId, token: emailLinkToken(linkId), placeholder: emailLinkPlaceholder(linkId) }
}

/**
 * The email's content with the token of its own link in place of that link's placeholder: the
 * token it is sent with (`emailLinkTokenToSend`), by default the current secret's. Only the row's
 * link is filled in: another link's placeholder typed into a reply stays text.
 */
export function withEmailLink(content: string, linkId: string | null, token?: string) {
  if (linkId === null) return content
  return content.split(emailLinkPlaceholder(linkId)).join(token ?? emailLinkToken(linkId))
}

/** At most this many of a ticket's and its customer's live links are looked for in an email. */
export const MAX_LINKS_LOOKED_FOR = 2000

/**
 * The tokens of the live customer links an email filed on this ticket, or sent by these
 * addresses, may quote (liveCustomerLinkIds): each made again from its link's id under every
 * secret SESSION_SECRET lists (an HMAC each), so an inbound email can be cleared of them however
 * it writes them (withoutTokens). The newest MAX_LINKS_LOOKED_FOR; the link patterns
 * (withoutPrivateLinks) still catch the rest.
 */
export async function liveCustomerLinkTokens(
  db: DbOrTx,
  params: { workspaceId: string; ticketId: string | null; addresses: string[] },
) {
  const ids = await liveCustomerLinkIds(db, { ...params, limit: MAX_LINKS_LOOKED_FOR })
  const tokens = new Set<string>()
  for (const id of ids) for (const secret of env().sessionSecrets) tokens.add(emailLinkToken(id, secret))
  return tokens
}
