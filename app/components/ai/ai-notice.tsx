import { useSearchParams } from '@remix-run/react'
import { AI_MESSAGES, providerBusyMessage } from '#app/ai/features.ts'
import { AI_ERROR_FOR_PARAM, AI_ERROR_PARAM, AI_RETRY_AFTER_PARAM } from '#app/ai/insight-schemas.ts'

const MESSAGE: Record<string, string> = {
  'not-configured': AI_MESSAGES.notConfigured,
  disabled: AI_MESSAGES.disabled,
  budget: AI_MESSAGES.budgetUsed,
  'rate-limited': AI_MESSAGES.rateLimited,
  'daily-limit': AI_MESSAGES.dailyLimit,
  empty: 'Write something first',
  'too-long': AI_MESSAGES.replyTooLongToTranslate,
  'already-translated': AI_MESSAGES.replyAlreadyTranslated,
  'too-short': 'Summaries start at 5 messages',
}

/** "Triage now" (the triage panel): its own words where the reason alone would be unclear. */
const TRIAGE_MESSAGE: Record<string, string> = {
  'workspace-limit': AI_MESSAGES.triageNowLimit,
  failed: AI_MESSAGES.triageNowFailed,
  invalid: AI_MESSAGES.triageNowFailed,
  timeout: AI_MESSAGES.triageNowFailed,
  running: AI_MESSAGES.triageRunning,
}

/** A click that stopped waiting for another's call still running (`running`), per control. */
const RUNNING_MESSAGE: Record<string, string> = {
  summary: AI_MESSAGES.summaryRunning,
  reply: AI_MESSAGES.replyTranslationRunning,
  translation: AI_MESSAGES.translationRunning,
}

/** The message for a refused AI action the server redirected back with (?ai-error=…&ai-for=…). */
export function useAiError(target: string) {
  const [params] = useSearchParams()
  if (params.get(AI_ERROR_FOR_PARAM) !== target) return null
  const reason = params.get(AI_ERROR_PARAM)
  if (!reason) return null
  if (reason === 'provider-busy') return providerBusyMessage(Number(params.get(AI_RETRY_AFTER_PARAM)))
  if (target === 'triage') return TRIAGE_MESSAGE[reason] ?? MESSAGE[reason] ?? AI_MESSAGES.noSuggestion
  if (reason === 'running') {
    return RUNNING_MESSAGE[target.startsWith('m-') ? 'translation' : target] ?? AI_MESSAGES.stillRunning
  }
  return MESSAGE[reason] ?? AI_MESSAGES.noSuggestion
}

export function AiNotice({ message }: { message: string | null }) {
  if (!message) return null
  return (
    <p role="status" className="text-sm text-amber-800 dark:text-amber-300">
      {message}
    </p>
  )
}
