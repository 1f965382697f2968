import { z } from 'zod'

/** Form schemas of the triage, summary and translation routes (shared with the browser). */

export const TranslateRequestSchema = z.object({
  messageId: z.uuid({ error: 'Choose a message' }),
})

/** The triage panel's forms: `intent=apply` (a suggestion chip) or `intent=run` ("Triage now"). */
export const TRIAGE_INTENTS = ['apply', 'run'] as const

export const TriageApplySchema = z.discriminatedUnion('apply', [
  z.object({ intent: z.literal('apply'), apply: z.literal('priority') }),
  z.object({ intent: z.literal('apply'), apply: z.literal('tag'), tagId: z.uuid({ error: 'Choose a tag' }) }),
])

export const TriageRunSchema = z.object({ intent: z.literal('run') })

/** "Translate to <language>" in the composer: its text, into the customer's language. */
export const ReplyTranslationSchema = z.object({
  body: z
    .string({ error: 'Write something first' })
    .trim()
    .min(1, { error: 'Write something first' })
    // A translation reads at most 20,000 characters of its text (TRANSLATION_MESSAGE_CHARS): a
    // longer reply is refused, not translated in part.
    .max(20_000, { error: 'too-long' }),
  replyLanguage: z.string().regex(/^[a-z]{2}$/, { error: 'Unknown language' }),
  // The composer's draft generation (pages from before 2026-12 send it with JavaScript).
  draftGeneration: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
  // The composer shows the text as an AI translation already: the agent's own text, the language
  // and the model's translation (its review line's fields, posted with the form without
  // JavaScript too).
  translatedFrom: z.string().max(20_000, { error: 'too-long' }).optional(),
  translationText: z.string().max(100_000, { error: 'too-long' }).optional(),
  translationLanguage: z
    .string()
    .regex(/^[a-z]{2}$/, { error: 'Unknown language' })
    .optional(),
})

/** Where a refused AI action sends the agent back to, and why (query string of the ticket page). */
export const AI_ERROR_PARAM = 'ai-error'
export const AI_ERROR_FOR_PARAM = 'ai-for'
/** A busy provider's Retry-After in seconds, for "try again in N seconds". */
export const AI_RETRY_AFTER_PARAM = 'ai-retry-after'

/**
 * The ticket page with a refusal to show next to `target` (m-<message id>, summary, triage, reply),
 * and for a busy provider the seconds it asked us to wait (its Retry-After).
 */
export function aiErrorUrl(ticketUrl: string, reason: string, target: string, retryAfterSeconds?: number) {
  const query = new URLSearchParams({ [AI_ERROR_PARAM]: reason, [AI_ERROR_FOR_PARAM]: target })
  if (reason === 'provider-busy' && retryAfterSeconds)
    query.set(AI_RETRY_AFTER_PARAM, String(retryAfterSeconds))
  return `${ticketUrl}?${query}${target.startsWith('m-') ? `#${target}` : ''}`
}

/** A refusal's Retry-After in seconds, when it has one (a busy provider's, a rate limit's). */
export function retryAfterOf(refusal: object) {
  return 'retryAfterSeconds' in refusal && typeof refusal.retryAfterSeconds === 'number'
    ? refusal.retryAfterSeconds
    : undefined
}
