import type { DbOrTx } from '#db/client.ts'
import {
  findRoutesForRecipients,
  findTicketsByMessageIds,
  findTicketsWithParticipant,
  lockTicketByNumber,
} from '#db/queries/inbound-routing.ts'
import { env } from '#app/env.server.ts'
import type { InboundMessage } from './inbound-parse.server.ts'
import { replyTokenOf } from './reply-address.server.ts'

/** One workspace an email is addressed to, and the mailbox it is filed in there. */
export type Route = {
  workspaceId: string
  workspaceSlug: string
  mailboxId: string
  mailboxAddress: string
  /** The ticket a valid reply token names (same workspace as the mailbox). */
  tokenTicketId: string | undefined
}

/**
 * How many distinct recipient addresses routing looks at, at most: an email's headers may list
 * any number (a probe's `to` held 20,000 token-shaped addresses and took ~24 s of the worker,
 * one lookup each). The envelope recipients come first, and they are what SendGrid delivered to
 * us, so a real email's address of ours is among the first few.
 */
export const MAX_RECIPIENT_CANDIDATES = 50
/** How many workspaces one email is filed in, at most (the first in routing order). */
export const MAX_ROUTED_WORKSPACES = 10

/**
 * Which addresses decide where an email goes, in order: the SMTP envelope recipients (what the
 * forwarding rule or MX delivered to), then To, Cc and Delivered-To; lower case, each once, the
 * first MAX_RECIPIENT_CANDIDATES.
 */
export function recipientCandidates(email: InboundMessage) {
  const lists = [
    email.envelope.to,
    email.to.map((a) => a.address),
    email.cc.map((a) => a.address),
    email.deliveredTo.map((a) => a.replace(/^<|>$/g, '')),
  ]
  const found = new Set<string>()
  for (const list of lists) {
    for (const entry of list) {
      const address = entry.trim().toLowerCase()
      if (address.includes('@')) found.add(address)
      if (found.size === MAX_RECIPIENT_CANDIDATES) return [...found]
    }
  }
  return [...found]
}

/** Whether the address is at INBOUND_DOMAIN. */
function atInboundDomain(address: string) {
  return address.slice(address.lastIndexOf('@') + 1) === env().inboundDomain.toLowerCase()
}

/** `<slug>.<key>` (and an optional `+token`) of an address at INBOUND_DOMAIN, else undefined. */
export function forwardingParts(address: string) {
  const at = address.lastIndexOf('@')
  if (at === -1 || !atInboundDomain(address.toLowerCase())) return undefined
  const local = address.slice(0, at).toLowerCase().split('+')[0]
  const dot = local.indexOf('.')
  if (dot <= 0 || dot === local.length - 1) return undefined
  return { slug: local.slice(0, dot), key: local.slice(dot + 1) }
}

/** `local+tag@domain` → `local@domain`; any other address as it is. */
export function withoutPlusTag(address: string) {
  const at = address.lastIndexOf('@')
  const plus = address.indexOf('+')
  return plus > 0 && plus < at ? address.slice(0, plus) + address.slice(at) : address
}

const KIND_RANK = { token: 0, forwarding: 1, public: 2 } as const

/**
 * Every workspace the email is addressed to, each with the one mailbox it is filed in there (as
 * if each had received its own copy). Within a workspace: a valid reply token (its ticket's
 * mailbox), else the first forwarding address `<slug>.<key>@INBOUND_DOMAIN` in candidate order,
 * else the first public address that exactly one active mailbox has (two workspaces may both
 * claim support@example.com: then neither gets it by that address; `support+vip@example.com`
 * matches support@example.com when no mailbox has the tagged address). Workspaces come in that
 * order too (by token, then forwarding, then public address, each in candidate order), at most
 * MAX_ROUTED_WORKSPACES. One statement, whatever the email lists.
 */
export async function routeInbound(db: DbOrTx, email: InboundMessage): Promise<Route[]> {
  const candidates = recipientCandidates(email)
  const tokens: string[] = []
  const forwarding: string[] = []
  const publicAddresses: string[] = []
  /** An untagged address looked up for a tagged candidate (`a@x` for `a+b@x`), and that candidate. */
  const taggedFor = new Map<string, string>()
  for (const address of candidates) {
    if (!atInboundDomain(address)) {
      publicAddresses.push(address)
      // Plus addressing (`support+vip@`, `billing+invoices@`): the mail system delivered it to
      // the address without its tag, so the mailbox of that address takes it, after an exact
      // match (a mailbox may have a tagged address as its own, e.g. a Gmail alias).
      const untagged = withoutPlusTag(address)
      if (untagged !== address && !taggedFor.has(untagged)) {
        taggedFor.set(untagged, address)
        publicAddresses.push(untagged)
      }
      continue
    }
    const token = replyTokenOf(address)
    if (token) tokens.push(token)
    const parts = forwardingParts(address)
    if (parts) forwarding.push(`${parts.slug}.${parts.key}`)
  }
  const found = await findRoutesForRecipients(db, { tokens, forwarding, publicAddresses })
  // The untagged address stands in for a tagged one only when no mailbox has the tagged one.
  const exact = new Set(candidates)
  const matched = new Set(found.filter((row) => row.kind === 'public').map((row) => row.matched))
  const rows = found.filter(
    (row) => row.kind !== 'public' || exact.has(row.matched) || !matched.has(taggedFor.get(row.matched)!),
  )
  const order = { token: tokens, forwarding, public: publicAddresses }
  const rank = (row: (typeof rows)[number]) => [KIND_RANK[row.kind], order[row.kind].indexOf(row.matched)]
  const ranked = rows
    .map((row) => ({ row, rank: rank(row) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1])
  const byWorkspace = new Map<string, Route>()
  for (const { row } of ranked) {
    if (byWorkspace.has(row.workspaceId)) continue
    if (byWorkspace.size === MAX_ROUTED_WORKSPACES) break
    byWorkspace.set(row.workspaceId, {
      workspaceId: row.workspaceId,
      workspaceSlug: row.workspaceSlug,
      mailboxId: row.mailboxId,
      mailboxAddress: row.mailboxAddress,
      tokenTicketId: row.ticketId ?? undefined,
    })
  }
  return [...byWorkspace.values()]
}

/**
 * The ticket an email answers by its In-Reply-To / References, newest reference first: our
 * agent replies' Message-IDs, earlier inbound messages' and each ticket's thread root. A
 * Message-ID that emails on several tickets carry (a mailer that gives every email the same one,
 * `<1@localhost.localdomain>`) names the one of them the sender is the customer of or CC'd on;
 * on none of them (or several), it names no ticket and the next reference is tried.
 */
export async function ticketByHeaders(db: DbOrTx, workspaceId: string, email: InboundMessage) {
  const ids = [...new Set([...email.inReplyTo, ...[...email.references].reverse()])].slice(0, 50)
  if (ids.length === 0) return undefined
  const { found, roots } = await findTicketsByMessageIds(db, { workspaceId, messageIds: ids })
  const byId = new Map<string, Set<string>>()
  for (const r of [...roots, ...found]) {
    if (!r.messageId) continue
    const tickets = byId.get(r.messageId) ?? new Set<string>()
    tickets.add(r.ticketId)
    byId.set(r.messageId, tickets)
  }
  const sender = email.from?.address.toLowerCase()
  for (const id of ids) {
    const tickets = [...(byId.get(id) ?? [])]
    if (tickets.length === 1) return tickets[0]
    if (tickets.length > 1 && sender) {
      const ofSender = await findTicketsWithParticipant(db, {
        workspaceId,
        ticketIds: tickets,
        address: sender,
      })
      if (ofSender.length === 1) return ofSender[0]
    }
  }
  return undefined
}

/** The largest ticket number a reference can name (tickets.number is a PostgreSQL integer). */
const MAX_TICKET_NUMBER = 2_147_483_647

/**
 * The ticket number our subjects carry (`Re: <subject> [#12]`, replySubject, and the
 * acknowledgements'), exactly as we write it: `[#`, the number without leading zeros, `]`; `[# 12]`,
 * `[#012]` or `(#12)` are not ours. Of several, the last: we append ours, so a ticket whose own
 * subject held `[#12]` is answered as `Re: … [#12] [#13]`.
 */
export function subjectReference(subject: string) {
  const found = [...subject.matchAll(/\[#([1-9][0-9]{0,9})\]/g)].at(-1)
  const number = found ? Number(found[1]) : undefined
  return number !== undefined && number <= MAX_TICKET_NUMBER ? number : undefined
}

/**
 * Whether SendGrid's checks vouch for the From address's domain (DMARC's alignment, relaxed):
 * a DKIM signature that passed for that domain (or one within the other: `mail.example.com`
 * signing for `example.com`), or SPF passed for an envelope sender of that domain. Anyone can
 * write a customer's address in From; a ticket number is easy to guess, so the subject's
 * reference alone must not let a forged From into a customer's ticket (a token or a Message-ID
 * of the thread cannot be guessed, so those paths need no such check).
 */
export function senderDomainVouchedFor(email: Pick<InboundMessage, 'from' | 'envelope' | 'dkim' | 'spf'>) {
  const domainOf = (address: string) =>
    address
      .slice(address.lastIndexOf('@') + 1)
      .trim()
      .toLowerCase()
  const from = email.from?.address
  if (!from) return false
  const domain = domainOf(from)
  const aligned = (other: string) =>
    other.includes('.') && (other === domain || domain.endsWith(`.${other}`) || other.endsWith(`.${domain}`))
  // SendGrid's `dkim` field: `{@example.com : pass}`, several as `{@a.com : pass, @b.com : fail}`.
  const dkim = [...(email.dkim ?? '').matchAll(/@([^\s:,{}]+)\s*:\s*([a-z]+)/gi)].some(
    ([, signer, result]) => result!.toLowerCase() === 'pass' && aligned(signer!.toLowerCase()),
  )
  const envelope = email.envelope.from ?? ''
  const spf =
    (email.spf ?? '').trim().toLowerCase() === 'pass' && envelope.includes('@') && aligned(domainOf(envelope))
  return dkim || spf
}

/**
 * The last resort of threading, when neither a reply token nor the headers found the ticket: the
 * ticket number in the subject (subjectReference), in the workspace the email was addressed to,
 * when the sender is that ticket's customer or on its CC list. Numbers count up from 1 and anyone
 * can guess one, so a stranger's email naming one is not added to that ticket (it opens a new
 * ticket, as without a reference), nor is one whose From domain nothing vouches for
 * (senderDomainVouchedFor). The ticket stays locked until the filing commits.
 */
export async function ticketBySubjectReference(db: DbOrTx, workspaceId: string, email: InboundMessage) {
  const number = subjectReference(email.subject)
  const sender = email.from?.address
  if (number === undefined || !sender || !senderDomainVouchedFor(email)) return undefined
  const ticket = await lockTicketByNumber(db, { workspaceId, number })
  if (!ticket) return undefined
  const participant =
    ticket.contactEmail.toLowerCase() === sender || ticket.cc.some((a) => a.toLowerCase() === sender)
  return participant ? ticket.ticketId : undefined
}
