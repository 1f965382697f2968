import { useNavigation } from '@remix-run/react'
import { Button } from '#app/components/ui/button.tsx'
import { AiNotice, useAiError } from './ai-notice.tsx'

type Props = {
  slug: string
  number: number
  /** The customer's language: ISO 639-1 code and its name. */
  language: string
  languageName: string
}

/**
 * Inside the composer: "Send reply in <language>" submits the composer's form to the
 * translated-reply action (the button's formAction), which sends the reply translated into the
 * customer's language and keeps the agent's text as an internal note. Works without JS.
 */
export function TranslatedReplyButton({ slug, number, language, languageName }: Props) {
  const navigation = useNavigation()
  const error = useAiError('reply')
  const action = `/w/${slug}/tickets/${number}/ai/translated-reply`
  const pending = navigation.state !== 'idle' && navigation.formAction === action
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <input type="hidden" name="replyLanguage" value={language} />
      <Button type="submit" variant="secondary" formAction={action} formMethod="post" pending={pending}>
        {`Send reply in ${languageName}`}
      </Button>
      <span className="text-xs text-slate-500 dark:text-slate-400">
        Translated by AI when sent; your text is kept as an internal note. Attachments are not included.
      </span>
      <AiNotice message={error} />
    </div>
  )
}
