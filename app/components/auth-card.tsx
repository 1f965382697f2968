import { Link } from '@remix-run/react'
import type { ReactNode } from 'react'

export function AuthCard({
  title,
  children,
  footer,
}: {
  title: string
  children: ReactNode
  footer?: ReactNode
}) {
  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-50 p-6 dark:bg-slate-950">
      <div className="w-full max-w-md">
        <p className="mb-6 text-center text-lg font-semibold text-indigo-600 dark:text-indigo-400">
          Switchboard
        </p>
        <div className="rounded-xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <h1 className="mb-6 text-xl font-semibold">{title}</h1>
          {children}
        </div>
        {footer ? (
          <div className="mt-4 text-center text-sm text-slate-600 dark:text-slate-400">{footer}</div>
        ) : null}
      </div>
    </main>
  )
}

/**
 * A card that only tells something and offers one way on: a used or expired link, a confirmation
 * done. `status` announces the text (a result of what the person just did).
 */
export function AuthMessage({
  title,
  children,
  link,
  status,
}: {
  title: string
  children: ReactNode
  link: { to: string; label: string }
  status?: boolean
}) {
  return (
    <AuthCard title={title}>
      <p role={status ? 'status' : undefined} className="text-sm">
        {children}
      </p>
      <p className="mt-4 text-sm">
        <Link className="text-indigo-600 underline dark:text-indigo-400" to={link.to}>
          {link.label}
        </Link>
      </p>
    </AuthCard>
  )
}
