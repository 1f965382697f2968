import { and, eq, gt, lt, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { rateLimitCounters } from '../schema.ts'

export type SlotRow = {
  /** The current window's count after taking the slot(s); null when refused. */
  taken: number | null
  /** The current window's count as this statement's snapshot saw it (for a refusal's figures). */
  seen: number | null
  /** The previous window's count, raw. */
  previous: number
  /**
   * ceil(previous × the share of the previous window still inside the sliding window): rounded up,
   * so a burst that straddles a window boundary can never take one slot more than `max`.
   */
  carried: number
  windowStart: Date
}

/**
 * Takes `count` slots (default 1) for `key` in ONE statement, all or none, so concurrent callers
 * on any instance cannot both take the last slot: the upsert locks the key's row for the current
 * window, and PostgreSQL re-checks `hits + carried + count <= max` against the latest committed
 * count before incrementing.
 *
 * Sliding-window approximation: the estimate is the current fixed window's count plus the
 * previous window's count weighted by how much of it still overlaps the last `windowMs`.
 * Windows are aligned on the epoch (date_bin) and timed by the database clock, one clock for
 * every instance.
 */
export async function takeRateLimitSlot(
  db: DbOrTx,
  params: {
    key: string
    max: number
    windowMs: number
    count?: number
    /**
     * The statement runs in a caller's transaction (whose other writes must commit durably):
     * leave its commit mode alone. Otherwise it is a transaction of its own, committed without
     * waiting for the WAL flush (see slotSteps).
     */
    inCallersTransaction?: boolean
  },
): Promise<SlotRow> {
  const result = await db.execute<SlotColumns>(
    sql`with ${slotSteps({ ...params, key: sql`${params.key}::text` })} select * from slot`,
  )
  return slotRowOf(result.rows[0]!)
}

/** What the `slot` step answers (see slotSteps). */
export type SlotColumns = {
  taken: number | null
  seen: number | null
  previous: number
  carried: number
  window_start_ms: number
}

export function slotRowOf(row: SlotColumns): SlotRow {
  return {
    taken: row.taken,
    seen: row.seen,
    previous: Number(row.previous),
    carried: Number(row.carried),
    windowStart: new Date(Number(row.window_start_ms)),
  }
}

/**
 * The common table expressions that take the slots, ending in `slot` (one row: SlotColumns), for
 * a statement to start `with` and select from. `key` is an SQL expression: a parameter, or a
 * value another step computes (the API's token lookup, db/queries/api-tokens.ts); when it is null
 * nothing is counted.
 */
export function slotSteps(params: {
  key: SQL
  max: number
  windowMs: number
  count?: number
  inCallersTransaction?: boolean
}): SQL {
  const count = params.count ?? 1
  const key = params.key
  const window = sql`(${params.windowMs}::bigint * interval '1 millisecond')`
  // Committed without waiting for the WAL flush (this transaction only): concurrent takers of one
  // key queue on the counter row's lock, which a synchronous commit holds for a disk flush each
  // (~10 ms on a busy disk: a 32-request convoy). A crash can forget the last ~0.6 s of counted
  // hits (3 × wal_writer_delay), never double-count or lose atomicity. Not in a caller's
  // transaction: that would make its ticket, email and job rows as forgettable.
  const commitMode = params.inCallersTransaction
    ? sql`current_setting('synchronous_commit')`
    : sql`set_config('synchronous_commit', 'off', true)`
  return sql`
    ${estimateSteps(key, params.windowMs, commitMode)}, taken as (
      insert into rate_limit_counters as c (key, window_start, hits, expires_at)
      select ${key}, e.window_start, ${count}::int, e.window_start + 2 * ${window}
      from estimate e
      where ${key} is not null and e.carried + ${count}::int <= ${params.max}
      on conflict (key, window_start) do update set hits = c.hits + ${count}::int
      where c.hits + (select carried from estimate) + ${count}::int <= ${params.max}
      returning c.hits
    ), slot as (
      select
        (select hits from taken) as taken,
        (select hits from rate_limit_counters c where c.key = ${key} and c.window_start = e.window_start) as seen,
        e.previous,
        e.carried,
        extract(epoch from e.window_start)::float8 * 1000 as window_start_ms
      from estimate e
    )`
}

/**
 * The steps `bounds` (the current fixed window's start; `commitMode` evaluated once) and `estimate`
 * (that start, the previous window's count and its share still inside the sliding window).
 */
function estimateSteps(key: SQL, windowMs: number, commitMode: SQL): SQL {
  const window = sql`(${windowMs}::bigint * interval '1 millisecond')`
  return sql`
    bounds as (
      select date_bin(${window}, now(), timestamptz 'epoch') as window_start, ${commitMode} as commit_mode
    ), estimate as (
      select
        b.window_start,
        coalesce(p.hits, 0) as previous,
        ceil(coalesce(p.hits, 0) * (1 - extract(epoch from now() - b.window_start) * 1000 / ${windowMs}))::int
          as carried
      from bounds b
      left join rate_limit_counters p on p.key = ${key} and p.window_start = b.window_start - ${window}
    )`
}

/**
 * Whether `count` slots (default one) of `key` are free now, as takeRateLimitSlot would count
 * them, without taking any: a read, no lock, no write. Only a hint (a slot may be taken or free
 * up a moment later): the work is still reserved with takeRateLimitSlot.
 */
export async function rateLimitSlotFree(
  db: DbOrTx,
  params: { key: string; max: number; windowMs: number; count?: number },
) {
  const key = sql`${params.key}::text`
  const result = await db.execute<{ free: boolean }>(sql`
    with ${estimateSteps(key, params.windowMs, sql`null`)}
    select coalesce(c.hits, 0) + e.carried + ${params.count ?? 1}::int <= ${params.max} as free
    from estimate e
    left join rate_limit_counters c on c.key = ${key} and c.window_start = e.window_start`)
  return result.rows[0]!.free
}

/** Gives back `count` slots (default one) taken in the window that started at `windowStart`. */
export async function releaseRateLimitSlot(
  db: DbOrTx,
  { key, windowStart, count = 1 }: { key: string; windowStart: Date; count?: number },
) {
  await db
    .update(rateLimitCounters)
    .set({ hits: sql`greatest(${rateLimitCounters.hits} - ${count}::int, 0)` })
    .where(
      and(
        eq(rateLimitCounters.key, key),
        eq(rateLimitCounters.windowStart, windowStart),
        gt(rateLimitCounters.hits, 0),
      ),
    )
}

export async function deleteRateLimitCounters(db: DbOrTx, key: string) {
  await db.delete(rateLimitCounters).where(eq(rateLimitCounters.key, key))
}

/** Counters past their last counting moment (the end of the window after theirs). */
export async function deleteExpiredRateLimitCounters(db: DbOrTx, now = new Date()) {
  const result = await db.delete(rateLimitCounters).where(lt(rateLimitCounters.expiresAt, now))
  return result.rowCount ?? 0
}
