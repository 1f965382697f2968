import { getDb } from '#db/client.ts'
import {
  deleteExpiredRateLimitCounters,
  deleteRateLimitCounters,
  releaseRateLimitSlot,
  takeRateLimitSlot,
} from '#db/queries/rate-limits.ts'

/** At most `max` slots per `windowMs` (a sliding window, estimated from two fixed windows). */
export type Limit = { max: number; windowMs: number }

export type Slot = {
  allowed: boolean
  /** Slots left after this one (0 when refused). */
  remaining: number
  /**
   * When `remaining` is 0: the earliest moment a slot frees up (a Retry-After). Otherwise the end
   * of the current fixed window, from when this window's count starts to fade out.
   */
  resetAt: Date
  /** Gives the slot back (the work it reserved did not happen). A no-op when refused. */
  release: () => Promise<void>
}

/**
 * Reserves a slot for `key` BEFORE doing the work it limits: one atomic SQL statement in
 * PostgreSQL, so parallel requests and other instances can never take more than `limit.max`
 * (see db/queries/rate-limits.ts for the statement and the sliding-window estimate).
 */
export async function takeSlot(key: string, limit: Limit): Promise<Slot> {
  const row = await takeRateLimitSlot(getDb(), { key, ...limit })
  // A refusal proves the window already held at least max − carried hits, even when this
  // statement's snapshot could not see a concurrent taker's row yet (seen is then null or stale).
  const current = row.taken ?? Math.max(row.seen ?? 0, limit.max - row.carried)
  const used = row.carried + current
  const remaining = row.taken === null ? 0 : Math.max(0, limit.max - used)
  const windowStart = row.windowStart
  let released = row.taken === null
  return {
    allowed: row.taken !== null,
    remaining,
    resetAt:
      remaining > 0
        ? new Date(windowStart.getTime() + limit.windowMs)
        : nextFreeSlot(limit, windowStart, row.previous, current),
    release: async () => {
      if (released) return
      released = true
      await releaseRateLimitSlot(getDb(), { key, windowStart })
    },
  }
}

/**
 * When the estimate floor(previous × (1 − elapsed/window)) + current first drops below max, with
 * no further hits: later in this window while the previous window fades, or else in the next
 * window as this one becomes the fading one.
 */
function nextFreeSlot(limit: Limit, windowStart: Date, previous: number, current: number) {
  const { max, windowMs } = limit
  const start = windowStart.getTime()
  const at =
    current < max && previous > 0
      ? start + windowMs * (1 - (max - current) / previous)
      : start + windowMs + windowMs * (1 - max / current)
  return new Date(Math.ceil(at) + 1)
}

/** Forgets every counted hit of `key` (e.g. a successful sign-in clears that email's failures). */
export async function clearSlots(key: string) {
  await deleteRateLimitCounters(getDb(), key)
}

/** Deletes the counters no window counts any more; run by the `sessions.cleanup` job. */
export async function deleteOldHits() {
  return deleteExpiredRateLimitCounters(getDb())
}
