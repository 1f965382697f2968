import type { z } from 'zod'
import type { Contact, Message, Ticket, TicketSummary } from './schemas.server.ts'

/**
 * Domain rows → the API's JSON: snake_case, ISO 8601 UTC times, ids as strings. Typed by the
 * response schemas' input, so a field the schema lacks (or a wrong type) fails to compile.
 */

const iso = (date: Date) => date.toISOString()
export const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null)

type TagRow = { id: string; name: string }

export function ticketSummaryJson(row: {
  id: string
  number: number
  subject: string
  status: z.input<typeof TicketSummary>['status']
  priority: z.input<typeof TicketSummary>['priority']
  contactName: string
  contactEmail: string
  assigneeId: string | null
  assigneeName: string | null
  tags: TagRow[]
  createdAt: Date
  lastActivityAt: Date
}): z.input<typeof TicketSummary> {
  return {
    id: row.id,
    number: row.number,
    subject: row.subject,
    status: row.status,
    priority: row.priority,
    contact: { name: row.contactName, email: row.contactEmail },
    assignee: row.assigneeId ? { id: row.assigneeId, name: row.assigneeName ?? '' } : null,
    tags: row.tags.map((t) => ({ id: t.id, name: t.name })),
    created_at: iso(row.createdAt),
    last_activity_at: iso(row.lastActivityAt),
  }
}

export function ticketJson(row: {
  id: string
  number: number
  subject: string
  status: z.input<typeof Ticket>['status']
  priority: z.input<typeof Ticket>['priority']
  channel: z.input<typeof Ticket>['channel']
  mailboxId: string
  mailboxName: string
  contactId: string
  contactName: string
  contactEmail: string
  assignee: { id: string; name: string } | null
  tags: TagRow[]
  createdAt: Date
  lastActivityAt: Date
  firstResponseAt: Date | null
  resolvedAt: Date | null
}): z.input<typeof Ticket> {
  return {
    id: row.id,
    number: row.number,
    subject: row.subject,
    status: row.status,
    priority: row.priority,
    channel: row.channel,
    mailbox: { id: row.mailboxId, name: row.mailboxName },
    contact: { id: row.contactId, name: row.contactName, email: row.contactEmail },
    assignee: row.assignee,
    tags: row.tags.map((t) => ({ id: t.id, name: t.name })),
    created_at: iso(row.createdAt),
    last_activity_at: iso(row.lastActivityAt),
    first_response_at: isoOrNull(row.firstResponseAt),
    resolved_at: isoOrNull(row.resolvedAt),
  }
}

export function messageJson(row: {
  id: string
  kind: 'reply' | 'note'
  bodyText: string
  createdAt: Date
  deliveryStatus: z.input<typeof Message>['delivery_status']
  authorUserId: string | null
  authorUserName: string | null
  authorContactId: string | null
  authorContactName: string | null
  authorContactEmail: string | null
  attachments: Array<{ id: string; filename: string; contentType: string; size: number }>
}): z.input<typeof Message> {
  const agent = row.authorUserId !== null || row.authorContactId === null
  return {
    id: row.id,
    kind: row.kind,
    body: row.bodyText,
    author: agent
      ? { type: 'agent', id: row.authorUserId, name: row.authorUserName ?? 'Former member' }
      : {
          type: 'customer',
          id: row.authorContactId,
          name: row.authorContactName || row.authorContactEmail || 'Customer',
        },
    delivery_status: row.deliveryStatus,
    attachments: row.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      content_type: a.contentType,
      size: a.size,
    })),
    created_at: iso(row.createdAt),
  }
}

export function contactJson(row: {
  id: string
  name: string
  email: string
  createdAt: Date
}): z.input<typeof Contact> {
  return { id: row.id, name: row.name, email: row.email, created_at: iso(row.createdAt) }
}
