import { randomUUID } from 'node:crypto'
import { setTimeout as wait } from 'node:timers/promises'
import { getDb } from '#db/client.ts'
import { aiRunHolder, claimAiRun, deleteLapsedAiRunClaims, releaseAiRun } from '#db/queries/ai-run-claims.ts'
import { lastAiRunOutcomeSince } from '#db/queries/ai.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import {
  AI_TIMEOUT_MS,
  PROVIDER_BUSY_ERROR_CLASSES,
  type AiContext,
  type AiRefusal,
  type AiRefusalReason,
} from './client.server.ts'
import { AI_MESSAGES, type AiFeature } from './features.ts'

/**
 * How long a claim holds, per kind of call: its deadline (20 s interactive, 60 s for a job) and
 * 40 s for the writes after it, so a live call's claim never lapses; a claim whose process died
 * frees up after it.
 */
export const AI_RUN_LEASE_SECONDS = {
  interactive: AI_TIMEOUT_MS.interactive / 1000 + 40,
  job: AI_TIMEOUT_MS.job / 1000 + 40,
} as const satisfies Record<AiContext['mode'], number>

/**
 * How long past its lease a claim nobody released is kept before the cleanup deletes it: a
 * lapsed claim is free to take over already; the margin only keeps the sweep clear of a claim
 * whose holder is in its last writes.
 */
export const AI_RUN_SWEEP_MARGIN_SECONDS = 5 * 60

/**
 * How long a click that lost the claim waits for the holder's call before it answers that the
 * call is still running: a click does not hang for a job's whole call (60 s), nor for the lease a
 * dead process's claim keeps (up to 100 s). Summarize, Translate, Send in <language> and Triage now.
 */
export const CLICK_WAIT_MS = 5_000

/** How often a click that lost the claim looks whether the winner's call has ended. */
const WAIT_POLL_MS = 200

/** The claim key of a ticket's triage call: the job's and an agent's "Triage now" share it. */
export const triageClaimKey = (ticketId: string) => `triage:${ticketId}`

type ClaimOn = { workspaceId: string; key: string }
type ClaimOptions = { mode?: AiContext['mode'] }

export type OneRun<T> =
  | { ran: true; value: T }
  /**
   * Another click held the claim; its call has ended (stored its result, or not: look). `since`:
   * the database's time when this caller found it held, for what the holder recorded after it.
   */
  | { ran: false; waited: 'ended'; since: Date }
  /** This request was cancelled while it waited. */
  | { ran: false; waited: 'cancelled' }

/**
 * Runs `call` (a model call and the write of its result) while holding the claim on `key`, if
 * this caller wins it; the claim ends when `call` does, whatever its outcome. The claim is a row
 * with a lease (ai_run_claims), not a lock: no transaction or connection is held during the call,
 * and other instances see it too. Undefined when someone else holds it.
 */
async function withClaim<T>(where: ClaimOn, call: () => Promise<T>, { mode = 'interactive' }: ClaimOptions) {
  const claim = randomUUID()
  if (!(await claimAiRun(getDb(), { ...where, claim, leaseSeconds: AI_RUN_LEASE_SECONDS[mode] }))) {
    return undefined
  }
  try {
    return { value: await call() }
  } finally {
    await releaseAiRun(getDb(), { ...where, claim })
  }
}

/**
 * Runs `call` only if this request wins the claim on `key`, so parallel clicks for the same thing
 * make one call. A click that loses waits until the winner's claim ends (its result is written by
 * then) without holding a transaction or a pool connection, polling one small row, and the
 * caller reads what the winner stored; but at most `maxWaitMs` (CLICK_WAIT_MS for a click): then
 * it answers `still-running`, and the holder's result reaches the page as a live update (a claim
 * its dead process left lapses with its lease, up to 100 s for a job's). Before, Summarize and
 * Translate clicks waited for the holder without bound.
 */
export async function runOnceWithin<T>(
  where: ClaimOn,
  call: () => Promise<T>,
  signal: AbortSignal | undefined,
  maxWaitMs: number,
  options: ClaimOptions = {},
): Promise<OneRun<T> | { ran: false; waited: 'still-running' }> {
  const won = await withClaim(where, call, options)
  if (won) return { ran: true, value: won.value }
  const waited = await waitForClaim(where, signal, Date.now() + maxWaitMs)
  return waited === 'still-running' ? { ran: false, waited } : waited
}

/** Polls the claim on `key` until it ends, the request is cancelled, or `deadline` (epoch ms) passes. */
async function waitForClaim(where: ClaimOn, signal: AbortSignal | undefined, deadline: number) {
  let since: Date | undefined
  for (;;) {
    const { held, at } = await aiRunHolder(getDb(), where)
    since ??= at
    if (signal?.aborted) return { ran: false as const, waited: 'cancelled' as const }
    if (!held) return { ran: false as const, waited: 'ended' as const, since }
    const left = deadline - Date.now()
    if (left <= 0) return 'still-running' as const
    // An abort ends the pause early; the loop then returns.
    await wait(Math.min(WAIT_POLL_MS, left), undefined, { signal }).catch(() => undefined)
  }
}

/**
 * Runs `call` under the claim on `key` unless someone holds it, without waiting: for a job,
 * whose work the holder is doing already (the triage job and an agent's "Triage now").
 */
export async function runUnlessClaimed<T>(
  where: ClaimOn,
  call: () => Promise<T>,
  options: ClaimOptions = {},
): Promise<{ ran: true; value: T } | { ran: false }> {
  const won = await withClaim(where, call, options)
  return won ? { ran: true, value: won.value } : { ran: false }
}

/** The answer of a click whose holder's call had not ended when it stopped waiting. */
export type StillRunning = { ok: false; reason: 'running'; message: string }

/**
 * What the call a click waited for ended with when it stored nothing: its model call's outcome
 * (its ai_runs row since the click found the claim held: the model gave no usable answer, timed
 * out, failed, the provider was busy; `failed` for an `ok` call whose write failed after it).
 * Undefined when it made no call (refused before calling, or its process died).
 */
export async function holderCallOutcome(
  where: { workspaceId: string; ticketId: string },
  feature: AiFeature,
  since: Date,
): Promise<AiRefusalReason | undefined> {
  const called = await lastAiRunOutcomeSince(getDb(), { ...where, feature, since })
  if (!called) return undefined
  // A busy provider (429, 503): the waiting clicks are told to try again later, as the caller is.
  if (called.outcome === 'failed' && PROVIDER_BUSY_ERROR_CLASSES.includes(called.errorClass ?? ''))
    return 'provider-busy'
  return called.outcome === 'ok' ? 'failed' : called.outcome
}

/**
 * The answer of a click that waited for another's call and found no result stored: still running
 * (it will arrive live), cancelled, or the holder's real failure (holderCallOutcome; "No
 * suggestion right now" when it made no call). Before, every such click said "No suggestion".
 */
export async function waitedWithoutResult(
  run: { waited: 'ended'; since: Date } | { waited: 'cancelled' } | { waited: 'still-running' },
  holder: { workspaceId: string; ticketId: string; feature: AiFeature },
): Promise<AiRefusal | StillRunning> {
  if (run.waited === 'still-running') {
    return { ok: false, reason: 'running', message: AI_MESSAGES.stillRunning }
  }
  const reason =
    run.waited === 'cancelled'
      ? 'cancelled'
      : ((await holderCallOutcome(holder, holder.feature, run.since)) ?? 'failed')
  return {
    ok: false,
    reason,
    message: reason === 'provider-busy' ? AI_MESSAGES.providerBusy : AI_MESSAGES.noSuggestion,
  }
}

/**
 * The event that reloads the ticket's pages once a result of an agent's AI call was stored (a
 * summary, a translation): the clicks that stopped waiting for it were told it would appear.
 */
export function aiResultStored(
  member: { workspaceId: string; userId: string },
  ticket: { id: string; number: number },
  changes: { summary: true } | { translation: string },
): TicketEvent {
  return {
    type: 'ticket.updated',
    workspaceId: member.workspaceId,
    ticketId: ticket.id,
    number: ticket.number,
    changes,
    actorUserId: member.userId,
    at: new Date().toISOString(),
  }
}

/** How many deleted claims one statement of the sweep deletes at most. */
const SWEEP_BATCH = 1000

/**
 * The cleanup's sweep: deletes claims whose lease ended more than AI_RUN_SWEEP_MARGIN_SECONDS ago
 * (a process that died during its call left them; a live holder deletes its own), a batch at a
 * time so no statement locks many rows. Returns how many went.
 */
export async function sweepLapsedAiRunClaims() {
  let deleted = 0
  for (;;) {
    const n = await deleteLapsedAiRunClaims(getDb(), {
      marginSeconds: AI_RUN_SWEEP_MARGIN_SECONDS,
      batch: SWEEP_BATCH,
    })
    deleted += n
    if (n < SWEEP_BATCH) return deleted
  }
}
