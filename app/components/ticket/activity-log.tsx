import { Link } from '@remix-run/react'
import { describeActivity } from '#app/utils/activity.ts'
import { RelativeTime } from '#app/components/queue/relative-time.tsx'

type Entry = {
  id: string
  action: string
  data: Record<string, unknown>
  actorName: string | null
  createdAt: Date
}

/** Who changed what and when, newest first; `earlier`: older entries are left out (link to all). */
export function ActivityLog({
  entries,
  members,
  now,
  earlier = false,
}: {
  entries: Entry[]
  members: Array<{ userId: string; name: string }>
  now: string
  earlier?: boolean
}) {
  const nameOf = (userId: string) => members.find((m) => m.userId === userId)?.name
  return (
    <section aria-labelledby="activity-heading">
      <h2 id="activity-heading" className="text-sm font-semibold text-slate-700 dark:text-slate-300">
        Activity
      </h2>
      {entries.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500 dark:text-slate-400">Nothing yet.</p>
      ) : (
        <ol className="mt-2 space-y-2 text-sm">
          {entries.map((entry) => (
            <li key={entry.id} className="text-slate-700 dark:text-slate-300">
              {describeActivity(entry, nameOf)}
              <span className="text-slate-500 dark:text-slate-400">
                {' · '}
                <RelativeTime iso={entry.createdAt.toISOString()} now={now} />
              </span>
            </li>
          ))}
        </ol>
      )}
      {earlier ? (
        <Link
          to="?thread=all"
          preventScrollReset
          replace
          className="mt-2 inline-block text-sm text-indigo-700 hover:underline dark:text-indigo-300"
        >
          Show earlier activity
        </Link>
      ) : null}
    </section>
  )
}
