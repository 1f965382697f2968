import { useLocation } from '@remix-run/react'
import { PlainLink } from '#app/components/ui/plain-link.tsx'
import type { QueueView } from '#app/domain/queue.server.ts'

export const VIEW_LABEL: Record<QueueView, string> = {
  mine: 'Mine',
  unassigned: 'Unassigned',
  open: 'All open',
  pending: 'Pending',
  resolved: 'Resolved',
  all: 'All',
}

/** The current query string with some parameters changed; any page cursor is dropped. */
export function useQueueHref() {
  const location = useLocation()
  return (changes: Record<string, string | null>) => {
    const params = new URLSearchParams(location.search)
    params.delete('after')
    params.delete('before')
    params.delete('index')
    params.delete('bulk')
    params.delete('sent')
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) params.delete(key)
      else params.set(key, value)
    }
    const search = params.toString()
    return `${location.pathname}${search ? `?${search}` : ''}`
  }
}

/** Built-in views as links: each keeps the other filters and starts at the first page. */
export function QueueViews({ current }: { current: QueueView }) {
  const href = useQueueHref()
  return (
    <nav aria-label="Views" className="min-w-0">
      <ul className="flex flex-wrap gap-0.5">
        {(Object.keys(VIEW_LABEL) as QueueView[]).map((view) => (
          <li key={view}>
            <PlainLink
              to={href({ view })}
              aria-current={view === current ? 'page' : undefined}
              className={`block rounded-md px-2.5 py-1 text-sm font-medium ${
                view === current
                  ? 'bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200'
                  : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-slate-100'
              }`}
            >
              {VIEW_LABEL[view]}
            </PlainLink>
          </li>
        ))}
      </ul>
    </nav>
  )
}

const pageLinkClass =
  'rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800'

/** Previous / next page links carrying the keyset cursor (?after= / ?before=). */
export function QueuePagination({
  nextCursor,
  prevCursor,
}: {
  nextCursor: string | null
  prevCursor: string | null
}) {
  const href = useQueueHref()
  if (!nextCursor && !prevCursor) return null
  return (
    <nav aria-label="Pages" className="flex justify-between">
      {prevCursor ? (
        <PlainLink to={href({ before: prevCursor })} rel="prev" className={pageLinkClass}>
          ← Previous
        </PlainLink>
      ) : (
        <span />
      )}
      {nextCursor ? (
        <PlainLink to={href({ after: nextCursor })} rel="next" className={pageLinkClass}>
          Next →
        </PlainLink>
      ) : null}
    </nav>
  )
}
