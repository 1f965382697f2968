import type { ReactNode } from 'react'
import { STATUS_BADGE, STATUS_LABEL, type TicketStatus } from '#app/utils/vocabulary.ts'

const TONES = {
  neutral: 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  info: 'bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300',
  success: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  warning: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200',
  danger: 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300',
  ai: 'bg-violet-50 text-violet-800 dark:bg-violet-950 dark:text-violet-200',
} as const

export type BadgeTone = keyof typeof TONES

/** A small label: one shape and one palette for every pill in the app. */
export function Badge({
  tone = 'neutral',
  className = '',
  title,
  children,
}: {
  tone?: BadgeTone
  className?: string
  title?: string
  children: ReactNode
}) {
  return (
    <span
      title={title}
      className={`inline-flex shrink-0 items-center gap-1 rounded px-1.5 py-0.5 text-xs font-medium ${TONES[tone]} ${className}`}
    >
      {children}
    </span>
  )
}

/** StatusBadge's class list, also written by the queue's rows (components/queue/row-html.ts). */
export function statusBadgeClass(status: TicketStatus) {
  return `status-badge ${STATUS_BADGE[status]}`
}

/** A ticket's status, in the colours every list, card and page uses (STATUS_BADGE). */
export function StatusBadge({ status, className = '' }: { status: TicketStatus; className?: string }) {
  return (
    <span className={className ? `${statusBadgeClass(status)} ${className}` : statusBadgeClass(status)}>
      {STATUS_LABEL[status]}
    </span>
  )
}
