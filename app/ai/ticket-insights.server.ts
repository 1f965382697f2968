import { getDb } from '#db/client.ts'
import { listTicketTranslations } from '#db/queries/ai-assist.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import type { TicketPriority } from '#app/utils/vocabulary.ts'
import { hasRole } from '#app/utils/roles.ts'
import { aiAvailabilities } from './client.server.ts'
import { getAiSettings } from './settings.server.ts'
import { loadSummary } from './summarize.server.ts'
import { loadTriage } from './triage.server.ts'
import { agentLanguageFrom, languageName } from './triage-vocabulary.ts'

/**
 * What the ticket page shows of triage, the summary and translations. `acceptLanguage` (the
 * route reads the header) gives the agent's language; the customer's comes from triage.
 * Nothing here calls the model: every panel renders from cached rows. The ticket page passes
 * what it has already read (the ticket, its tag ids, the thread's length and newest message), so
 * nothing is read twice.
 */
export async function loadTicketInsights(
  member: Member,
  page: {
    ticket: { id: string; priority: TicketPriority }
    tagIds: string[]
    thread: { length: number; lastMessageId: string | undefined }
  },
  acceptLanguage: string | null,
) {
  const db = getDb()
  const { ticket } = page
  const agentLanguage = agentLanguageFrom(acceptLanguage)
  const [available, settings, triage, summary, translations] = await Promise.all([
    aiAvailabilities(member.workspaceId, ['translate', 'summarize', 'triage'] as const),
    getAiSettings(member.workspaceId),
    loadTriage(member.workspaceId, ticket, page.tagIds),
    loadSummary(member.workspaceId, ticket.id, page.thread),
    listTicketTranslations(db, {
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      language: agentLanguage,
    }),
  ])
  const customerLanguage = triage?.language ?? null
  return {
    available,
    triage,
    triageMode: settings.triageMode,
    summary,
    agentLanguage,
    agentLanguageName: languageName(agentLanguage) ?? 'English',
    customerLanguage,
    customerLanguageName: languageName(customerLanguage) ?? null,
    /** The customer wrote in another language than the agent reads: Translate buttons show. */
    foreign: customerLanguage !== null && customerLanguage !== agentLanguage,
    translations: Object.fromEntries(translations.map((t) => [t.messageId, t.text])) as Record<
      string,
      string
    >,
    canConfigure: hasRole(member.role, 'admin'),
  }
}

export type TicketInsights = NonNullable<Awaited<ReturnType<typeof loadTicketInsights>>>
