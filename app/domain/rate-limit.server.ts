import { getDb, type DbOrTx, type Tx } from '#db/client.ts'
import { isDatabaseUnavailable } from '#db/unavailable.ts'
import {
  deleteExpiredRateLimitCounters,
  deleteRateLimitCounters,
  rateLimitSlotFree,
  releaseRateLimitSlot,
  takeRateLimitSlot,
  type SlotRow,
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
  /** The fixed window the slots were counted in: what giveBackSlots names later. */
  windowStart: Date
  /**
   * Gives back `count` of the slots taken (default: all not given back yet): the work they reserved
   * did not happen. A no-op when refused.
   */
  release: (count?: number) => Promise<void>
}

/** Whole seconds until the slot's resetAt (0 once it passed): what Retry-After and RateLimit-Reset say. */
export function secondsUntilReset(slot: Pick<Slot, 'resetAt'>) {
  return Math.max(0, Math.ceil((slot.resetAt.getTime() - Date.now()) / 1000))
}

/** Takes `count` slots at once: the counter row, and the key they were counted under (null: none). */
type Take<E> = (count: number) => Promise<{ row: SlotRow; key: string | null; extra: E }>
type Waiter = {
  limit: Limit
  /** Slots this caller takes (all or none). */
  count: number
  take: Take<unknown>
  resolve: (taken: { slot: Slot | null; extra: unknown }) => void
  reject: (error: unknown) => void
}
type Pending = { waiters: Waiter[]; running: boolean }
/** Per key: the callers waiting for the key's statement in flight to return. */
const pending = new Map<string, Pending>()

/**
 * Reserves a slot for `key` BEFORE doing the work it limits, counted atomically in PostgreSQL, so
 * parallel requests and other instances can never take more than `limit.max` (see
 * db/queries/rate-limits.ts for the statement and the sliding-window estimate).
 *
 * Callers of one key in this process are coalesced: while the key's statement is in flight, new
 * callers wait, and the next statement takes one slot for each of them at once (all or none; if
 * none, one slot is tried for the first and the rest wait again). One statement per key in flight
 * per process instead of one per request queueing on the counter row's lock (32 API requests of
 * one token were a convoy of 32 row-lock waits). Exact all the same: every slot handed out was
 * counted in PostgreSQL before, within the limit.
 */
export async function takeSlot(key: string, limit: Limit, count = 1): Promise<Slot> {
  const taken = await takeSlotWith(
    key,
    limit,
    async (total) => ({
      row: await takeRateLimitSlot(getDb(), { key, ...limit, count: total }),
      key,
      extra: undefined,
    }),
    count,
  )
  return taken.slot!
}

/**
 * Whether takeSlot would give `key` a slot now, without taking one (a read): for refusing early,
 * before work that costs even when it is then refused (an upload's files written to disk). Not a
 * reservation: the work is still reserved with takeSlot, which decides.
 */
export async function slotFree(key: string, limit: Limit, count = 1) {
  return rateLimitSlotFree(getDb(), { key, ...limit, count })
}

/**
 * takeSlot on the caller's open transaction, for work decided inside it (an inbound filing's new
 * ticket and its acknowledgement). takeSlot there would wait for a second pool connection while
 * the transaction holds one: as many filings at once as the pool has connections, and none could
 * go on (each waiting for a connection the others hold). Here the counter row stays locked until
 * the transaction ends, so takers of the same key wait for it (exact all the same), and the slots
 * go back with a rollback, or with a deadlock retry that runs the callback again. `release` too
 * runs on `tx`, so only before it ends. Not coalesced: each transaction counts its own.
 */
export async function takeSlotIn(tx: Tx, key: string, limit: Limit, count = 1): Promise<Slot> {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`takeSlot: count must be 1 or more, not ${count}`)
  const row = await takeRateLimitSlot(tx, { key, ...limit, count, inCallersTransaction: true })
  return slotOf(key, limit, row, 0, count, () => tx)
}

/**
 * takeSlot's coalescing for a statement that does more than count (the API's token lookup and
 * slot in one statement, app/domain/api-tokens.server.ts): callers with the same `batchKey` share
 * one `take` per batch, each gets its own slot from the batch's row and the statement's `extra`.
 * `slot` is null when `take` counted nothing (its key was null: e.g. an unusable token).
 */
export function takeSlotWith<E>(
  batchKey: string,
  limit: Limit,
  take: Take<E>,
  /** Slots this caller needs at once (an email's recipients); all or none. */
  count = 1,
): Promise<{ slot: Slot | null; extra: E }> {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`takeSlot: count must be 1 or more, not ${count}`)
  return new Promise((resolve, reject) => {
    let entry = pending.get(batchKey)
    if (!entry) {
      entry = { waiters: [], running: false }
      pending.set(batchKey, entry)
    }
    entry.waiters.push({
      limit,
      count,
      take,
      resolve: resolve as Waiter['resolve'],
      reject,
    })
    if (!entry.running) void drain(batchKey, entry)
  })
}

async function drain(batchKey: string, entry: Pending) {
  entry.running = true
  while (entry.waiters.length > 0) {
    const { limit, take } = entry.waiters[0]!
    const same = (w: Waiter) => w.limit.max === limit.max && w.limit.windowMs === limit.windowMs
    const batch = entry.waiters.filter(same)
    entry.waiters = entry.waiters.filter((w) => !same(w))
    try {
      let taken = await take(sum(batch))
      if (taken.key !== null && taken.row.taken === null && batch.length > 1) {
        // Not room for all: the first alone, the others try again after it. When even the first is
        // refused, so is every caller needing as many slots; one needing fewer tries again.
        const [first, ...rest] = batch
        taken = await take(first!.count)
        const again = taken.row.taken !== null ? rest : rest.filter((w) => w.count < first!.count)
        entry.waiters.unshift(...again)
        batch.splice(0, batch.length, first!, ...rest.filter((w) => !again.includes(w)))
      }
      const { row, key, extra } = taken
      batch.forEach((waiter, i) =>
        waiter.resolve({
          slot: key === null ? null : slotOf(key, limit, row, sum(batch.slice(i + 1)), waiter.count),
          extra,
        }),
      )
    } catch (error) {
      for (const waiter of batch) waiter.reject(error)
      // The database cannot answer (frozen, gone): those who queued behind this statement would
      // only start another that fails the same way, each batch after the last (a frozen database
      // kept an API token's later requests 20 s, released 25 every 5 s). They fail now.
      if (isDatabaseUnavailable(error)) for (const waiter of entry.waiters.splice(0)) waiter.reject(error)
    }
  }
  entry.running = false
  pending.delete(batchKey)
}

const sum = (waiters: Waiter[]) => waiters.reduce((n, w) => n + w.count, 0)

/**
 * A caller's slots from its batch's row; `later` is how many slots of the batch were counted after
 * its own `count`.
 */
function slotOf(
  key: string,
  limit: Limit,
  row: SlotRow,
  later: number,
  count: number,
  db: () => DbOrTx = getDb,
): Slot {
  const current = row.taken !== null ? row.taken - later : (row.seen ?? 0)
  const used = row.carried + current
  const remaining = row.taken === null ? 0 : Math.max(0, limit.max - used)
  const windowStart = row.windowStart
  let kept = row.taken === null ? 0 : count
  return {
    allowed: row.taken !== null,
    remaining,
    windowStart,
    resetAt:
      remaining > 0
        ? new Date(windowStart.getTime() + limit.windowMs)
        : nextFreeSlot(limit, windowStart, row.previous, current),
    release: async (n = kept) => {
      const giving = Math.min(n, kept)
      if (giving <= 0) return
      kept -= giving
      await releaseRateLimitSlot(db(), { key, windowStart, count: giving })
    },
  }
}

/**
 * When the estimate ceil(previous × (1 − elapsed/window)) + current first leaves room for one, with
 * no further hits: later in this window while the previous window fades, or else in the next
 * window as this one becomes the fading one.
 */
function nextFreeSlot(limit: Limit, windowStart: Date, previous: number, current: number) {
  const { max, windowMs } = limit
  const start = windowStart.getTime()
  const at =
    current < max && previous > 0
      ? start + windowMs * (1 - (max - current - 1) / previous)
      : start + windowMs + windowMs * (1 - (max - 1) / current)
  return new Date(Math.ceil(at) + 1)
}

/**
 * Gives back `count` slots of `key` counted in the window that started at `windowStart`, on the
 * caller's transaction, long after the Slot that took them is gone: work undone later (Undo send
 * of a held reply, whose email never went). Never below zero.
 */
export async function giveBackSlots(tx: Tx, params: { key: string; windowStart: Date; count: number }) {
  if (!Number.isInteger(params.count) || params.count < 1) return
  await releaseRateLimitSlot(tx, params)
}

/** Forgets every counted hit of `key` (e.g. a successful sign-in clears that email's failures). */
export async function clearSlots(key: string) {
  await deleteRateLimitCounters(getDb(), key)
}

/** Deletes the counters no window counts any more; run by the `sessions.cleanup` job. */
export async function deleteOldHits() {
  return deleteExpiredRateLimitCounters(getDb())
}
