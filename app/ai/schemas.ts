import { z } from 'zod'
import { parseDrawnBase } from '#app/utils/drawn-base.ts'
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
  // What the form showed when it was drawn (aiSettingsBase): see saveAiSettings.
  base: z.string().max(5_000).optional(),
})

const DrawnAiSettings = z.object({
  features: z.partialRecord(z.enum(AI_FEATURES), z.boolean()),
  /** '' for the server's default model. */
  model: z.string(),
  monthlyTokenBudget: z.number().int().nullable(),
  debugLogging: z.boolean(),
  triageMode: z.enum(TRIAGE_MODES),
})
export type DrawnAiSettings = z.infer<typeof DrawnAiSettings>

/** The `base` hidden field of the AI settings form drawn with these settings. */
export function aiSettingsBase(settings: {
  features: Record<(typeof AI_FEATURES)[number], boolean>
  modelOverride: string | null
  monthlyTokenBudget: number | null
  debugUntil: Date | null
  triageMode: (typeof TRIAGE_MODES)[number]
}) {
  const drawn: DrawnAiSettings = {
    features: settings.features,
    model: settings.modelOverride ?? '',
    monthlyTokenBudget: settings.monthlyTokenBudget,
    debugLogging: settings.debugUntil !== null,
    triageMode: settings.triageMode,
  }
  return JSON.stringify(drawn)
}

/** The settings a posted form was drawn with, or null when there are none or they cannot be read. */
export function parseAiSettingsBase(base: string | undefined): DrawnAiSettings | null {
  return parseDrawnBase(base, DrawnAiSettings, DrawnAiSettings)
}
