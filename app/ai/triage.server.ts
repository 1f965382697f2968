import { z } from 'zod'
import { getDb } from '#db/client.ts'
import {
  getTicketNumberOf,
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
import { enqueue, type JobPayloads } from '#app/jobs/queue.server.ts'
import {
  AI_TIMEOUT_MS,
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

/** Why the ticket has no triage: no call was made (`limit`, `budget`), or the provider was busy each time. */
type TriageSkip = 'limit' | 'budget' | 'busy'
/** The refusals that mean "no call was made for this ticket", kept on its triage row. */
const SKIPPED_WHEN: Partial<Record<AiRefusal['reason'], TriageSkip>> = {
  'workspace-limit': 'limit',
  budget: 'budget',
}

/**
 * A triage job that meets a busy provider (429 rate limited, 503 overloaded) tries the ticket
 * again later instead of leaving it without triage (until 2026-12-07 it completed, and every
 * ticket of a busy hour went untriaged with no "Triage now" either). It queues a new job after
 * the provider's Retry-After (between `minWaitMs` and `maxWaitMs`), or without one after
 * `backoffMs` × 2ⁿ (1, 2, 4, 8, then 10 minutes), up to `calls` calls in all (the first and 5 tries
 * again), none starting later than `withinMs` after the ticket's first busy answer; then the
 * ticket's row says `busy` and its panel offers "Triage now". Meanwhile the row says `retrying`
 * (the panel says it is tried again, and offers "Triage now" too).
 */
export const TRIAGE_BUSY = {
  calls: 6,
  minWaitMs: 5_000,
  maxWaitMs: 10 * 60_000,
  backoffMs: 60_000,
  withinMs: 35 * 60_000,
} as const

/** Tests shorten the shortest wait, so a try again runs in milliseconds. */
const tuning = globalThis as unknown as { __switchboardAiTuning?: { triageBusyMinWaitMs?: number } }
const minBusyWaitMs = () => tuning.__switchboardAiTuning?.triageBusyMinWaitMs ?? TRIAGE_BUSY.minWaitMs

/** The wait after the `calls`-th busy answer of a ticket: its Retry-After, or the backoff, bounded. */
export function busyWaitMs(retryAfterSeconds: number | undefined, calls: number) {
  const asked = retryAfterSeconds
    ? retryAfterSeconds * 1000
    : TRIAGE_BUSY.backoffMs * 2 ** Math.max(0, calls - 1)
  return Math.min(TRIAGE_BUSY.maxWaitMs, Math.max(minBusyWaitMs(), asked))
}

/**
 * Per workspace, in this process: until when the provider is busy for its triage (`until`, from
 * the latest busy answer), and until when the one job that calls first after that (the probe) may
 * still be calling (`probeUntil`). The workspace's other triage jobs make no call meanwhile: they
 * are queued again for after it. A burst of 50 new tickets against a busy provider makes a few
 * calls (the jobs that ran at once before the first answer) and one per wait after, not one per
 * ticket and try. Another process finds out with its own first call.
 */
type BusyWorkspace = { until: number; probeUntil: number }
const busyWorkspaces = new Map<string, BusyWorkspace>()

/** How long a triage job of the workspace waits before calling; null: it calls now (maybe as the probe). */
function providerBusyFor(workspaceId: string): number | null {
  const state = busyWorkspaces.get(workspaceId)
  if (!state) return null
  const now = Date.now()
  if (state.until > now) return state.until - now
  if (state.probeUntil > now) return minBusyWaitMs()
  // This job is the probe: its call ends within the job's deadline.
  state.probeUntil = now + AI_TIMEOUT_MS.job + 10_000
  return null
}

/** What a triage call of the workspace learnt: busy for `busyForMs`, answered (null), or nothing (no call). */
function providerAnswered(workspaceId: string, busyForMs: number | null | 'no-call') {
  if (busyForMs === 'no-call') {
    const state = busyWorkspaces.get(workspaceId)
    if (state) state.probeUntil = 0
  } else if (busyForMs === null) busyWorkspaces.delete(workspaceId)
  else busyWorkspaces.set(workspaceId, { until: Date.now() + busyForMs, probeUntil: 0 })
}

/** A ticket's triage being tried again after a busy provider: the job's data (JobPayloads). */
type BusyTries = NonNullable<JobPayloads['ai.triage']['busy']>

export type TriageOutcome =
  | {
      outcome: 'gone' | 'refused'
      reason?: string
      retryAfterSeconds?: number
      /** provider-busy: how long the job waits before it tries again. */
      busyForMs?: number
      events: TicketEvent[]
    }
  /** The provider was busy: a new job tries again in `startAfterSeconds` (`calls` of them met it). */
  | { outcome: 'busy'; calls: number; startAfterSeconds: number; events: TicketEvent[] }
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
 *
 * A busy provider (429, 503) is tried again later by a new job (`TRIAGE_BUSY`, `busy` carries the
 * tries so far), and while the workspace's provider is known to be busy the job makes no call and
 * waits for it. Trying again takes no second slot of the workspace's triage caps (a busy answer
 * gives its slots back), and a ticket an agent triaged meanwhile is not triaged again.
 */
export async function triageTicket(
  workspaceId: string,
  ticketId: string,
  { signal, busy }: { signal?: AbortSignal; busy?: BusyTries } = {},
): Promise<TriageOutcome> {
  const run = await runUnlessClaimed(
    { workspaceId, key: triageClaimKey(ticketId) },
    async (): Promise<TriageOutcome> => {
      const stored = await getTriage(getDb(), { workspaceId, ticketId })
      if (stored && !stored.skipped) return finishStoredTriage(workspaceId, ticketId, stored)
      const where = { workspaceId, ticketId, busy, stored: stored?.skipped ?? null }
      const waitMs = providerBusyFor(workspaceId)
      if (waitMs !== null) return tryAgainLater({ ...where, waitMs, called: false })
      const outcome = await runTriage({ workspaceId, ticketId, mode: 'job', signal }, busy?.calls ?? 0)
      // Gone before its call: it learnt nothing, so the next job calls (were this one the probe).
      if (outcome.outcome === 'gone') providerAnswered(workspaceId, 'no-call')
      if (outcome.outcome !== 'refused' || outcome.busyForMs === undefined || signal?.aborted) return outcome
      return tryAgainLater({ ...where, waitMs: outcome.busyForMs, called: true })
    },
    { mode: 'job' },
  )
  if (signal?.aborted) throw new Error('triage stopped with the queue: it runs again on the next start')
  if (run.ran) return run.value
  // An agent's "Triage now" holds the claim. A ticket being tried again looks again shortly: the
  // agent's call may meet the busy provider too, and the row would then still say "tried again".
  if (busy && Date.now() + minBusyWaitMs() - Date.parse(busy.since) <= TRIAGE_BUSY.withinMs) {
    const startAfterSeconds = Math.ceil(minBusyWaitMs() / 1000)
    await enqueue(getDb(), 'ai.triage', { workspaceId, ticketId, busy }, { startAfterSeconds })
    return { outcome: 'busy', calls: busy.calls, startAfterSeconds, events: [] }
  }
  return { outcome: 'claimed', events: [] }
}

/**
 * The ticket's triage met a busy provider (`called`), or the job made no call while its workspace's
 * provider is busy: a new job for the ticket after `waitMs` (a little later, so a burst's jobs do
 * not all come due at once) and the row `retrying`, in one transaction; or, past its last call or
 * the time it may take, the row `busy` (its panel offers "Triage now").
 */
async function tryAgainLater(p: {
  workspaceId: string
  ticketId: string
  busy: BusyTries | undefined
  stored: TriageSkip | 'retrying' | null
  waitMs: number
  called: boolean
}): Promise<TriageOutcome> {
  const { workspaceId, ticketId } = p
  const now = Date.now()
  const since = p.busy ? Date.parse(p.busy.since) : now
  const calls = (p.busy?.calls ?? 0) + (p.called ? 1 : 0)
  const waitMs = p.waitMs + Math.floor(Math.random() * Math.min(p.waitMs / 4, 30_000))
  const number = await getTicketNumberOf(getDb(), { workspaceId, ticketId })
  if (number === undefined) return { outcome: 'gone', events: [] }
  const changed = triageChanged(workspaceId, ticketId, number)
  if (calls >= TRIAGE_BUSY.calls || now + waitMs - since > TRIAGE_BUSY.withinMs) {
    await upsertTriage(getDb(), { ticketId, workspaceId, skipped: 'busy' })
    return { outcome: 'skipped', reason: 'busy', events: [changed] }
  }
  const startAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000))
  const next = { since: new Date(since).toISOString(), calls }
  await getDb().transaction(async (tx) => {
    if (p.stored !== 'retrying') await upsertTriage(tx, { ticketId, workspaceId, skipped: 'retrying' })
    await enqueue(tx, 'ai.triage', { workspaceId, ticketId, busy: next }, { startAfterSeconds })
  })
  return { outcome: 'busy', calls, startAfterSeconds, events: p.stored === 'retrying' ? [] : [changed] }
}

/** The live event of a change of the ticket's triage row: open pages reload their panel. */
function triageChanged(workspaceId: string, ticketId: string, number: number): TicketEvent {
  return {
    type: 'ticket.updated',
    workspaceId,
    ticketId,
    number,
    changes: { triage: true },
    actorUserId: null,
    at: new Date().toISOString(),
  }
}

/**
 * One triage call for one ticket and what follows from its answer (stored; applied in auto-apply
 * mode), for the job or an agent's "Triage now". Both count against the workspace's triage caps
 * (the AI gate); the agent's call against their own AI limits too. What the call learnt of the
 * provider (busy or not) is kept for the workspace's triage jobs; `busyCalls`: how many calls of
 * this ticket met a busy provider before (the backoff's step).
 */
async function runTriage(ctx: AiContext & { ticketId: string }, busyCalls = 0): Promise<TriageOutcome> {
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
  const busyForMs =
    !result.ok && result.reason === 'provider-busy'
      ? busyWaitMs(result.retryAfterSeconds, busyCalls + 1)
      : undefined
  const calledProvider = result.ok || ['failed', 'invalid', 'timeout'].includes(result.reason)
  providerAnswered(workspaceId, busyForMs ?? (calledProvider ? null : 'no-call'))
  if (signal?.aborted) return { outcome: 'refused', reason: 'cancelled', events: [] }
  const changed = triageChanged(workspaceId, ticketId, subject.ticket.number)
  if (!result.ok) {
    const skip = SKIPPED_WHEN[result.reason]
    if (!skip) {
      const { reason, retryAfterSeconds } = result
      return {
        outcome: 'refused',
        reason,
        ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
        ...(busyForMs === undefined ? {} : { busyForMs }),
        events: [],
      }
    }
    // No call was made: the ticket stays untriaged, and its panel says why and offers "Triage
    // now" (no automatic retry: see triageNow; only a busy provider's is tried again).
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
  // Skipped, or not triaged for a busy provider (tried again by the job, or given up).
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
      return { kind: 'refused', reason: skipReason(outcome.reason) }
    case 'busy':
      return { kind: 'refused', reason: 'provider-busy' }
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
  if (after?.skipped) return { kind: 'refused', reason: skipReason(after.skipped) }
  return { kind: 'refused', reason: 'failed' }
}

/** What a click is told for a reason stored on the row (the job's call met a busy provider: busy). */
function skipReason(skipped: TriageSkip | 'retrying'): AiRefusalReason {
  if (skipped === 'limit') return 'workspace-limit'
  if (skipped === 'budget') return 'budget'
  return 'provider-busy'
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
    /**
     * No answer for this ticket: the workspace's triage limit, its monthly budget (no call), or a
     * busy provider (`retrying`: the job tries again; `busy`: it gave up).
     */
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
