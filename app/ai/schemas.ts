import { z } from 'zod'
import { AI_FEATURES, AI_LANGUAGES, REWRITE_MODES } from './features.ts'
import { TRIAGE_MODES } from './triage-vocabulary.ts'

/** Form schemas of the AI routes (shared with the browser: no server imports). */

const Language = z.enum(AI_LANGUAGES, { error: 'Choose a language from the list' }).optional()

export const DraftRequestSchema = z.object({
  /** Empty: the customer's language. */
  language: Language,
  useNotes: z.literal('on').optional(),
  instruction: z.string().trim().max(500, { error: 'Keep the instruction under 500 characters' }).optional(),
  previousDraft: z.string().max(50_000).optional(),
})

export const RewriteRequestSchema = z
  .object({
    mode: z.enum(REWRITE_MODES, { error: 'Choose how to rewrite' }),
    text: z
      .string({ error: 'Write something first' })
      .trim()
      .min(1, { error: 'Write something first' })
      .max(50_000, { error: 'The text is too long to rewrite' }),
    language: Language,
  })
  .refine((v) => v.mode !== 'translate' || v.language, {
    error: 'Choose a language to translate to',
    path: ['language'],
  })

const featureFields = Object.fromEntries(
  AI_FEATURES.map((f) => [`feature_${f}`, z.literal('on').optional()]),
) as {
  [K in (typeof AI_FEATURES)[number] as `feature_${K}`]: z.ZodOptional<z.ZodLiteral<'on'>>
}

export const AiSettingsSchema = z.object({
  ...featureFields,
  model: z
    .string()
    .trim()
    .max(200, { error: 'Use at most 200 characters' })
    .regex(/^[\w.:/@+-]+$/, { error: 'A model name has letters, digits and . : / @ + - _ only' })
    .optional(),
  monthlyTokenBudget: z.coerce
    .number({ error: 'Enter a whole number of tokens, or leave it empty for no limit' })
    .int({ error: 'Enter a whole number of tokens' })
    .min(0, { error: 'The budget cannot be negative' })
    .max(1_000_000_000_000, { error: 'That budget is too large' })
    .optional(),
  debugLogging: z.literal('on').optional(),
  triageMode: z.enum(TRIAGE_MODES, { error: 'Choose suggest or auto-apply' }).optional(),
})
