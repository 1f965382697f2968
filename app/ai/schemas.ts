import { z } from 'zod'
import { parseDrawnBase, replaceField } from '#app/utils/drawn-base.ts'
import { withinMaxLength } from '#app/utils/schemas.ts'
import { AI_FEATURES, AI_LANGUAGES, REWRITE_MODES } from './features.ts'
import { TRIAGE_MODES } from './triage-vocabulary.ts'

/** Form schemas of the AI routes (shared with the browser: no server imports). */

/** The instruction for a new draft ("shorter, more formal"): its field's `maxLength` too. */
export const AI_INSTRUCTION_MAX = 500
const INSTRUCTION_TOO_LONG = `Keep the instruction under ${AI_INSTRUCTION_MAX} characters`

const Language = z.enum(AI_LANGUAGES, { error: 'Choose a language from the list' }).optional()

export const DraftRequestSchema = z.object({
  /** Empty: the customer's language. */
  language: Language,
  useNotes: z.literal('on').optional(),
  instruction: z
    .string()
    .trim()
    .max(AI_INSTRUCTION_MAX, { error: INSTRUCTION_TOO_LONG, abort: true })
    .refine(withinMaxLength(AI_INSTRUCTION_MAX), { error: INSTRUCTION_TOO_LONG })
    .optional(),
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

export const AI_MODEL_MAX = 200

export const AiSettingsSchema = z.object({
  ...featureFields,
  model: z
    .string()
    .trim()
    .max(AI_MODEL_MAX, { error: 'Use at most 200 characters' })
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
  // The controls whose teammate's save the form showed: see drawnSave.
  replace: replaceField([
    ...AI_FEATURES.map((f) => `feature_${f}` as const),
    'model',
    'monthlyTokenBudget',
    'debugLogging',
    'triageMode',
  ]),
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

type StoredAiSettings = {
  features: Record<(typeof AI_FEATURES)[number], boolean>
  modelOverride: string | null
  monthlyTokenBudget: number | null
  debugUntil: Date | null
  triageMode: (typeof TRIAGE_MODES)[number]
}

/** The AI settings form's fields drawn with these settings ('' for an unticked box). */
export function aiSettingsFormValues(settings: StoredAiSettings): Record<string, string> {
  return {
    ...Object.fromEntries(AI_FEATURES.map((f) => [`feature_${f}`, settings.features[f] ? 'on' : ''])),
    triageMode: settings.triageMode,
    model: settings.modelOverride ?? '',
    monthlyTokenBudget: settings.monthlyTokenBudget === null ? '' : String(settings.monthlyTokenBudget),
    debugLogging: settings.debugUntil !== null ? 'on' : '',
  }
}

/** The `base` hidden field of the AI settings form whose fields were drawn with these values. */
export function aiSettingsFormBase(values: Record<string, string | string[]>) {
  const one = (name: string) => {
    const value = values[name]
    return typeof value === 'string' ? value : ''
  }
  const budget = one('monthlyTokenBudget')
  const triageMode = TRIAGE_MODES.find((m) => m === one('triageMode')) ?? TRIAGE_MODES[0]
  const drawn: DrawnAiSettings = {
    features: Object.fromEntries(AI_FEATURES.map((f) => [f, one(`feature_${f}`) === 'on'])),
    model: one('model'),
    monthlyTokenBudget: budget === '' ? null : Number(budget),
    debugLogging: one('debugLogging') === 'on',
    triageMode,
  }
  return JSON.stringify(drawn)
}

/** The `base` hidden field of the AI settings form drawn with these settings. */
export function aiSettingsBase(settings: StoredAiSettings) {
  return aiSettingsFormBase(aiSettingsFormValues(settings))
}

/** The settings a posted form was drawn with, or null when there are none or they cannot be read. */
export function parseAiSettingsBase(base: string | undefined): DrawnAiSettings | null {
  return parseDrawnBase(base, DrawnAiSettings, DrawnAiSettings)
}
