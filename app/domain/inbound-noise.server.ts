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
