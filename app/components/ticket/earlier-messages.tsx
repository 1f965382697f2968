import { Link } from '@remix-run/react'

/**
 * Stands in for the messages before the newest ones the ticket page renders. A plain link to the
 * same page with `?thread=all`: without JavaScript it loads the full thread, with it Remix fetches
 * the page's data again with every message and keeps the draft and scroll position.
 */
export function EarlierMessages({ count }: { count: number }) {
  if (count <= 0) return null
  return (
    <p className="text-center">
      <Link
        to="?thread=all"
        preventScrollReset
        replace
        className="inline-block rounded-md border border-slate-300 px-3 py-1.5 text-sm text-indigo-700 hover:bg-slate-50 dark:border-slate-700 dark:text-indigo-300 dark:hover:bg-slate-800"
      >
        {`Show ${count} earlier ${count === 1 ? 'message' : 'messages'}`}
      </Link>
    </p>
  )
}
