/**
 * Triage and translation vocabulary shared by the server and the browser (no secrets, no
 * database): the workspace's triage modes, the sentiments, and language codes as names.
 */
export const TRIAGE_MODES = ['suggest', 'auto-apply'] as const
export type TriageMode = (typeof TRIAGE_MODES)[number]
export const TRIAGE_MODE_LABEL: Record<TriageMode, string> = {
  suggest: 'Suggest (agents apply each suggestion with one click)',
  'auto-apply': 'Auto-apply (priority and tags are set by AI, shown in the activity log)',
}

export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const
export type Sentiment = (typeof SENTIMENTS)[number]

/** The language agents read when nothing else is known (and the language of gists). */
export const DEFAULT_AGENT_LANGUAGE = 'en'

const names = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' })

/** Names looked up so far: at most 26 × 26 two-letter codes (ICU's lookup is the slow part). */
const known = new Map<string, string | undefined>()

/** "es" → "Spanish"; undefined for anything that is not a known ISO 639-1 code. */
export function languageName(code: string | null | undefined): string | undefined {
  if (!code || !/^[a-z]{2}$/.test(code)) return undefined
  if (known.has(code)) return known.get(code)
  let found: string | undefined
  try {
    const name = names.of(code)
    found = name && name !== code ? name : undefined
  } catch {
    found = undefined
  }
  known.set(code, found)
  return found
}

/** The first language of an Accept-Language header as an ISO 639-1 code, or English. */
export function agentLanguageFrom(acceptLanguage: string | null | undefined): string {
  const first = acceptLanguage?.split(',')[0]?.trim().split(';')[0]?.split('-')[0]?.toLowerCase()
  return first && languageName(first) ? first : DEFAULT_AGENT_LANGUAGE
}
