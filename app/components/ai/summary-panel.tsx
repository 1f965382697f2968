import { AI_MESSAGES } from '#app/ai/features.ts'
import { SUMMARY_KIND_LABEL, type SummaryBullet } from '#app/ai/summarize-vocabulary.ts'
import { Button } from '#app/components/ui/button.tsx'
import { AiNotice, useAiError } from './ai-notice.tsx'
import { useKeptPost } from '#app/components/use-kept-post.ts'

type Props = {
  slug: string
  number: number
  availability: 'ok' | 'not-configured' | 'disabled' | 'budget'
  summary: { state: 'missing' | 'fresh' | 'stale'; bullets: SummaryBullet[] } | null
}

/**
 * The summary of a long ticket (more than 4 messages): the cached bullets, marked stale once
 * new messages arrived, and a plain form to (re)summarize. The text is the model's, shown as
 * text (React escapes it), never as HTML or Markdown.
 */
export function SummaryPanel({ slug, number, availability, summary }: Props) {
  const aiError = useAiError('summary')
  const post = useKeptPost('routes/w.$slug.tickets.$number_.ai.summary')
  if (!summary || availability === 'disabled') return null
  // "Already being written" is over once the summary arrived (the live update reloads the panel).
  const error = aiError === AI_MESSAGES.summaryRunning && summary.state === 'fresh' ? null : aiError
  const action = `/w/${slug}/tickets/${number}/ai/summary`
  return (
    <section
      aria-labelledby="ai-summary-heading"
      className="space-y-2 rounded-lg border border-violet-200 bg-violet-50/60 p-4 text-sm dark:border-violet-900 dark:bg-violet-950/30"
    >
      <div className="flex flex-wrap items-center gap-2">
        <h2 id="ai-summary-heading" className="font-semibold">
          Summary
        </h2>
        {summary.state === 'stale' ? (
          <span className="rounded bg-amber-200 px-1.5 py-0.5 text-xs text-amber-900 dark:bg-amber-900 dark:text-amber-100">
            Stale: new messages since
          </span>
        ) : null}
        {availability === 'ok' ? (
          <post.Form method="post" action={action} className="ml-auto" {...post.formProps}>
            <Button type="submit" variant="secondary" pending={post.pending} className="px-2 py-1 text-xs">
              {summary.state === 'missing' ? 'Summarize' : 'Refresh summary'}
            </Button>
          </post.Form>
        ) : null}
      </div>
      {availability === 'not-configured' ? (
        <p className="text-slate-600 dark:text-slate-400">{AI_MESSAGES.notConfigured}</p>
      ) : availability === 'budget' && summary.state === 'missing' ? (
        <p className="text-slate-600 dark:text-slate-400">{AI_MESSAGES.budgetUsed}</p>
      ) : null}
      {summary.bullets.length > 0 ? (
        <ul className="list-disc space-y-1 pl-5">
          {summary.bullets.map((bullet, i) => (
            <li key={i}>
              <span className="font-medium">{SUMMARY_KIND_LABEL[bullet.kind]}:</span> {bullet.text}
            </li>
          ))}
        </ul>
      ) : summary.state === 'missing' && availability === 'ok' ? (
        <p className="text-slate-600 dark:text-slate-400">No summary yet.</p>
      ) : null}
      {availability === 'budget' && summary.state !== 'missing' ? (
        <p className="text-xs text-slate-600 dark:text-slate-400">{AI_MESSAGES.budgetUsed}</p>
      ) : null}
      <AiNotice message={post.error ?? error} />
    </section>
  )
}
