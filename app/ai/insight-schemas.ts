import { z } from 'zod'
import { TICKET_STATUSES } from '#app/utils/vocabulary.ts'

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

export const TranslatedReplySchema = z.object({
  body: z
    .string({ error: 'Write something first' })
    .trim()
    .min(1, { error: 'Write something first' })
    .max(50_000, { error: 'The reply is too long' }),
  replyLanguage: z.string().regex(/^[a-z]{2}$/, { error: 'Unknown language' }),
  status: z.enum(TICKET_STATUSES).optional(),
  lastSeenMessageId: z.uuid().optional(),
})

/** Where a refused AI action sends the agent back to, and why (query string of the ticket page). */
export const AI_ERROR_PARAM = 'ai-error'
export const AI_ERROR_FOR_PARAM = 'ai-for'

/** The ticket page with a refusal to show next to `target` (m-<message id>, summary, triage, reply). */
export function aiErrorUrl(ticketUrl: string, reason: string, target: string) {
  const query = new URLSearchParams({ [AI_ERROR_PARAM]: reason, [AI_ERROR_FOR_PARAM]: target })
  return `${ticketUrl}?${query}${target.startsWith('m-') ? `#${target}` : ''}`
}
