import { createHmac } from 'node:crypto'
import { env } from '#app/env.server.ts'

/**
 * A customer link's token is made from its id with the server's secret (SESSION_SECRET), so the
 * database alone holds no working link: `customer_links` stores the token's hash, and an email
 * is stored with `customerLinkPlaceholder(id)` where the link's token goes, the token put in only
 * in the copy handed to SendGrid (`withCustomerLink`). Checking a link needs no secret (its hash
 * is looked up), so links keep working when the secret changes; only an email still waiting to be
 * sent then gets a token that matches nothing.
 */
export function customerLinkToken(linkId: string) {
  return createHmac('sha256', env().sessionSecret).update(`customer-link:${linkId}`).digest('base64url')
}

/** What a stored email holds where the link's token goes: URL-safe, so no template escapes it. */
export function customerLinkPlaceholder(linkId: string) {
  return `sb-link-${linkId}`
}

/**
 * The email's text with the token of its own customer link in place of that link's placeholder.
 * Only the row's link is filled in: a placeholder of another link typed into a reply stays text.
 */
export function withCustomerLink(content: string, linkId: string | null) {
  if (linkId === null) return content
  return content.split(customerLinkPlaceholder(linkId)).join(customerLinkToken(linkId))
}
