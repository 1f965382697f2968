/**
 * The product's fixed word lists and how they look: one copy for forms, loaders, components and
 * the browser. db/schema.ts declares the same values as PostgreSQL enums (db must not import
 * app); tests/unit/vocabulary.test.ts keeps the two in step.
 */

export const ROLES = ['owner', 'admin', 'agent'] as const
export type Role = (typeof ROLES)[number]

export const TICKET_STATUSES = ['open', 'pending', 'resolved', 'closed'] as const
export type TicketStatus = (typeof TICKET_STATUSES)[number]

export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const
export type TicketPriority = (typeof TICKET_PRIORITIES)[number]

export const STATUS_LABEL: Record<TicketStatus, string> = {
  open: 'Open',
  pending: 'Pending',
  resolved: 'Resolved',
  closed: 'Closed',
}

export const PRIORITY_LABEL: Record<TicketPriority, string> = {
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Urgent',
}

/** Badge colours for a status, wherever a ticket's status is shown as a pill (app/tailwind.css). */
export const STATUS_BADGE: Record<TicketStatus, string> = {
  open: 'status-open',
  pending: 'status-pending',
  resolved: 'status-resolved',
  closed: 'status-closed',
}

/** Text styles for a priority in lists. */
export const PRIORITY_TEXT: Record<TicketPriority, string> = {
  low: 'text-slate-500 dark:text-slate-400',
  normal: 'text-slate-700 dark:text-slate-300',
  high: 'font-medium text-orange-700 dark:text-orange-400',
  urgent: 'font-semibold text-red-700 dark:text-red-400',
}
