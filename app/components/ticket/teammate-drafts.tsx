import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import { languageName } from '#app/ai/triage-vocabulary.ts'
import type { MessageKind } from '#app/utils/ticket-page-schemas.ts'

export type TeammateDraft = {
  userId: string
  name: string
  body: string
  kind: MessageKind
  updatedAt: Date
  /** Their text is an AI translation they are reviewing ("Translate to <language>"). */
  translation?: { language: string; original: string } | null
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
              {d.kind === 'note' ? ' note' : ''}
              {d.translation ? ` (an AI translation into ${languageOf(d.translation)})` : ''} ·{' '}
              <RelativeTime iso={d.updatedAt.toISOString()} now={now} />
            </summary>
            <p className="border-t border-amber-200 px-3 py-2 whitespace-pre-wrap [overflow-wrap:anywhere] dark:border-amber-900">
              {d.body}
            </p>
            {d.translation ? (
              <div className="border-t border-amber-200 px-3 py-2 dark:border-amber-900">
                <p className="text-xs font-medium">{`${d.name}'s original`}</p>
                <p className="whitespace-pre-wrap [overflow-wrap:anywhere]">{d.translation.original}</p>
              </div>
            ) : null}
          </details>
        </li>
      ))}
    </ul>
  )
}

function languageOf(translation: { language: string }) {
  return languageName(translation.language) ?? translation.language
}
