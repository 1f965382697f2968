import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { getAiSettingsJson, setAiSettingsJson, tokensUsedSince } from '#db/queries/ai.ts'
import { env } from '#app/env.server.ts'
import { recordAudit } from '#app/domain/audit.server.ts'
import { AI_FEATURES, AI_FEATURES_ON_BY_DEFAULT, type AiFeature } from './features.ts'
import { TRIAGE_MODES, type TriageMode } from './triage-vocabulary.ts'
import type { DrawnAiSettings } from './schemas.ts'
import { changesNothing, drawnSave, type TeammateSavedFirst } from '#app/utils/drawn-base.ts'

/** How long debug logging (prompts kept in ai_runs) stays on after an admin turns it on. */
export const DEBUG_LOGGING_MS = 24 * 60 * 60 * 1000

/**
 * A workspace's AI settings, stored under `workspaces.settings.ai` and parsed on every read:
 * anything unreadable falls back to the defaults rather than breaking a page.
 */
const StoredAiSettings = z.object({
  features: z.partialRecord(z.enum(AI_FEATURES), z.boolean()).catch({}).default({}),
  model: z.string().trim().min(1).max(200).nullable().catch(null).default(null),
  monthlyTokenBudget: z.number().int().min(0).nullable().catch(null).default(null),
  debugUntil: z.iso.datetime().nullable().catch(null).default(null),
  triageMode: z.enum(TRIAGE_MODES).catch('suggest').default('suggest'),
})
export type StoredAiSettings = z.infer<typeof StoredAiSettings>

export type AiSettings = {
  features: Record<AiFeature, boolean>
  /** The model chosen for this workspace, or null for OPENAI_MODEL. */
  modelOverride: string | null
  model: string
  defaultModel: string
  monthlyTokenBudget: number | null
  debugUntil: Date | null
  /** What triage does with its suggestions when the triage feature is on. */
  triageMode: TriageMode
}

export async function getAiSettings(workspaceId: string): Promise<AiSettings> {
  return aiSettingsFrom(await getAiSettingsJson(getDb(), { workspaceId }))
}

/** The settings from the stored `settings.ai` JSON (for callers that already read it). */
export function aiSettingsFrom(json: unknown): AiSettings {
  const stored = StoredAiSettings.parse(json ?? {})
  const features = { ...AI_FEATURES_ON_BY_DEFAULT }
  for (const f of AI_FEATURES) if (typeof stored.features[f] === 'boolean') features[f] = stored.features[f]
  const debugUntil = stored.debugUntil ? new Date(stored.debugUntil) : null
  const defaultModel = env().ai.model
  return {
    features,
    modelOverride: stored.model,
    model: stored.model ?? defaultModel,
    defaultModel,
    monthlyTokenBudget: stored.monthlyTokenBudget,
    // Auto-off: past its end, debug logging is simply off (nothing needs to run to turn it off).
    debugUntil: debugUntil && debugUntil.getTime() > Date.now() ? debugUntil : null,
    triageMode: stored.triageMode,
  }
}

export type AiSettingsInput = {
  features: Record<AiFeature, boolean>
  model: string | undefined
  monthlyTokenBudget: number | undefined
  debugLogging: boolean
  /** Unchanged when absent. */
  triageMode?: TriageMode
}

/** The settings as the page's form has them, a field per control (drawnSave compares these). */
type AiSettingsFields = Record<`feature_${AiFeature}`, boolean> & {
  model: string
  monthlyTokenBudget: number | null
  debugLogging: boolean
  triageMode: TriageMode
}

function asFields(
  settings: Omit<AiSettingsFields, `feature_${AiFeature}`> & { features: Record<AiFeature, boolean> },
) {
  const { features, ...rest } = settings
  const boxes = Object.fromEntries(AI_FEATURES.map((f) => [`feature_${f}`, features[f]]))
  return { ...(boxes as Record<`feature_${AiFeature}`, boolean>), ...rest }
}

/**
 * Saves the settings page; the audit log records who changed them (never prompts or keys).
 *
 * `drawn` is what the admin's form showed when it was drawn: a control posted as drawn was not
 * touched and keeps what is stored now, which may be a teammate's change since (one turned a
 * feature off while another set the budget: the second save turned it back on). A changed control
 * is saved as posted, unless a teammate saved it meanwhile to something else: then nothing is saved
 * and the outcome names it (drawnSave), unless `replace` does (the form showed the teammate's
 * value). Null (no readable base): all as posted. The workspace row is locked while the settings
 * are read and written.
 */
export async function saveAiSettings(
  actor: { workspaceId: string; userId: string },
  input: AiSettingsInput,
  drawn: DrawnAiSettings | null = null,
  replace: readonly string[] = [],
): Promise<{ kind: 'saved' } | TeammateSavedFirst> {
  const { workspaceId } = actor
  return getDb().transaction(async (tx) => {
    const current = aiSettingsFrom(await getAiSettingsJson(tx, { workspaceId, forUpdate: true }))
    const stored = asFields({
      features: current.features,
      model: current.modelOverride ?? '',
      monthlyTokenBudget: current.monthlyTokenBudget,
      debugLogging: current.debugUntil !== null,
      triageMode: current.triageMode,
    })
    const base =
      drawn &&
      asFields({
        ...drawn,
        features: Object.fromEntries(
          AI_FEATURES.map((f) => [f, drawn.features[f] ?? AI_FEATURES_ON_BY_DEFAULT[f]]),
        ) as Record<AiFeature, boolean>,
      })
    const { edited, conflicts } = drawnSave({
      stored,
      posted: {
        ...asFields({
          features: input.features,
          model: input.model ?? '',
          monthlyTokenBudget: input.monthlyTokenBudget ?? null,
          debugLogging: input.debugLogging,
          triageMode: current.triageMode,
        }),
        // Left out: unchanged.
        triageMode: input.triageMode,
      },
      base,
      replace,
    })
    if (conflicts.length > 0) return { kind: 'teammate-saved' as const, fields: conflicts }
    if (changesNothing(stored, edited)) return { kind: 'saved' as const }
    const after = { ...stored, ...edited }
    const features = Object.fromEntries(AI_FEATURES.map((f) => [f, after[`feature_${f}`]]))
    const debugUntil = !after.debugLogging
      ? null
      : (current.debugUntil ?? new Date(Date.now() + DEBUG_LOGGING_MS))
    const saved: StoredAiSettings = {
      features,
      model: after.model || null,
      monthlyTokenBudget: after.monthlyTokenBudget,
      debugUntil: debugUntil?.toISOString() ?? null,
      triageMode: after.triageMode,
    }
    await setAiSettingsJson(tx, { workspaceId, ai: saved })
    await recordAudit(tx, {
      workspaceId,
      actorUserId: actor.userId,
      action: 'ai.settings-changed',
      targetType: 'workspace',
      targetId: workspaceId,
      data: { ...saved, debugUntil: saved.debugUntil },
    })
    return { kind: 'saved' as const }
  })
}

/** The first moment of the current calendar month, UTC: budgets reset then. */
export function startOfMonthUtc(now = new Date()) {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
}

export async function tokensUsedThisMonth(workspaceId: string) {
  return tokensUsedSince(getDb(), { workspaceId, since: startOfMonthUtc() })
}
