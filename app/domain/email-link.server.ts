import { createHmac } from 'node:crypto'
import { uuidv7 } from '#db/uuid.ts'
import { env } from '#app/env.server.ts'

/**
 * The private links our emails carry (a customer's link to their ticket, an invitation, a
 * password reset, an address confirmation) are made so that the database alone holds no working
 * one. The link's table stores only the token's hash, as before; the email is stored with
 * `sb-link-<link id>` where the token goes (`emails.link_id` names that id), and the token, an
 * HMAC of the id under the server's secret (SESSION_SECRET), is put in only in the copy handed to
 * SendGrid (and in what the local /dev/emails viewer shows). Checking a link needs no secret (its
 * hash is looked up), so links keep working when the secret changes; only an email still waiting
 * to be sent then gets a token that matches nothing.
 */
export function emailLinkToken(linkId: string) {
  return createHmac('sha256', env().sessionSecret).update(`email-link:${linkId}`).digest('base64url')
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
 * The email's content with the token of its own link in place of that link's placeholder. Only
 * the row's link is filled in: another link's placeholder typed into a reply stays text.
 */
export function withEmailLink(content: string, linkId: string | null) {
  if (linkId === null) return content
  return content.split(emailLinkPlaceholder(linkId)).join(emailLinkToken(linkId))
}
