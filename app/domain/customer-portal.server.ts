import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { getAttachment, listCustomerThreadPage } from '#db/queries/tickets.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { customerReply, findTicketByCustomerToken } from './messages.server.ts'
import { slotFree, takeSlot, type Limit } from './rate-limit.server.ts'
import type { StoredFile } from './tickets.server.ts'

/** What a customer sees and does through their private link (/support/t/<token>): one ticket only. */

export const CUSTOMER_REPLY_LIMIT: Limit = { max: 20, windowMs: 10 * 60 * 1000 }

/** Messages on one page of the customer's thread. */
export const CUSTOMER_THREAD_PAGE = 20

export type CustomerTicket = NonNullable<Awaited<ReturnType<typeof findTicketByCustomerToken>>>

/** The ticket behind a private link; undefined for unknown, expired or malformed tokens. */
export async function findCustomerTicket(token: string | undefined) {
  if (!token || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined
  return findTicketByCustomerToken(token)
}

export type PublicMessage = {
  id: string
  from: 'customer' | 'support'
  /** The customer's own name, or the agent's first name only. */
  author: string
  bodyText: string
  createdAt: Date
  attachments: Array<{ id: string; filename: string; size: number; contentType: string }>
}

const firstName = (name: string | null) => name?.trim().split(/\s+/)[0] || 'Support'

/**
 * The ticket's public thread: replies only (never internal notes, nor an agent's reply still in
 * its undo-send window: the customer sees it when it is emailed), authors reduced to what a
 * customer may see. An email from someone who is neither the customer nor CC'd (flagged "Not from
 * a participant") is the agents' only: anyone holding the reply token or a Message-ID of the
 * thread can send one, so it must not put a stranger's words (or a phishing text under a name
 * like "Support") on the customer's private page.
 *
 * A page at a time: the newest CUSTOMER_THREAD_PAGE messages (before the message `before`, when it
 * is one of them). Each body is at most 200,000 characters (an inbound email's; 100 KB typed), so a
 * page is bounded however long the thread grows.
 */
export async function customerTicketView(ticket: CustomerTicket, { before }: { before?: string } = {}) {
  const page = await listCustomerThreadPage(getDb(), {
    workspaceId: ticket.workspaceId,
    ticketId: ticket.ticketId,
    // An id of no message the customer sees here (malformed, another ticket's, a note): the newest.
    beforeId: before && z.uuid().safeParse(before).success ? before : undefined,
    limit: CUSTOMER_THREAD_PAGE,
  })
  const thread: PublicMessage[] = page.messages.map((row) => {
    const fromCustomer = row.authorContactId !== null && row.authorUserId === null
    return {
      id: row.id,
      from: fromCustomer ? 'customer' : 'support',
      author: fromCustomer ? row.authorContactName || 'You' : firstName(row.authorUserName),
      bodyText: row.bodyText,
      createdAt: row.createdAt,
      attachments: row.attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        size: a.size,
        contentType: a.contentType,
      })),
    }
  })
  return {
    ticket: {
      number: ticket.number,
      subject: ticket.subject,
      status: ticket.status,
      workspaceName: ticket.workspaceName,
    },
    thread,
    /** Messages before the first one shown: "Show N earlier messages" links to `?before=<its id>`. */
    earlierMessages: page.earlier,
  }
}

/** The same text and files posted again within this many seconds are one post (a double submit). */
export const REPEAT_WITHIN_SECONDS = 60

export type CustomerReplyOutcome = { kind: 'sent'; events: TicketEvent[] } | { kind: 'limited' }

/** Per ticket, not per link: see replyThroughLink. */
const replyLimitKey = (ticket: CustomerTicket) => `support:reply:${ticket.ticketId}`

/**
 * Whether the ticket's reply limit leaves room for one more, read without taking a slot: a reply
 * over it is answered without its files being written. replyThroughLink still reserves the slot.
 */
export async function customerReplyOpen(ticket: CustomerTicket) {
  return slotFree(replyLimitKey(ticket), CUSTOMER_REPLY_LIMIT)
}

/** The customer's reply through the link; reopens a pending, resolved or closed ticket. */
export async function replyThroughLink(
  ticket: CustomerTicket,
  body: string,
  files: StoredFile[],
): Promise<CustomerReplyOutcome> {
  // Reserved before the reply is written (atomic: a burst cannot overshoot); given back if it fails.
  // Per ticket, not per link: every email we send the customer carries a new link and the earlier
  // ones keep working, so counted per link a customer with three links posted 60.
  const slot = await takeSlot(replyLimitKey(ticket), CUSTOMER_REPLY_LIMIT)
  if (!slot.allowed) return { kind: 'limited' }
  try {
    // A double click, or a browser sending the form again, posts the same reply twice.
    const outcome = await customerReply(ticket, body, files, { repeatWithinSeconds: REPEAT_WITHIN_SECONDS })
    if (outcome.repeated) await slot.release()
    return { kind: 'sent', events: outcome.events }
  } catch (error) {
    await slot.release()
    throw error
  }
}

/**
 * An attachment of a public message of this ticket (its metadata: app/http/files.server.ts streams
 * it), or undefined (notes' files and other tickets' files included).
 */
export async function findCustomerAttachment(ticket: CustomerTicket, attachmentId: string) {
  if (!z.uuid().safeParse(attachmentId).success) return undefined
  const file = await getAttachment(getDb(), { workspaceId: ticket.workspaceId, id: attachmentId })
  // A reply in its undo window is not on the customer's page yet (it may be taken back): nor are
  // its files; nor are a non-participant's (customerTicketView).
  if (!file || file.ticketId !== ticket.ticketId || file.kind !== 'reply') return undefined
  if (file.held || file.notFromParticipant) return undefined
  return file
}
