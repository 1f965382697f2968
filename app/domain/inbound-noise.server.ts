import { env } from '#app/env.server.ts'
import type { InboundMessage } from './inbound-parse.server.ts'

/**
 * Why an inbound email must never get an automatic answer (RFC 3834 section 2 and the headers
 * mail software uses in practice), or undefined when an auto-acknowledgement is allowed.
 * `ourAddresses` are the mailboxes' public addresses: mail from ourselves would loop.
 */
export function noAutoReplyReason(email: InboundMessage, ourAddresses: string[]) {
  const header = (name: string) =>
    email.headers
      .find((h) => h.key === name)
      ?.value.trim()
      .toLowerCase()
  const autoSubmitted = header('auto-submitted')
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto-submitted'
  if (/^(bulk|junk|list)$/.test(header('precedence') ?? '')) return 'precedence'
  if (header('list-id') !== undefined || header('list-unsubscribe') !== undefined) return 'mailing-list'
  if (header('x-autoreply') !== undefined || header('x-autorespond') !== undefined) return 'auto-reply'
  if (
    /^(all|oof|autoreply)/.test(header('x-auto-response-suppress') ?? '') &&
    header('x-autoreply') === undefined
  ) {
    // Outlook's own automatic messages carry this; people's messages normally do not.
    return 'auto-response-suppress'
  }
  // An empty reverse-path (MAIL FROM:<>) is how bounces and other notifications arrive.
  if (email.envelope.from === '' || email.report) return 'empty-envelope-sender'
  const sender = email.from?.address
  if (!sender) return 'no-sender'
  const domain = env().inboundDomain.toLowerCase()
  if (sender.endsWith(`@${domain}`) || ourAddresses.includes(sender)) return 'from-us'
  if (/^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@/.test(sender)) return 'system-sender'
  return undefined
}

/** What noAutoReplyReason says of mail software answering on its own, not of a person writing. */
const SENT_BY_SOFTWARE = new Set([
  'auto-submitted',
  'precedence',
  'auto-reply',
  'auto-response-suppress',
  'empty-envelope-sender',
  'system-sender',
])

/**
 * True for an email software sent on its own (an out-of-office or vacation reply, a "your message
 * was received" notice, a no-reply notification): on a ticket it is kept in the thread, but it is
 * no answer from the customer, so it reopens nothing and notifies no one (a reply that resolved a
 * ticket came straight back as open from every customer away on holiday).
 */
export function isAutomaticReply(email: InboundMessage) {
  const reason = noAutoReplyReason(email, [])
  return reason !== undefined && SENT_BY_SOFTWARE.has(reason)
}
