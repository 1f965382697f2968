import type { ReactNode } from 'react'

/** "Saved." after a post: a success message announced politely. Renders nothing when empty. */
export function Notice({ children, className = '' }: { children?: ReactNode; className?: string }) {
  if (children === null || children === undefined || children === '' || children === false) return null
  return (
    <p
      role="status"
      className={`rounded-md bg-emerald-50 p-3 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200 ${className}`}
    >
      {children}
    </p>
  )
}
