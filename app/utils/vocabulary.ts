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

/** Badge colours for a status, wherever a ticket's status is shown as a pill. */
export const STATUS_BADGE: Record<TicketStatus, string> = {
  open: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  pending: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  resolved: 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  closed: 'bg-slate-100 text-slate-500 dark:bg-slate-800 dark:text-slate-400',
}

/** Text styles for a priority in lists. */
export const PRIORITY_TEXT: Record<TicketPriority, string> = {
  low: 'text-slate-500 dark:text-slate-400',
  normal: 'text-slate-700 dark:text-slate-300',
  high: 'font-medium text-orange-700 dark:text-orange-400',
  urgent: 'font-semibold text-red-700 dark:text-red-400',
}
