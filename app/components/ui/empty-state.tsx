import type { ReactNode } from 'react'

/** "Nothing here yet" in a dashed box, where a list would be. */
export function EmptyState({
  children,
  className = 'mt-4 p-6',
}: {
  children: ReactNode
  className?: string
}) {
  return (
    <p
      className={`rounded-lg border border-dashed border-slate-300 text-center text-sm text-slate-600 dark:border-slate-700 dark:text-slate-400 ${className}`}
    >
      {children}
    </p>
  )
}
