import { getDb } from '#db/client.ts'
import { aiUsageByDay, aiUsageByFeature, budgetStandingSince } from '#db/queries/ai.ts'
import { env } from '#app/env.server.ts'
import { getAiSettings, startOfMonthUtc } from './settings.server.ts'

const DAY_MS = 24 * 60 * 60 * 1000
export const USAGE_DAYS = 30

/** The settings page: configuration state, the workspace's settings and 30 days of usage. */
export async function loadAiSettingsPage(workspaceId: string) {
  const today = new Date()
  const firstDay = new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - (USAGE_DAYS - 1) * DAY_MS,
  )
  const db = getDb()
  const [settings, month, byFeature, byDay] = await Promise.all([
    getAiSettings(workspaceId),
    budgetStandingSince(db, { workspaceId, since: startOfMonthUtc() }),
    aiUsageByFeature(db, { workspaceId, since: firstDay }),
    aiUsageByDay(db, { workspaceId, since: firstDay }),
  ])
  const days = Array.from({ length: USAGE_DAYS }, (_, i) => {
    const day = new Date(firstDay.getTime() + i * DAY_MS).toISOString().slice(0, 10)
    const row = byDay.find((d) => d.day === day)
    return { day, calls: row?.calls ?? 0, tokens: row?.tokens ?? 0, failures: row?.failures ?? 0 }
  })
  const budget = settings.monthlyTokenBudget
  return {
    configured: env().ai.configured,
    settings,
    usedThisMonth: month.used,
    /** Of those, tokens of runs the server reported no usage for (our estimate). */
    estimatedThisMonth: month.estimated,
    /** Tokens held by calls under way (ai_budget_holds), not yet in the used tokens. */
    heldNow: month.held,
    budgetStanding: budgetStanding(budget, month),
    byFeature,
    days,
  }
}

/**
 * What the next call's gate decides (holdBudget): `spent` once the used tokens reach the budget;
 * `held` while the calls under way hold the rest (a call is refused until they end); else `open`.
 * The page read the used tokens only, and said nothing while holds refused every call.
 */
export function budgetStanding(budget: number | null, month: { used: number; held: number }) {
  if (budget === null) return 'open' as const
  if (month.used >= budget) return 'spent' as const
  return month.used + month.held >= budget ? ('held' as const) : ('open' as const)
}
