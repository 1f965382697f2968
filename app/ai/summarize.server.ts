import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { getSummaryUpdatedAt, threadState, upsertSummary } from '#db/queries/ai-assist.ts'
import { getTicketByNumber } from '#db/queries/tickets.ts'
import { notFound } from '#app/domain/errors.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { runStructured, type AiMessage, type AiRefusal } from './client.server.ts'
import { DATA_RULES, dataBlock } from './prompts.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import {
  aiResultStored,
  CLICK_WAIT_MS,
  runOnceWithin,
  waitedWithoutResult,
  type StillRunning,
} from './run-claims.server.ts'
import { EARLIER_LEFT_OUT, threadForAi, type PromptThreadMessage } from './thread-window.server.ts'
import { SUMMARY_MIN_MESSAGES, SummaryBullets, type SummaryBullet } from './summarize-vocabulary.ts'

/**
 * Summaries (issue 10 item 9): tickets with more than 4 messages get a panel with the issue,
 * what was tried and what is pending, as 3–6 bullets. Cached per ticket (ticket_summaries) with
 * the message count and last message id it covered; stale as soon as the thread moved on;
 * refreshed when an agent asks (a plain form).
 */

const SummaryAnswer = z.object({ bullets: SummaryBullets })

/** Each message's share of a summary's input; the thread's is threadForAi's. */
const MESSAGE_CHARS = 2_000

export function summaryMessages(input: {
  subject: string
  thread: PromptThreadMessage[]
  leftOut: boolean
}): AiMessage[] {
  const system = [
    'You summarize a support ticket for the agents working on it. They read your summary instead of the whole thread.',
    DATA_RULES,
    [
      'Answer with a JSON object {"bullets": [...]} of 3 to 6 bullets, in this order:',
      '- kind "issue": what the customer needs (one bullet);',
      '- kind "tried": what was already tried or answered (one or more);',
      '- kind "pending": what is still open and who is waiting for whom (one or more).',
      'Each text is one short plain sentence in English, without links, Markdown or email addresses.',
    ].join('\n'),
  ].join('\n\n')
  return [
    { role: 'system', content: system },
    {
      role: 'user',
      content: `${dataBlock({ subject: input.subject, thread: input.thread })}\n\n${input.leftOut ? `${EARLIER_LEFT_OUT}\n\n` : ''}Summarize this ticket.`,
    },
  ]
}

export type SummaryView = {
  state: 'missing' | 'fresh' | 'stale'
  bullets: SummaryBullet[]
  updatedAt: Date | null
}

/** What the panel shows of a stored summary row for this thread (null below the threshold). */
export function summaryView(
  row:
    | { bullets: unknown; messageCount: number; lastMessageId: string | null; updatedAt: Date }
    | null
    | undefined,
  thread: { length: number; lastMessageId: string | undefined },
): SummaryView | null {
  if (thread.length < SUMMARY_MIN_MESSAGES) return null
  if (!row) return { state: 'missing', bullets: [], updatedAt: null }
  const parsed = SummaryBullets.safeParse(row.bullets)
  const fresh = row.lastMessageId === thread.lastMessageId && row.messageCount === thread.length
  return {
    state: parsed.success && fresh ? 'fresh' : 'stale',
    bullets: parsed.success ? parsed.data : [],
    updatedAt: row.updatedAt,
  }
}

/**
 * Summarizes the ticket now and caches it with the thread state it covered (a message that
 * arrives during the call leaves it stale, as it should). One call per ticket however many
 * agents click at once: the others wait for it (CLICK_WAIT_MS at most) and come back to the
 * summary it stored, or its reason for storing none; still running by then, they say so, and
 * the `events` of the click that stored it (published by its route) reload their pages.
 */
export async function refreshSummary(
  member: Member,
  number: number,
  signal?: AbortSignal,
): Promise<
  | { ok: true; events: TicketEvent[] }
  | AiRefusal
  | StillRunning
  | { ok: false; reason: 'too-short'; message: string }
> {
  const db = getDb()
  const ticket = await getTicketByNumber(db, { workspaceId: member.workspaceId, number })
  if (!ticket) throw notFound('Ticket not found')
  const where = { workspaceId: member.workspaceId, ticketId: ticket.id }
  // What the summary will cover, as the page counts the thread (it is fresh while this holds).
  const covered = await threadState(db, where)
  if (covered.count < SUMMARY_MIN_MESSAGES) {
    return { ok: false, reason: 'too-short', message: 'Summaries start at 5 messages' }
  }
  const before = await getSummaryUpdatedAt(db, where)
  const storedSince = async () => (await getSummaryUpdatedAt(db, where))?.getTime() !== before?.getTime()
  const run = await runOnceWithin(
    { workspaceId: member.workspaceId, key: `summary:${ticket.id}` },
    async (): Promise<{ ok: true; events: TicketEvent[] } | AiRefusal> =>
      // A call that ended just before this claim was won has stored one already.
      (await storedSince()) ? { ok: true, events: [] } : summarize(member, ticket, covered, signal),
    signal,
    CLICK_WAIT_MS,
  )
  if (run.ran) return run.value
  // Another click's call ended meanwhile: what it stored is the answer to this click too.
  if (run.waited === 'ended' && (await storedSince())) return { ok: true, events: [] }
  return waitedWithoutResult(run, { ...where, feature: 'summarize' })
}

async function summarize(
  member: Member,
  ticket: { id: string; number: number; subject: string },
  covered: { count: number; lastMessageId: string | null },
  signal: AbortSignal | undefined,
): Promise<{ ok: true; events: TicketEvent[] } | AiRefusal> {
  const { thread, leftOut } = await threadForAi(
    { workspaceId: member.workspaceId, ticketId: ticket.id, publicOnly: false },
    { messageChars: MESSAGE_CHARS },
  )
  const result = await runStructured(
    'summarize',
    {
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      userId: member.userId,
      mode: 'interactive',
      signal,
    },
    SummaryAnswer,
    summaryMessages({ subject: ticket.subject, thread, leftOut }),
    { name: 'summary' },
  )
  if (!result.ok) return result
  await upsertSummary(getDb(), {
    ticketId: ticket.id,
    workspaceId: member.workspaceId,
    bullets: result.value.bullets,
    messageCount: covered.count,
    lastMessageId: covered.lastMessageId,
    updatedAt: new Date(),
  })
  return { ok: true, events: [aiResultStored(member, ticket, { summary: true })] }
}
