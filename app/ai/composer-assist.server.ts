import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { getMailbox } from '#db/queries/mailboxes.ts'
import { finalReplies, relevantCannedResponses } from '#db/queries/similar-tickets.ts'
import { getTicketByNumber } from '#db/queries/tickets.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { customerWords } from '#app/domain/inbound-display.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { runStream, runStructured } from './client.server.ts'
import type { RewriteMode } from './features.ts'
import { draftMessages, rewriteMessages, type DraftInput } from './prompts.server.ts'
import { listSimilarTickets, ticketTerms } from './similar.server.ts'
import { threadForAi } from './thread-window.server.ts'

/** The composer's AI tools: streaming a reply draft and rewriting the agent's text. */

type Agent = Member & { user: { name: string } }

/** Each message's share of a draft's input; the thread's is threadForAi's. */
const MESSAGE_CHARS = 4_000

export type DraftOptions = {
  language: string | null
  useNotes: boolean
  instruction: string | null
  previousDraft: string | null
}

async function requireTicket(member: Member, number: number) {
  const ticket = await getTicketByNumber(getDb(), { workspaceId: member.workspaceId, number })
  if (!ticket) throw notFound('Ticket not found')
  return ticket
}

/**
 * Everything a draft is grounded on, all from this ticket's workspace: the public thread
 * (notes only when asked; its newest messages and its first, threadForAi; never an email from a
 * non-participant, whose words could steer the reply), customer, agent, mailbox signature, the 3 canned responses and the
 * final replies of the 3 similar resolved tickets that best match the ticket's words.
 */
export async function draftInput(
  member: Agent,
  number: number,
  options: DraftOptions,
): Promise<{ ticketId: string; input: DraftInput }> {
  const db = getDb()
  const ticket = await requireTicket(member, number)
  const [{ thread, leftOut }, mailbox, terms] = await Promise.all([
    threadForAi(
      { workspaceId: member.workspaceId, ticketId: ticket.id, publicOnly: !options.useNotes },
      {
        messageChars: MESSAGE_CHARS,
        // The customer's words without the history their mail program quoted below them (in
        // order, their answers between quoted questions included); a form's text as written.
        textOf: (m) => (m.authorUserId === null ? customerWords(m.bodyText, m.byEmail) : m.bodyText),
      },
    ),
    getMailbox(db, { workspaceId: member.workspaceId, id: ticket.mailboxId }),
    ticketTerms(member.workspaceId, ticket.id),
  ])
  const [canned, similar] = await Promise.all([
    relevantCannedResponses(db, { workspaceId: member.workspaceId, terms, limit: 3 }),
    listSimilarTickets(member.workspaceId, ticket.id, terms),
  ])
  const examples = similar.slice(0, 3)
  const replies = await finalReplies(db, {
    workspaceId: member.workspaceId,
    ticketIds: examples.map((t) => t.id),
  })
  const input: DraftInput = {
    customer: { name: ticket.contactName, email: ticket.contactEmail },
    agent: { name: member.user.name },
    subject: ticket.subject,
    signature: mailbox?.signature ?? '',
    thread,
    earlierLeftOut: leftOut,
    cannedResponses: canned.map((c) => ({ title: c.title, body: c.body })),
    exampleReplies: examples.flatMap((t) => {
      const reply = replies.find((r) => r.ticketId === t.id)
      return reply ? [{ subject: t.subject, reply: reply.bodyText }] : []
    }),
    language: options.language,
    instruction: options.instruction,
    previousDraft: options.previousDraft,
  }
  return { ticketId: ticket.id, input }
}

/** Starts streaming a reply draft (see runStream); `signal` is the agent's request. */
export async function streamDraft(member: Agent, number: number, options: DraftOptions, signal: AbortSignal) {
  const { ticketId, input } = await draftInput(member, number, options)
  return runStream(
    'draft',
    { workspaceId: member.workspaceId, ticketId, userId: member.userId, mode: 'interactive', signal },
    draftMessages(input),
  )
}

const RewriteAnswer = z.object({ text: z.string().trim().min(1).max(50_000) })

/** The agent's text rewritten; the composer shows it as a preview, never replacing on its own. */
export async function rewriteText(
  member: Agent,
  number: number,
  input: { text: string; mode: RewriteMode; language: string | null },
  signal: AbortSignal,
) {
  const ticket = await requireTicket(member, number)
  return runStructured(
    'rewrite',
    {
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      userId: member.userId,
      mode: 'interactive',
      signal,
    },
    RewriteAnswer,
    rewriteMessages(input),
    { name: 'rewrite' },
  )
}
