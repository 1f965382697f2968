import type { TicketAiState } from '#db/queries/ai-assist.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import type { TicketPriority } from '#app/utils/vocabulary.ts'
import { hasRole } from '#app/utils/roles.ts'
import { availabilitiesWith } from './client.server.ts'
import { aiSettingsFrom } from './settings.server.ts'
import { summaryView } from './summarize.server.ts'
import { triageView } from './triage.server.ts'
import { languageName } from './triage-vocabulary.ts'

const FEATURES = ['draft', 'rewrite', 'translate', 'summarize', 'triage'] as const

/**
 * Everything AI the ticket page shows, from the state its statement read (settings, triage,
 * summary, translations into `agentLanguage`: db/queries/ticket-page.ts); plus this month's token
 * use when a budget is set and AI is configured. Nothing here calls the model: every panel renders
 * from cached rows. `ticketAiViews` then combines it with what the page read (tags, the thread).
 */
export async function loadTicketAi(member: Member, state: TicketAiState, agentLanguage: string) {
  const settings = aiSettingsFrom(state.settings)
  const available = await availabilitiesWith(member.workspaceId, settings, FEATURES)
  return { state, settings, available, agentLanguage, canConfigure: hasRole(member.role, 'admin') }
}

/**
 * The composer's AI tools (`assist`: whether Draft and Rewrite show, or the hint that replaces
 * them) and the panels' data (`insights`: triage, the summary and translations).
 */
export function ticketAiViews(
  ai: Awaited<ReturnType<typeof loadTicketAi>>,
  page: {
    ticket: { priority: TicketPriority }
    tagIds: string[]
    thread: { length: number; lastMessageId: string | undefined }
  },
) {
  const { state, available, agentLanguage, canConfigure } = ai
  const triage = triageView(state.triage, page.ticket, page.tagIds)
  const customerLanguage = triage?.language ?? null
  return {
    assist: { draft: available.draft, rewrite: available.rewrite, canConfigure },
    insights: {
      available: { translate: available.translate, summarize: available.summarize, triage: available.triage },
      triage,
      triageMode: ai.settings.triageMode,
      summary: summaryView(state.summary, page.thread),
      agentLanguage,
      agentLanguageName: languageName(agentLanguage) ?? 'English',
      customerLanguage,
      customerLanguageName: languageName(customerLanguage) ?? null,
      /** The customer wrote in another language than the agent reads: Translate buttons show. */
      foreign: customerLanguage !== null && customerLanguage !== agentLanguage,
      translations: Object.fromEntries(
        state.translations.map((t: TicketAiState['translations'][number]) => [t.messageId, t.text]),
      ) as Record<string, string>,
      canConfigure,
    },
  }
}

export type TicketInsights = ReturnType<typeof ticketAiViews>['insights']
export type TicketAssist = ReturnType<typeof ticketAiViews>['assist']
