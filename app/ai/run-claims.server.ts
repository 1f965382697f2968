import { randomUUID } from 'node:crypto'
import { setTimeout as wait } from 'node:timers/promises'
import { getDb } from '#db/client.ts'
import { aiRunHeld, claimAiRun, releaseAiRun } from '#db/queries/ai-run-claims.ts'
import type { AiRefusal } from './client.server.ts'
import { AI_MESSAGES } from './features.ts'

/**
 * How long a claim holds: past the interactive call's 20 s deadline and the writes after it, so
 * a live call's claim never lapses; a claim whose process died frees up after it.
 */
export const AI_RUN_LEASE_SECONDS = 60

/** How often a click that lost the claim looks whether the winner's call has ended. */
const WAIT_POLL_MS = 200

export type OneRun<T> =
  | { ran: true; value: T }
  /** Another click held the claim; its call has ended (stored its result, or not: look). */
  | { ran: false; waited: 'ended' }
  /** This request was cancelled while it waited. */
  | { ran: false; waited: 'cancelled' }

/**
 * Runs `call` (a model call and the write of its result) only if this request wins the claim on
 * `key`, so parallel clicks for the same thing make one call. A click that loses waits until the
 * winner's claim ends (its result is written by then) without holding a transaction or a pool
 * connection, polling one small row, and the caller reads what the winner stored. The claim is
 * a row with a lease (ai_run_claims), not a lock: other instances see it too.
 */
export async function runOnce<T>(
  where: { workspaceId: string; key: string },
  call: () => Promise<T>,
  signal?: AbortSignal,
): Promise<OneRun<T>> {
  const claim = randomUUID()
  if (await claimAiRun(getDb(), { ...where, claim, leaseSeconds: AI_RUN_LEASE_SECONDS })) {
    try {
      return { ran: true, value: await call() }
    } finally {
      await releaseAiRun(getDb(), { ...where, claim })
    }
  }
  while (await aiRunHeld(getDb(), where)) {
    if (signal?.aborted) return { ran: false, waited: 'cancelled' }
    // An abort ends the pause early; the loop then returns.
    await wait(WAIT_POLL_MS, undefined, { signal }).catch(() => undefined)
  }
  return signal?.aborted ? { ran: false, waited: 'cancelled' } : { ran: false, waited: 'ended' }
}

/**
 * The answer of a click that waited for another's call which stored nothing (refused, failed,
 * its process died) or that was cancelled while waiting: like the winner's own failure.
 */
export function waitedInVain(waited: 'ended' | 'cancelled'): AiRefusal {
  return { ok: false, reason: waited === 'ended' ? 'failed' : 'cancelled', message: AI_MESSAGES.noSuggestion }
}
