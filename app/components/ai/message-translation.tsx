import { AiNotice, useAiError } from './ai-notice.tsx'
import { useKeptPost } from '#app/components/use-kept-post.ts'

type Props = {
  slug: string
  number: number
  messageId: string
  /** The cached translation, when there is one. */
  translation: string | undefined
  from: string | null
  to: string
}

/**
 * Under a customer message in another language: the translation when it is cached, else a
 * "Translate" button (a plain form; the server caches the answer, so each message costs one call).
 */
export function MessageTranslation({ slug, number, messageId, translation, from, to }: Props) {
  const error = useAiError(`m-${messageId}`)
  const post = useKeptPost('routes/w.$slug.tickets.$number_.ai.translate')
  const action = `/w/${slug}/tickets/${number}/ai/translate`
  const pending = post.pending
  if (translation !== undefined) {
    return (
      <div className="mt-3 border-t border-slate-200 pt-2 text-sm dark:border-slate-700">
        <p className="text-xs text-slate-500 dark:text-slate-400">
          {`Translated by AI${from ? ` from ${from}` : ''} into ${to}`}
        </p>
        <div className="mt-1 break-words whitespace-pre-wrap">{translation}</div>
      </div>
    )
  }
  return (
    <div className="mt-2 space-y-1">
      <post.Form method="post" action={action} {...post.formProps}>
        <input type="hidden" name="messageId" value={messageId} />
        <button
          type="submit"
          disabled={pending}
          className="text-xs font-medium text-indigo-700 hover:underline disabled:opacity-60 dark:text-indigo-300"
        >
          {pending ? 'Translating…' : `Translate${from ? ` from ${from}` : ''}`}
        </button>
      </post.Form>
      <AiNotice message={post.error ?? error} />
    </div>
  )
}
