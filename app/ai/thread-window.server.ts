import { getDb } from '#db/client.ts'
import { aiThreadWindow, type AiThreadMessage } from '#db/queries/ai-assist.ts'

/**
 * How much of a ticket's thread one AI call (a summary, a draft) reads and sends: the newest
 * messages, at most AI_THREAD_MESSAGES of them and AI_THREAD_CHARS characters together (about
 * 15,000 tokens, well inside current models' context), plus the thread's first message. Before,
 * every message was read (a 30 MB thread: seconds and hundreds of MB per click, 30 clicks a
 * minute allowed) and cut afterwards.
 */
export const AI_THREAD_MESSAGES = 40
export const AI_THREAD_CHARS = 60_000

export type PromptThreadMessage = {
  from: 'customer' | 'agent' | 'internal-note'
  author: string
  at: string
  text: string
}

/** The line a prompt carries when the thread it sends is not the whole thread. */
export const EARLIER_LEFT_OUT =
  'The thread is shortened: it has its first message and the newest ones; the messages between them were left out.'

/**
 * The part of a ticket's thread one AI call sends, oldest → newest: the first message (the
 * customer's opening one, which a summary needs; its room is kept before the others), then the
 * newest messages that fit, the oldest dropped first. `leftOut`: some messages were not sent
 * (the prompt says so). Never a reply in its undo window or a non-participant's email
 * (aiThreadWindow); each text at most `messageChars` characters, cut by PostgreSQL.
 */
export async function threadForAi(
  where: { workspaceId: string; ticketId: string; publicOnly: boolean },
  {
    messageChars,
    textOf = (m) => m.bodyText,
  }: { messageChars: number; textOf?: (m: AiThreadMessage) => string },
): Promise<{ thread: PromptThreadMessage[]; leftOut: boolean }> {
  const { newestFirst, first } = await aiThreadWindow(getDb(), {
    ...where,
    newest: AI_THREAD_MESSAGES,
    chars: messageChars,
  })
  if (!first) return { thread: [], leftOut: false }
  const firstText = textOf(first)
  let budget = AI_THREAD_CHARS - firstText.length
  const recent: PromptThreadMessage[] = []
  let reachedFirst = false
  for (const m of newestFirst) {
    if (m.id === first.id) {
      reachedFirst = true
      break
    }
    const text = textOf(m)
    if (text.length > budget) break
    budget -= text.length
    recent.unshift(entry(m, text))
  }
  return { thread: [entry(first, firstText), ...recent], leftOut: !reachedFirst }
}

function entry(m: AiThreadMessage, text: string): PromptThreadMessage {
  return {
    from: m.kind === 'note' ? 'internal-note' : m.authorUserId === null ? 'customer' : 'agent',
    author: m.authorUserName ?? (m.authorContactName || 'Customer'),
    at: m.createdAt.toISOString(),
    text,
  }
}
