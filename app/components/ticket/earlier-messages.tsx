import { Link } from '@remix-run/react'

/**
 * Stands in for the messages before the first one shown. A plain link to the same page with
 * `?before=<that message's id>`: without JavaScript it opens the page before it (a page at a
 * time, never the whole thread); with it, `load` (useEarlierMessages) puts that page above the
 * messages shown, in place.
 */
export function EarlierMessages({
  count,
  before,
  load,
  loading,
  failed,
}: {
  count: number
  before: string | undefined
  load: () => void
  loading: boolean
  failed: boolean
}) {
  if (count <= 0 || !before) return null
  return (
    <div className="space-y-2 text-center">
      <Link
        to={`?before=${encodeURIComponent(before)}`}
        onClick={(event) => {
          event.preventDefault()
          load()
        }}
        aria-disabled={loading || undefined}
        className="inline-block rounded-md border border-slate-300 px-3 py-1.5 text-sm text-indigo-700 hover:bg-slate-50 dark:border-slate-700 dark:text-indigo-300 dark:hover:bg-slate-800"
      >
        {loading
          ? 'Loading earlier messages…'
          : `Show ${count} earlier ${count === 1 ? 'message' : 'messages'}`}
      </Link>
      {failed ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          Not loaded: Switchboard could not be reached. Try again.
        </p>
      ) : null}
    </div>
  )
}

/** On an earlier page (`?before=…`, without JavaScript): back to the newest messages. */
export function LatestMessagesLink({ ticketUrl }: { ticketUrl: string }) {
  return (
    <p className="text-center">
      <Link className="text-sm text-indigo-600 underline dark:text-indigo-400" to={`${ticketUrl}#latest`}>
        Show the latest messages
      </Link>
    </p>
  )
}
