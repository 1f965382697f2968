/**
 * AI vocabulary shared by the server and the browser (no secrets, no database): the features,
 * the messages agents see, the rewrite modes and the languages offered. `ai_feature` in
 * db/schema.ts has the same list.
 */
export const AI_FEATURES = ['draft', 'rewrite', 'translate', 'summarize', 'triage'] as const
export type AiFeature = (typeof AI_FEATURES)[number]

export const AI_FEATURE_LABEL: Record<AiFeature, string> = {
  draft: 'Draft a reply',
  rewrite: 'Rewrite',
  translate: 'Translate',
  summarize: 'Summarize',
  triage: 'Triage',
}

/** Features a workspace has on until an owner or admin turns them off. */
export const AI_FEATURES_ON_BY_DEFAULT: Record<AiFeature, boolean> = {
  draft: true,
  rewrite: true,
  translate: true,
  summarize: true,
  triage: false,
}

export const AI_MESSAGES = {
  notConfigured: 'AI is not configured — see Settings → AI',
  budgetUsed: 'AI budget used up for this month',
  noSuggestion: 'No suggestion right now',
  providerBusy: 'The AI provider is busy: try again in a moment.',
  cutOff: 'The suggestion was cut off on the way: check it, or draft again.',
  lengthLimit: 'The draft stopped at the length limit and may end mid-sentence: check its end.',
  tooLong: 'The draft was longer than a reply can be, so it was stopped.',
  rateLimited: 'Too many AI requests: at most 30 a minute. Try again in a moment.',
  dailyLimit:
    'You have made 1,000 AI requests in the last 24 hours, the most one person may. Try again later.',
  disabled: 'This AI feature is turned off for this workspace',
  triageLimit: 'Not triaged: this workspace reached its limit of AI triage calls for now.',
  triageBudget: 'Not triaged: the AI budget for this month was used up.',
  triageBusyRetrying:
    'Not triaged yet: the AI provider is busy. Triage tries again by itself for up to half an hour.',
  triageBusy: 'Not triaged: the AI provider was busy each time triage tried.',
  triageNowLimit:
    'Still not triaged: this workspace has used its AI triage calls for now (per hour and per day). Try again later.',
  triageNowFailed: 'Not triaged: the AI provider gave no usable answer. Try again in a moment.',
  triageRunning:
    'Triage is already running for this ticket: its result will appear here by itself. If nothing appears within 2 minutes, click Triage now again.',
  stillRunning: 'Already running: the result will appear here by itself.',
  summaryRunning:
    'A summary of this ticket is already being written: it will appear here by itself. If nothing appears within 2 minutes, click Summarize again.',
  translationRunning:
    'This message is already being translated: the translation will appear here by itself. If nothing appears within 2 minutes, click Translate again.',
  replyTooLongToTranslate: 'Too long to translate: at most 20,000 characters.',
  replyAlreadyTranslated:
    'Your reply is already translated: edit the translation here, or restore your original to translate it again. Text you write in its place is your own, and is translated as such.',
  replyChangedWhileTranslating:
    'Not translated: your text changed while it was being translated, and is kept as you wrote it. Translate again.',
  replyTranslationRunning:
    'Your reply is already being translated: reload the page to see the translation in the composer. If it is not there within 2 minutes, translate again.',
} as const

/**
 * What the agent is told when the provider answered 429 or 503 (rate limited, overloaded), with
 * its Retry-After when it sent one.
 */
export function providerBusyMessage(retryAfterSeconds?: number | null) {
  if (!retryAfterSeconds || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds < 1)
    return AI_MESSAGES.providerBusy
  const seconds = Math.ceil(retryAfterSeconds)
  if (seconds > 90) {
    const minutes = Math.ceil(seconds / 60)
    return `The AI provider is busy: try again in ${minutes.toLocaleString('en-US')} minutes.`
  }
  return `The AI provider is busy: try again in ${seconds} second${seconds === 1 ? '' : 's'}.`
}

/** Interactive calls per user per minute (all features together). */
export const AI_INTERACTIVE_PER_MINUTE = 30
/**
 * Interactive calls per user per 24 hours (all features together): the minute's limit alone let
 * one agent's script make 43,200 calls a day on the workspace's bill (no budget is set by default).
 * A busy agent drafting, redrafting and rewriting on every ticket makes a few hundred.
 */
export const AI_INTERACTIVE_PER_DAY = 1_000

export const REWRITE_MODES = ['grammar', 'friendlier', 'shorter', 'translate'] as const
export type RewriteMode = (typeof REWRITE_MODES)[number]
export const REWRITE_LABEL: Record<RewriteMode, string> = {
  grammar: 'Fix grammar',
  friendlier: 'Make friendlier',
  shorter: 'Make shorter',
  translate: 'Translate',
}

/** Languages the agent can pick for a draft or a translation (the model knows many more). */
export const AI_LANGUAGES = [
  'English',
  'French',
  'German',
  'Spanish',
  'Italian',
  'Portuguese',
  'Dutch',
  'Polish',
  'Swedish',
  'Danish',
  'Norwegian',
  'Finnish',
  'Czech',
  'Turkish',
  'Greek',
  'Russian',
  'Ukrainian',
  'Arabic',
  'Hebrew',
  'Hindi',
  'Japanese',
  'Korean',
  'Chinese (Simplified)',
  'Chinese (Traditional)',
  'Vietnamese',
  'Indonesian',
  'Thai',
] as const
