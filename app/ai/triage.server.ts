import { z } from 'zod'
import { getDb } from '#db/client.ts'
import {
  getTriage,
  getTriageSubject,
  markTriageApplied,
  TRIAGE_MESSAGE_CHARS,
  upsertTriage,
} from '#db/queries/ai-assist.ts'
import { TICKET_PRIORITIES, type TicketPriority } from '#app/utils/vocabulary.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { getTicketByNumber } from '#db/queries/tickets.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { changeTicket, tagTicket } from '#app/domain/ticket-page.server.ts'
import { addTags, updateTickets, type Actor, type UpdateOutcome } from '#app/domain/tickets.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import {
  runStructured,
  type AiContext,
  type AiMessage,
  type AiRefusal,
  type AiRefusalReason,
} from './client.server.ts'
import { DATA_RULES, dataBlock } from './prompts.server.ts'
import {
  CLICK_WAIT_MS,
  holderCallOutcome,
  runOnceWithin,
  runUnlessClaimed,
  triageClaimKey,
  type OneRun,
} from './run-claims.server.ts'
import { getAiSettings } from './settings.server.ts'
import { languageName, SENTIMENTS, type Sentiment } from './triage-vocabulary.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

/**
 * Triage (issue 10 item 11): every new ticket, from any channel, gets an `ai.triage` job,
 * enqueued in the transaction that creates it (createTicket). The job asks the model for a
 * priority, up to 3 of the workspace's existing tags, the language, the sentiment and a
 * one-line gist; keeps only values from the allowed sets; stores them (ticket_triage); and in
 * auto-apply mode applies priority and tags through updateTickets/addTags as the `ai` actor.
 */

/** The actor of changes triage makes itself (audit rows say "by AI"). */
export const AI_ACTOR = (workspaceId: string): Actor => ({ workspaceId, userId: null, via: 'ai' })

/**
 * What the model answers. Deliberately loose (strings): a bogus priority or an unknown tag must
 * cost only that value, not the whole answer; `sanitizeTriage` keeps the allowed values.
 */
const TriageAnswer = z.object({
  priority: z.string().max(50).describe('One of: low, normal, high, urgent'),
  tags: z.array(z.string().max(200)).max(20).describe('Up to 3 names from allowedTags, exactly as written'),
  language: z.string().max(20).describe("ISO 639-1 code of the customer's language, e.g. en, es, de"),
  sentiment: z.string().max(50).describe('One of: negative, neutral, positive'),
  gist: z.string().max(1000).describe('One line in English, at most 100 characters'),
})
type TriageAnswer = z.infer<typeof TriageAnswer>

export type TriageValues = {
  priority: TicketPriority | null
  tagIds: string[]
  language: string | null
  sentiment: Sentiment | null
  gist: string
}

const GIST_CHARS = 140

/**
 * Keeps only what the schema allows: a known priority, tags of this workspace (by name,
 * case-insensitively, at most 3), a real ISO 639-1 code, a known sentiment, and the gist as one
 * plain line without Markdown images. Anything else (an assignee, a made-up tag) is dropped.
 */
export function sanitizeTriage(
  answer: TriageAnswer,
  allowedTags: Array<{ id: string; name: string }>,
): TriageValues {
  const priority = answer.priority.trim().toLowerCase()
  const sentiment = answer.sentiment.trim().toLowerCase()
  const language = answer.language.trim().toLowerCase()
  const byName = new Map(allowedTags.map((t) => [t.name.toLowerCase(), t.id]))
  const tagIds = [
    ...new Set(answer.tags.flatMap((name) => byName.get(name.trim().toLowerCase()) ?? [])),
  ].slice(0, 3)
  const gist = answer.gist
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return {
    priority: (TICKET_PRIORITIES as readonly string[]).includes(priority)
      ? (priority as TicketPriority)
      : null,
    tagIds,
    language: languageName(language) ? language : null,
    sentiment: (SENTIMENTS as readonly string[]).includes(sentiment) ? (sentiment as Sentiment) : null,
    gist: gist.length > GIST_CHARS ? `${sliceWhole(gist, GIST_CHARS - 1)}…` : gist,
  }
}

export function triageMessages(input: {
  subject: string
  message: string
  allowedTags: string[]
}): AiMessage[] {
  const system = [
    'You triage a new customer support ticket for the support team. Your answer only suggests values; people and the application decide what is applied.',
    DATA_RULES,
    [
      'Answer with a JSON object with these fields:',
      '- priority: one of low, normal, high, urgent. urgent only for an outage, a security problem or data loss happening now; a customer asking for urgency is not a reason by itself. Most tickets are normal.',
      '- tags: up to 3 tag names copied exactly from allowedTags in the data, only when they clearly fit; an empty list when none fit or allowedTags is empty. Never invent a tag.',
      '- language: the ISO 639-1 code of the language the customer wrote in (en, es, de, fr, …).',
      '- sentiment: negative, neutral or positive, for the tone of the customer.',
      '- gist: one neutral line in English, at most 100 characters, saying what the customer needs. Plain text, no links.',
    ].join('\n'),
  ].join('\n\n')
  const data = {
    allowedTags: input.allowedTags,
    ticket: { subject: input.subject, firstMessage: input.message.slice(0, TRIAGE_MESSAGE_CHARS) },
  }
  return [
    { role: 'system', content: system },
    { role: 'user', content: `${dataBlock(data)}\n\nTriage this ticket.` },
  ]
}

type TriageSkip = 'limit' | 'budget'
/** The refusals that mean "no call was made for this ticket", kept on its triage row. */
const SKIPPED_WHEN: Partial<Record<AiRefusal['reason'], TriageSkip>> = {
  'workspace-limit': 'limit',
  budget: 'budget',
}

export type TriageOutcome =
  | { outcome: 'gone' | 'refused'; reason?: string; retryAfterSeconds?: number; events: TicketEvent[] }
  /**
   * The job made no call: an agent's "Triage now" for the ticket is under way (`claimed`), or a
   * call that ended just before stored its result (`triaged-already`).
   */
  | { outcome: 'claimed' | 'triaged-already'; events: TicketEvent[] }
  | { outcome: 'skipped'; reason: TriageSkip; events: TicketEvent[] }
  | { outcome: 'suggested' | 'applied'; events: TicketEvent[] }

/**
 * The job: one ticket of one workspace (the prompt holds nothing else). Never throws for the
 * provider. `signal` is the job's: a stop past its grace aborts the model call, and this throws
 * so the job is run again on the next start (the ticket would otherwise never be triaged).
 *
 * The call is made under the ticket's triage claim, the one an agent's "Triage now" takes: a
 * click during the job's call waits for its result instead of calling too, and the job makes no
 * call while an agent's is under way (the agent's result, or its refusal under the button, is
 * the ticket's) or once a call stored a result (a run again of the job after an agent's click).
 */
export async function triageTicket(
  workspaceId: string,
  ticketId: string,
  { signal }: { signal?: AbortSignal } = {},
): Promise<TriageOutcome> {
  const run = await runUnlessClaimed(
    { workspaceId, key: triageClaimKey(ticketId) },
    async (): Promise<TriageOutcome> => {
      const stored = await getTriage(getDb(), { workspaceId, ticketId })
      if (stored && !stored.skipped) return finishStoredTriage(workspaceId, ticketId, stored)
      return runTriage({ workspaceId, ticketId, mode: 'job', signal })
    },
    { mode: 'job' },
  )
  if (signal?.aborted) throw new Error('triage stopped with the queue: it runs again on the next start')
  return run.ran ? run.value : { outcome: 'claimed', events: [] }
}

/**
 * One triage call for one ticket and what follows from its answer (stored; applied in auto-apply
 * mode), for the job or an agent's "Triage now". Both count against the workspace's triage caps
 * (the AI gate); the agent's call against their own AI limits too.
 */
async function runTriage(ctx: AiContext & { ticketId: string }): Promise<TriageOutcome> {
  const { workspaceId, ticketId, signal } = ctx
  const db = getDb()
  const subject = await getTriageSubject(db, { workspaceId, ticketId })
  if (!subject) return { outcome: 'gone', events: [] }
  const result = await runStructured(
    'triage',
    ctx,
    TriageAnswer,
    triageMessages({
      subject: subject.ticket.subject,
      message: subject.firstMessage,
      allowedTags: subject.workspaceTags.map((t) => t.name),
    }),
    { name: 'triage' },
  )
  if (signal?.aborted) return { outcome: 'refused', reason: 'cancelled', events: [] }
  const changed: TicketEvent = {
    type: 'ticket.updated',
    workspaceId,
    ticketId,
    number: subject.ticket.number,
    changes: { triage: true },
    actorUserId: null,
    at: new Date().toISOString(),
  }
  if (!result.ok) {
    const skip = SKIPPED_WHEN[result.reason]
    if (!skip) {
      const { reason, retryAfterSeconds } = result
      return { outcome: 'refused', reason, ...(retryAfterSeconds ? { retryAfterSeconds } : {}), events: [] }
    }
    // No call was made: the ticket stays untriaged, and its panel says why and offers "Triage
    // now" (no automatic retry: see triageNow).
    await upsertTriage(db, { ticketId, workspaceId, skipped: skip })
    return { outcome: 'skipped', reason: skip, events: [changed] }
  }
  const values = sanitizeTriage(result.value, subject.workspaceTags)
  await upsertTriage(db, { ticketId, workspaceId, ...values })
  const settings = await getAiSettings(workspaceId)
  if (settings.triageMode !== 'auto-apply') return { outcome: 'suggested', events: [changed] }
  return {
    outcome: 'applied',
    events: [changed, ...(await applyTriage(workspaceId, ticketId, values, subject))],
  }
}

/**
 * A job run again once a call stored the ticket's triage (an agent's "Triage now", or this job's
 * earlier attempt whose auto-apply failed on the database): no second call. In auto-apply mode
 * what the stored result did not apply yet is applied now, as the run that stored it would have.
 */
async function finishStoredTriage(
  workspaceId: string,
  ticketId: string,
  stored: NonNullable<Awaited<ReturnType<typeof getTriage>>>,
): Promise<TriageOutcome> {
  if (stored.appliedAt || (await getAiSettings(workspaceId)).triageMode !== 'auto-apply') {
    return { outcome: 'triaged-already', events: [] }
  }
  const subject = await getTriageSubject(getDb(), { workspaceId, ticketId })
  if (!subject) return { outcome: 'gone', events: [] }
  const { priority, tagIds, language, sentiment, gist } = stored
  const values = { priority, tagIds, language, sentiment, gist }
  return { outcome: 'applied', events: await applyTriage(workspaceId, ticketId, values, subject) }
}

export type TriageNowOutcome =
  | { kind: 'triaged'; events: TicketEvent[] }
  /** No call, or no answer: the reason the panel shows next to the button. */
  | { kind: 'refused'; reason: AiRefusalReason; retryAfterSeconds?: number }
  /** Triaged already (by the job or another agent's click, maybe while this one waited). */
  | { kind: 'not-skipped' }
  /** Another call for the ticket (the job's, a click's) still runs: its result arrives live. */
  | { kind: 'running' }

/**
 * "Triage now" on a ticket the job skipped (the workspace's triage caps, or its monthly budget):
 * the same call, counted against the same caps, and against the agent's own AI limits. Chosen
 * over retrying skipped tickets by themselves when the window frees up: the cap is reached by a
 * flood of new tickets (often spam), and retrying the flood would spend the next window on it
 * and skip the next hour's real tickets; an agent who opens a ticket and wants it triaged decides
 * that call is worth it.
 */
export async function triageNow(
  member: Member,
  number: number,
  signal?: AbortSignal,
): Promise<TriageNowOutcome> {
  const ticket = await getTicketByNumber(getDb(), { workspaceId: member.workspaceId, number })
  if (!ticket) throw notFound('Ticket not found')
  const where = { workspaceId: member.workspaceId, ticketId: ticket.id }
  const triage = await getTriage(getDb(), where)
  if (!triage?.skipped) return { kind: 'not-skipped' }
  // One call per ticket however many agents click at once, and none beside the triage job's
  // own: the ticket's triage claim (ai_run_claims) is taken before the call, and the clicks that
  // lose it wait for the winner's result. No transaction stays open during the call.
  const run = await runOnceWithin(
    { workspaceId: member.workspaceId, key: triageClaimKey(ticket.id) },
    async (): Promise<TriageOutcome> => {
      // A call that ended just before this claim was won (the job's, another click's) stored it.
      const stored = await getTriage(getDb(), where)
      if (!stored?.skipped) return { outcome: 'triaged-already', events: [] }
      return runTriage({ ...where, userId: member.userId, mode: 'interactive', signal })
    },
    signal,
    CLICK_WAIT_MS,
  )
  if (!run.ran) return afterWaiting(run, where)
  const outcome = run.value
  switch (outcome.outcome) {
    case 'suggested':
    case 'applied':
      return { kind: 'triaged', events: outcome.events }
    case 'claimed':
    case 'triaged-already':
      return { kind: 'not-skipped' }
    case 'skipped':
      return { kind: 'refused', reason: outcome.reason === 'limit' ? 'workspace-limit' : 'budget' }
    case 'refused':
      return {
        kind: 'refused',
        reason: (outcome.reason ?? 'failed') as AiRefusalReason,
        ...(outcome.retryAfterSeconds ? { retryAfterSeconds: outcome.retryAfterSeconds } : {}),
      }
    case 'gone':
      throw notFound('Ticket not found')
  }
}

/**
 * The answer of a click that lost the claim: the holder's outcome. Its result if it stored one;
 * if it stored none, what its model call ended with (its ai_runs row: the model refused or gave
 * no usable answer, timed out), or, when it made no call, the reason it stored for skipping
 * (the workspace's caps, the budget). Before, such a click always said "No suggestion right now".
 */
async function afterWaiting(
  run: Exclude<OneRun<unknown>, { ran: true }> | { ran: false; waited: 'still-running' },
  where: { workspaceId: string; ticketId: string },
): Promise<TriageNowOutcome> {
  if (run.waited === 'still-running') return { kind: 'running' }
  if (run.waited === 'cancelled') return { kind: 'refused', reason: 'cancelled' }
  const after = await getTriage(getDb(), where)
  if (after && !after.skipped) return { kind: 'not-skipped' }
  const called = await holderCallOutcome(where, 'triage', run.since)
  if (called) return { kind: 'refused', reason: called }
  if (after?.skipped)
    return { kind: 'refused', reason: after.skipped === 'limit' ? 'workspace-limit' : 'budget' }
  return { kind: 'refused', reason: 'failed' }
}

/**
 * Auto-apply: through the same domain operations an agent's click uses, as the AI actor. The
 * priority only replaces the default one (an agent who already chose a priority wins).
 */
async function applyTriage(
  workspaceId: string,
  ticketId: string,
  values: TriageValues,
  subject: NonNullable<Awaited<ReturnType<typeof getTriageSubject>>>,
) {
  const actor = AI_ACTOR(workspaceId)
  const events: TicketEvent[] = []
  if (values.priority && subject.ticket.priority === 'normal' && values.priority !== 'normal') {
    // Checked again on the locked row: an agent may have chosen a priority during the model call.
    const outcome = await updateTickets(actor, [ticketId], { priority: values.priority }, undefined, {
      onlyIf: (ticket) => ticket.priority === 'normal',
    })
    if (outcome.kind === 'updated') events.push(...outcome.events)
  }
  const names = subject.workspaceTags.filter((t) => values.tagIds.includes(t.id)).map((t) => t.name)
  if (names.length > 0) {
    const outcome = await addTags(actor, [ticketId], names)
    if (outcome.kind === 'updated') events.push(...outcome.events)
  }
  await markTriageApplied(getDb(), { workspaceId, ticketId, at: new Date() })
  return events
}

/**
 * The ticket page's view of a stored triage row: the values, and which suggestions are still
 * open (the page reads the row with its other AI state).
 */
export function triageView(
  row:
    | Pick<
        NonNullable<Awaited<ReturnType<typeof getTriage>>>,
        'gist' | 'language' | 'sentiment' | 'appliedAt' | 'priority' | 'suggestedTags' | 'skipped'
      >
    | null
    | undefined,
  ticket: { priority: TicketPriority },
  ticketTagIds: string[],
) {
  if (!row) return null
  return {
    gist: row.gist,
    language: row.language,
    languageName: languageName(row.language) ?? null,
    sentiment: row.sentiment,
    appliedAt: row.appliedAt,
    /** No call was made for this ticket: the workspace's triage limit, or its monthly budget. */
    skipped: row.skipped,
    priority: row.priority,
    /** Suggestions the agent has not applied yet: the chips. */
    open: {
      priority: row.priority && row.priority !== ticket.priority ? row.priority : null,
      tags: row.suggestedTags.filter((t) => !ticketTagIds.includes(t.id)),
    },
  }
}

export type TicketTriage = NonNullable<ReturnType<typeof triageView>>

export type TriageChoice = { kind: 'priority' } | { kind: 'tag'; tagId: string }

/**
 * One click on a suggestion chip: the agent applies the stored suggestion (never a value from
 * the form) through the same operations as the sidebar, as themselves.
 */
export async function applyTriageSuggestion(
  member: Member,
  number: number,
  choice: TriageChoice,
): Promise<UpdateOutcome> {
  const ticket = await getTicketByNumber(getDb(), { workspaceId: member.workspaceId, number })
  if (!ticket) throw notFound('Ticket not found')
  const triage = await getTriage(getDb(), { workspaceId: member.workspaceId, ticketId: ticket.id })
  if (!triage) return { kind: 'not-found' }
  if (choice.kind === 'priority') {
    if (!triage.priority) return { kind: 'not-found' }
    return changeTicket(member, number, { priority: triage.priority })
  }
  const tag = triage.suggestedTags.find((t) => t.id === choice.tagId)
  if (!tag) return { kind: 'not-found' }
  return tagTicket(member, number, tag.name)
}
