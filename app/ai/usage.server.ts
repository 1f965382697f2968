import { getDb } from '#db/client.ts'
import { aiUsageByDay, aiUsageByFeature } from '#db/queries/ai.ts'
import { env } from '#app/env.server.ts'
import { getAiSettings, tokensUsedThisMonth } from './settings.server.ts'

const DAY_MS = 24 * 60 * 60 * 1000
export const USAGE_DAYS = 30

/** The settings page: configuration state, the workspace's settings and 30 days of usage. */
export async function loadAiSettingsPage(workspaceId: string) {
  const today = new Date()
  const firstDay = new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - (USAGE_DAYS - 1) * DAY_MS,
  )
  const db = getDb()
  const [settings, usedThisMonth, byFeature, byDay] = await Promise.all([
    getAiSettings(workspaceId),
    tokensUsedThisMonth(workspaceId),
    aiUsageByFeature(db, { workspaceId, since: firstDay }),
    aiUsageByDay(db, { workspaceId, since: firstDay }),
  ])
  const days = Array.from({ length: USAGE_DAYS }, (_, i) => {
    const day = new Date(firstDay.getTime() + i * DAY_MS).toISOString().slice(0, 10)
    const row = byDay.find((d) => d.day === day)
    return { day, calls: row?.calls ?? 0, tokens: row?.tokens ?? 0, failures: row?.failures ?? 0 }
  })
  return {
    configured: env().ai.configured,
    settings,
    usedThisMonth,
    byFeature,
    days,
  }
}
