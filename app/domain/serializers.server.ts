import type { emailStatus, ticketChannel, TicketPriority, TicketStatus } from '#db/schema.ts'
import { distinctAddresses } from './reply-email.server.ts'
import type { FilesNotKept } from '#app/utils/files-not-kept.ts'
import { withoutPrivateLinks } from '#app/utils/private-links.ts'

/**
 * Domain rows → the public JSON shapes: snake_case, ISO 8601 UTC times, ids as strings. The API
 * answers with them and webhook payloads carry them, so they live in the domain (which must not
 * import app/api). The API's response schemas still check them at compile time: an operation's
 * `handle` must return its schema's input type (app/api/operation.server.ts), so a field the
 * schema lacks, or a wrong type, fails to compile there.
 */

const iso = (date: Date) => date.toISOString()
export const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null)

type TagRow = { id: string; name: string }
type TagJson = { id: string; name: string }

export type TicketSummaryJson = {
  id: string
  number: number
  subject: string
  status: TicketStatus
  priority: TicketPriority
  contact: { name: string; email: string }
  /** Copied on every reply to the customer (reply-all), the customer left out. */
  cc: string[]
  assignee: { id: string; name: string } | null
  tags: TagJson[]
  created_at: string
  last_activity_at: string
}

export type TicketJson = Omit<TicketSummaryJson, 'contact'> & {
  channel: (typeof ticketChannel.enumValues)[number]
  mailbox: { id: string; name: string }
  contact: { id: string; name: string; email: string }
  first_response_at: string | null
  resolved_at: string | null
}

export function ticketJson(row: {
  id: string
  number: number
  subject: string
  status: TicketStatus
  priority: TicketPriority
  channel: TicketJson['channel']
  mailboxId: string
  mailboxName: string
  contactId: string
  contactName: string
  contactEmail: string
  /** The ticket's CC list; a ticket just created through the API has none. */
  cc?: string[] | null
  assignee: { id: string; name: string } | null
  tags: TagRow[]
  createdAt: Date
  lastActivityAt: Date
  firstResponseAt: Date | null
  resolvedAt: Date | null
}): TicketJson {
  return {
    id: row.id,
    number: row.number,
    subject: row.subject,
    status: row.status,
    priority: row.priority,
    channel: row.channel,
    mailbox: { id: row.mailboxId, name: row.mailboxName },
    contact: { id: row.contactId, name: row.contactName, email: row.contactEmail },
    // As a reply copies them (replyToTicket): without repeats and without the customer.
    cc: distinctAddresses(row.cc ?? [], [row.contactEmail]),
    assignee: row.assignee,
    tags: row.tags.map((t) => ({ id: t.id, name: t.name })),
    created_at: iso(row.createdAt),
    last_activity_at: iso(row.lastActivityAt),
    first_response_at: isoOrNull(row.firstResponseAt),
    resolved_at: isoOrNull(row.resolvedAt),
  }
}

type DeliveryStatus = (typeof emailStatus.enumValues)[number]

export type MessageJson = {
  id: string
  kind: 'reply' | 'note'
  body: string
  author: { type: 'agent' | 'customer'; id: string | null; name: string; email: string | null }
  /**
   * False for an inbound email from an address that is neither the ticket's customer nor CC'd
   * ("Not from a participant" in the app): its `author` is that sender, not the customer, and
   * anyone holding the reply token can send one. True for everything else.
   */
  from_participant: boolean
  delivery_status: DeliveryStatus | null
  delivery_uncertain: boolean
  attachments: Array<{ id: string; filename: string; content_type: string; size: number }>
  /** An inbound email's attachments that were not kept, by name and why; null when all were. */
  attachments_not_kept: FilesNotKept | null
  /** The mailing list an inbound email came through ('' unnamed); null for every other message. */
  via_list: string | null
  created_at: string
}

export function messageJson(row: {
  id: string
  kind: 'reply' | 'note'
  bodyText: string
  createdAt: Date
  deliveryStatus: DeliveryStatus | null
  /** Failed, but its last attempt got no answer: SendGrid may have accepted it. */
  deliveryUncertain: boolean
  authorUserId: string | null
  authorUserName: string | null
  authorContactId: string | null
  authorContactName: string | null
  authorContactEmail: string | null
  notFromParticipant: boolean
  attachments: Array<{ id: string; filename: string; contentType: string; size: number }>
  filesNotKept: FilesNotKept | null
  viaList: string | null
}): MessageJson {
  const agent = row.authorUserId !== null || row.authorContactId === null
  return {
    id: row.id,
    kind: row.kind,
    // Our private links never reach an integration (inbound email drops them when filed; a message
    // filed before that may hold a customer's "View this conversation" link in its quoted history).
    body: withoutPrivateLinks(row.bodyText),
    author: agent
      ? { type: 'agent', id: row.authorUserId, name: row.authorUserName ?? 'Former member', email: null }
      : {
          type: 'customer',
          id: row.authorContactId,
          name: row.authorContactName || row.authorContactEmail || 'Customer',
          email: row.authorContactEmail,
        },
    from_participant: !row.notFromParticipant,
    delivery_status: row.deliveryStatus,
    delivery_uncertain: row.deliveryUncertain,
    attachments: row.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      content_type: a.contentType,
      size: a.size,
    })),
    attachments_not_kept: row.filesNotKept,
    via_list: row.viaList,
    created_at: iso(row.createdAt),
  }
}

export type ContactJson = { id: string; name: string; email: string; created_at: string }

export function contactJson(row: { id: string; name: string; email: string; createdAt: Date }): ContactJson {
  return { id: row.id, name: row.name, email: row.email, created_at: iso(row.createdAt) }
}
