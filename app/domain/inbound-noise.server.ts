import { env } from '#app/env.server.ts'
import type { InboundMessage } from './inbound-parse.server.ts'

/** A header's value, trimmed and lower-case, or undefined when the email has none. */
function headerOf(email: InboundMessage, name: string) {
  return email.headers
    .find((h) => h.key === name)
    ?.value.trim()
    .toLowerCase()
}

/** X-Auto-Response-Suppress's classes (a comma-separated list: `All`, `OOF`, `DR, RN, NRN, OOF, AutoReply`). */
function suppressedClasses(email: InboundMessage) {
  return (headerOf(email, 'x-auto-response-suppress') ?? '').split(/[\s,]+/).filter(Boolean)
}

/** A mailing list's headers (RFC 2919, 2369): a person's post through a list carries them too. */
function cameThroughList(email: InboundMessage) {
  return ['list-id', 'list-post', 'list-unsubscribe'].some((name) => headerOf(email, name) !== undefined)
}

/**
 * Why mail software sent this email on its own (an out-of-office or vacation reply, a "your
 * message was received" notice, a bounce, a no-reply notification), or undefined when a person
 * may have written it. Only signs that responders write and people's mail programs do not:
 * - `Auto-Submitted` other than `no` (RFC 3834; `auto-replied; owner-email=…` has parameters);
 * - `Precedence: auto_reply` (cPanel's and older Exchange's autoresponders), or `bulk` / `junk`
 *   (the vacation program's tradition) unless the email came through a mailing list: Mailman and
 *   other lists mark people's posts `bulk` or `list`;
 * - `X-Autoreply` or `X-Autorespond` (Yahoo, Zimbra, Postfix's autoresponders), unless `no`;
 * - Exchange's out-of-office: `X-Auto-Response-Suppress` with `All` or `OOF` together with the
 *   inbox rule's `X-MS-Exchange-Inbox-Rules-Loop` (Zammad's test). X-Auto-Response-Suppress alone
 *   only asks us not to answer automatically: Outlook and mail-merge tools put it on people's
 *   mail (Discourse stopped reading it as automatic for that, discourse#21367);
 * - an empty reverse-path (MAIL FROM:<>) or a delivery report, and mailer-daemon, postmaster and
 *   no-reply senders.
 */
export function automaticMailReason(email: InboundMessage) {
  const autoSubmitted = headerOf(email, 'auto-submitted')
  if (autoSubmitted && !/^no\s*(;|$)/.test(autoSubmitted)) return 'auto-submitted'
  const precedence = headerOf(email, 'precedence') ?? ''
  if (/^auto[-_]?reply$/.test(precedence)) return 'precedence'
  if (/^(bulk|junk)$/.test(precedence) && !cameThroughList(email)) return 'precedence'
  for (const name of ['x-autoreply', 'x-autorespond']) {
    const value = headerOf(email, name)
    if (value !== undefined && !/^(no|false|0)$/.test(value)) return 'auto-reply'
  }
  const suppressed = suppressedClasses(email)
  if (
    (suppressed.includes('all') || suppressed.includes('oof')) &&
    headerOf(email, 'x-ms-exchange-inbox-rules-loop') !== undefined
  ) {
    return 'exchange-out-of-office'
  }
  // An empty reverse-path (MAIL FROM:<>) is how bounces and other notifications arrive.
  if (email.envelope.from === '' || email.report) return 'empty-envelope-sender'
  if (/^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@/.test(email.from?.address ?? '')) {
    return 'system-sender'
  }
  return undefined
}

/**
 * Why an inbound email must never get an automatic answer (RFC 3834 section 2 and the headers
 * mail software uses in practice), or undefined when an auto-acknowledgement is allowed: mail
 * software's own (automaticMailReason), a mailing list's, one asking for no automatic answer
 * (X-Auto-Response-Suppress), and ours. `ourAddresses` are the mailboxes' public addresses: mail
 * from ourselves would loop.
 */
export function noAutoReplyReason(email: InboundMessage, ourAddresses: string[]) {
  const automatic = automaticMailReason(email)
  if (automatic) return automatic
  if (/^(bulk|junk|list)$/.test(headerOf(email, 'precedence') ?? '')) return 'precedence'
  if (cameThroughList(email)) return 'mailing-list'
  const suppressed = suppressedClasses(email)
  if (['all', 'oof', 'autoreply'].some((c) => suppressed.includes(c))) return 'auto-response-suppress'
  const sender = email.from?.address
  if (!sender) return 'no-sender'
  const domain = env().inboundDomain.toLowerCase()
  if (sender.endsWith(`@${domain}`) || ourAddresses.includes(sender)) return 'from-us'
  return undefined
}

/**
 * True for an email software sent on its own (automaticMailReason): on a ticket it is kept in the
 * thread and marked "Automatic reply", but it is no answer from the customer, so it reopens
 * nothing, marks nothing unread and notifies no one (a reply that resolved a ticket came straight
 * back as open from every customer away on holiday), and it gets no auto-acknowledgement.
 */
export function isAutomaticReply(email: InboundMessage) {
  return automaticMailReason(email) !== undefined
}
