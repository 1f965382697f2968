import { AI_MESSAGES } from '#app/ai/features.ts'
import { PRIORITY_LABEL, type TicketPriority } from '#app/utils/vocabulary.ts'
import { AiNotice, useAiError } from './ai-notice.tsx'
import { useKeptPost } from '#app/components/use-kept-post.ts'

type Props = {
  slug: string
  number: number
  mode: 'suggest' | 'auto-apply'
  triage: {
    gist: string
    languageName: string | null
    sentiment: 'negative' | 'neutral' | 'positive' | null
    appliedAt: Date | null
    skipped: 'limit' | 'budget' | 'retrying' | 'busy' | null
    open: { priority: TicketPriority | null; tags: Array<{ id: string; name: string }> }
  } | null
}

const SENTIMENT_LABEL = { negative: 'Negative', neutral: 'Neutral', positive: 'Positive' } as const

/** Why the job has no answer for this ticket. */
const SKIPPED_MESSAGE = {
  limit: AI_MESSAGES.triageLimit,
  budget: AI_MESSAGES.triageBudget,
  retrying: AI_MESSAGES.triageBusyRetrying,
  busy: AI_MESSAGES.triageBusy,
} as const

/**
 * What triage found for this ticket: the gist, language and tone, and (suggest mode) the
 * suggested priority and tags as chips; each chip is a small form that applies it with one
 * click, without JavaScript too. A ticket the job skipped (the workspace's triage caps, the
 * budget) or found the provider busy for offers "Triage now", a form too; its refusal shows below it. Everything is the model's text, rendered as text.
 */
export function TriagePanel({ slug, number, mode, triage }: Props) {
  const aiError = useAiError('triage')
  const post = useKeptPost('routes/w.$slug.tickets.$number_.ai.triage')
  if (!triage) return null
  // "Already running" is over once the result arrived (the live update reloads the row).
  const error = aiError === AI_MESSAGES.triageRunning && !triage.skipped ? null : aiError
  const action = `/w/${slug}/tickets/${number}/ai/triage`
  const chips = mode === 'suggest' && (triage.open.priority || triage.open.tags.length > 0)
  return (
    <section aria-labelledby="ai-triage-heading" className="space-y-2 text-sm">
      <h2 id="ai-triage-heading" className="text-sm font-semibold text-slate-700 dark:text-slate-300">
        Triage <span className="font-normal text-slate-500 dark:text-slate-400">by AI</span>
      </h2>
      {triage.skipped ? (
        <>
          <p className="text-slate-500 dark:text-slate-400">{SKIPPED_MESSAGE[triage.skipped]}</p>
          <post.Form method="post" action={action} {...post.formProps}>
            <input type="hidden" name="intent" value="run" />
            <button
              type="submit"
              disabled={post.pending}
              className="rounded border border-violet-300 bg-violet-50 px-2 py-0.5 text-xs text-violet-800 hover:bg-violet-100 disabled:opacity-60 dark:border-violet-800 dark:bg-violet-950 dark:text-violet-200"
            >
              {post.pending ? 'Triaging…' : 'Triage now'}
            </button>
          </post.Form>
        </>
      ) : null}
      {triage.gist ? <p className="break-words text-slate-700 dark:text-slate-300">{triage.gist}</p> : null}
      <p className="text-xs text-slate-500 dark:text-slate-400">
        {[triage.languageName, triage.sentiment ? `${SENTIMENT_LABEL[triage.sentiment]} tone` : null]
          .filter(Boolean)
          .join(' · ')}
        {triage.appliedAt ? ' · applied automatically' : ''}
      </p>
      {chips ? (
        <ul aria-label="Suggestions" className="flex flex-wrap gap-1.5">
          {triage.open.priority ? (
            <li>
              <post.Form method="post" action={action} {...post.formProps}>
                <input type="hidden" name="intent" value="apply" />
                <input type="hidden" name="apply" value="priority" />
                <button
                  type="submit"
                  className="rounded-full border border-violet-300 bg-violet-50 px-2 py-0.5 text-xs text-violet-800 hover:bg-violet-100 dark:border-violet-800 dark:bg-violet-950 dark:text-violet-200"
                >
                  {`Set priority: ${PRIORITY_LABEL[triage.open.priority]}`}
                </button>
              </post.Form>
            </li>
          ) : null}
          {triage.open.tags.map((tag) => (
            <li key={tag.id}>
              <post.Form method="post" action={action} {...post.formProps}>
                <input type="hidden" name="intent" value="apply" />
                <input type="hidden" name="apply" value="tag" />
                <input type="hidden" name="tagId" value={tag.id} />
                <button
                  type="submit"
                  className="rounded-full border border-violet-300 bg-violet-50 px-2 py-0.5 text-xs text-violet-800 hover:bg-violet-100 dark:border-violet-800 dark:bg-violet-950 dark:text-violet-200"
                >
                  {`Add tag: ${tag.name}`}
                </button>
              </post.Form>
            </li>
          ))}
        </ul>
      ) : null}
      <AiNotice message={post.error ?? error} />
    </section>
  )
}
