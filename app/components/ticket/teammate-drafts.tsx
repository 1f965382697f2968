import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import type { MessageKind } from '#app/utils/ticket-page-schemas.ts'

export type TeammateDraft = {
  userId: string
  name: string
  body: string
  kind: MessageKind
  updatedAt: Date
}

/**
 * "<name> has a draft" for each teammate with unsent text on this ticket (shared drafts, as in
 * Help Scout); the text opens on click. A <details> disclosure, so it works without JavaScript.
 */
export function TeammateDrafts({ drafts, now }: { drafts: TeammateDraft[]; now: string }) {
  if (drafts.length === 0) return null
  return (
    <ul className="space-y-1 text-sm" aria-label="Teammates' drafts">
      {drafts.map((d) => (
        <li key={d.userId}>
          <details className="group rounded-md border border-amber-200 bg-amber-50/70 dark:border-amber-900 dark:bg-amber-950/30">
            <summary className="cursor-pointer px-3 py-1.5 text-amber-900 dark:text-amber-200">
              <span className="font-medium">{d.name}</span> has a draft
              {d.kind === 'note' ? ' note' : ''} · <RelativeTime iso={d.updatedAt.toISOString()} now={now} />
            </summary>
            <p className="border-t border-amber-200 px-3 py-2 whitespace-pre-wrap [overflow-wrap:anywhere] dark:border-amber-900">
              {d.body}
            </p>
          </details>
        </li>
      ))}
    </ul>
  )
}
