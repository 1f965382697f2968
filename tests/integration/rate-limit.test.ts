import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { takeRateLimitSlot } from '#db/queries/rate-limits.ts'
import * as schema from '#db/schema.ts'
import { rateLimitCounters } from '#db/schema.ts'
import { clearSlots, deleteOldHits, slotFree, takeSlot } from '#app/domain/rate-limit.server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

const MINUTE = 60 * 1000
const uniqueKey = () => `test:${randomBytes(6).toString('hex')}`

// A second pool, as a second app instance would have: the limit must hold across both.
let otherPool: pg.Pool
let otherInstance: ReturnType<typeof drizzle<typeof schema>>
beforeAll(() => {
  otherPool = new pg.Pool({ connectionString: testDatabaseUrl, max: 10 })
  // pool.end() resolves once its clients are told to end, not once they have: the file's database
  // is then dropped WITH (FORCE), and a client still closing gets 57P01, which a pool without an
  // 'error' listener throws as an uncaught exception (a CI run of b6783b9 failed on it).
  otherPool.on('error', () => {})
  otherInstance = drizzle(otherPool, { schema, casing: 'snake_case' })
})
afterAll(async () => {
  await otherPool.end()
})

async function counters(key: string) {
  return getDb()
    .select({ hits: rateLimitCounters.hits, windowStart: rateLimitCounters.windowStart })
    .from(rateLimitCounters)
    .where(eq(rateLimitCounters.key, key))
}

/** The database's current window start for a window length (windows are aligned on the epoch). */
async function currentWindowStart(windowMs: number) {
  const result = await getDb().execute<{ ms: number }>(
    sql`select extract(epoch from date_bin(${windowMs}::bigint * interval '1 millisecond', now(), timestamptz 'epoch'))::float8 * 1000 as ms`,
  )
  return new Date(Number(result.rows[0].ms))
}

/** `hits` counted in the window before the current one; returns the current window's start. */
async function previousWindowHits(key: string, windowMs: number, hits: number) {
  const start = await currentWindowStart(windowMs)
  await getDb()
    .insert(rateLimitCounters)
    .values({
      key,
      windowStart: new Date(start.getTime() - windowMs),
      hits,
      expiresAt: new Date(start.getTime() + windowMs),
    })
  return start
}

describe('takeSlot', () => {
  it('grants exactly max of 60 concurrent takes from two instances, in one counter row', async () => {
    const key = uniqueKey()
    const limit = { max: 7, windowMs: 10 * MINUTE }
    const granted = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        if (i % 2 === 0) return (await takeSlot(key, limit)).allowed
        const row = await takeRateLimitSlot(otherInstance, { key, ...limit })
        return row.taken !== null
      }),
    )
    expect(granted.filter(Boolean)).toHaveLength(7)
    const rows = await counters(key)
    expect(rows).toHaveLength(1)
    expect(rows[0].hits).toBe(7)
  })

  it('grants exactly max of 40 concurrent takes coalesced in one process, each caller with its own remaining', async () => {
    const key = uniqueKey()
    const limit = { max: 25, windowMs: 10 * MINUTE }
    const slots = await Promise.all(Array.from({ length: 40 }, () => takeSlot(key, limit)))
    expect(slots.filter((s) => s.allowed)).toHaveLength(25)
    // Every granted caller saw a different count: 24, 23, … 0 remaining.
    expect(
      slots
        .filter((s) => s.allowed)
        .map((s) => s.remaining)
        .sort((a, b) => b - a),
    ).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i))
    expect((await counters(key))[0].hits).toBe(25)
    // Released slots are counted back one by one.
    await Promise.all(slots.slice(0, 3).map((s) => s.release()))
    expect((await counters(key))[0].hits).toBe(22)
  })

  it('takes several slots per caller, all or none: a parallel mix never passes max, and a smaller take fits after a bigger one is refused', async () => {
    const key = uniqueKey()
    const limit = { max: 20, windowMs: 10 * MINUTE }
    // 30 callers wanting 1, 2 or 3 slots at once (60 in all), coalesced in one process.
    const wants = Array.from({ length: 30 }, (_, i) => 1 + (i % 3))
    const slots = await Promise.all(wants.map((count) => takeSlot(key, limit, count)))
    const granted = wants.filter((_, i) => slots[i]!.allowed).reduce((a, b) => a + b, 0)
    expect(granted).toBeLessThanOrEqual(20)
    expect((await counters(key))[0]!.hits).toBe(granted)
    // 18 of 20 taken: 3 at once is refused, 2 still fit (the one behind them waits and is refused).
    await clearSlots(key)
    expect((await takeSlot(key, limit, 18)).allowed).toBe(true)
    const [three, two, one] = await Promise.all([
      takeSlot(key, limit, 3),
      takeSlot(key, limit, 2),
      takeSlot(key, limit, 1),
    ])
    expect([three!.allowed, two!.allowed, one!.allowed]).toEqual([false, true, false])
    expect(two!.remaining).toBe(0)
    expect((await counters(key))[0]!.hits).toBe(20)
    // Part of a take given back, then the rest, never more than was taken.
    await two!.release(1)
    expect((await counters(key))[0]!.hits).toBe(19)
    await two!.release()
    await two!.release()
    expect((await counters(key))[0]!.hits).toBe(18)
  })

  it('counts down remaining, then refuses with a reset time in the next window', async () => {
    const key = uniqueKey()
    const limit = { max: 3, windowMs: 10 * MINUTE }
    const slots = []
    for (let i = 0; i < 4; i++) slots.push(await takeSlot(key, limit))
    expect(slots.map((s) => s.allowed)).toEqual([true, true, true, false])
    expect(slots.map((s) => s.remaining)).toEqual([2, 1, 0, 0])
    const windowEnd = (await currentWindowStart(limit.windowMs)).getTime() + limit.windowMs
    expect(slots[0].resetAt.getTime()).toBe(windowEnd)
    // Full in this window: in the next one its 3 hits fade as the sliding window moves on, rounded
    // up, so a slot frees once a third of the next window has passed (ceil(3 × (1 − f)) ≤ 2).
    const freeAt = windowEnd + limit.windowMs / 3
    expect(slots[3].resetAt.getTime()).toBeGreaterThan(freeAt)
    expect(slots[3].resetAt.getTime()).toBeLessThan(freeAt + 1000)
  })

  it('never lets a burst that straddles a window boundary take more than max', async () => {
    const key = uniqueKey()
    const limit = { max: 10, windowMs: 15 * MINUTE }
    // 5 attempts in the previous window, then a burst in this one.
    const start = await previousWindowHits(key, limit.windowMs, 5)
    const slots = []
    for (let i = 0; i < 12; i++) slots.push(await takeSlot(key, limit))
    // The previous window's 5 still count as ceil(5 × (1 − elapsed/window)): rounded down, a burst
    // right after the boundary would get max − 4 more, i.e. 11 attempts within a few seconds.
    const elapsed = (Date.now() - start.getTime()) / limit.windowMs
    const carried = Math.ceil(5 * (1 - elapsed))
    expect(slots.filter((s) => s.allowed)).toHaveLength(limit.max - carried)
  })

  it('gives a released slot back, once', async () => {
    const key = uniqueKey()
    const limit = { max: 2, windowMs: 10 * MINUTE }
    const first = await takeSlot(key, limit)
    await takeSlot(key, limit)
    expect((await takeSlot(key, limit)).allowed).toBe(false)
    await first.release()
    await first.release()
    expect((await counters(key))[0].hits).toBe(1)
    expect((await takeSlot(key, limit)).allowed).toBe(true)
    expect((await takeSlot(key, limit)).allowed).toBe(false)
  })

  it('forgets everything for a key on clearSlots', async () => {
    const key = uniqueKey()
    const limit = { max: 1, windowMs: 10 * MINUTE }
    await takeSlot(key, limit)
    expect((await takeSlot(key, limit)).allowed).toBe(false)
    await clearSlots(key)
    expect(await counters(key)).toEqual([])
    expect((await takeSlot(key, limit)).allowed).toBe(true)
  })

  it("carries the previous window's count, weighted by how much of it the sliding window still covers", async () => {
    const key = uniqueKey()
    // A day-long window so the weight barely moves while the test runs.
    const limit = { max: 1000, windowMs: 24 * 60 * MINUTE }
    const start = await previousWindowHits(key, limit.windowMs, 800)
    const before = Date.now()
    const slot = await takeSlot(key, limit)
    const weight = 1 - (before - start.getTime()) / limit.windowMs
    const carried = Math.floor(800 * weight)
    expect(slot.allowed).toBe(true)
    expect(Math.abs(slot.remaining - (limit.max - carried - 1))).toBeLessThanOrEqual(1)
  })

  it('refuses while the carried count alone reaches max, and says when it will have faded enough', async () => {
    const key = uniqueKey()
    const limit = { max: 10, windowMs: 24 * 60 * MINUTE }
    const start = await previousWindowHits(key, limit.windowMs, 1_000_000)
    const slot = await takeSlot(key, limit)
    expect(slot).toMatchObject({ allowed: false, remaining: 0 })
    // 1,000,000 × (1 − elapsed/window) < 10 only in the window's last ~0.9 s.
    const windowEnd = start.getTime() + limit.windowMs
    expect(slot.resetAt.getTime()).toBeGreaterThan(windowEnd - 1000)
    expect(slot.resetAt.getTime()).toBeLessThanOrEqual(windowEnd)
    expect(await counters(key)).toHaveLength(1)
  })

  it('deletes only counters past the end of the window after theirs', async () => {
    const limit = { max: 5, windowMs: 15 * MINUTE }
    const live = uniqueKey()
    const expired = uniqueKey()
    await takeSlot(live, limit)
    await takeSlot(expired, limit)
    await getDb()
      .update(rateLimitCounters)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(rateLimitCounters.key, expired))
    expect(await deleteOldHits()).toBeGreaterThanOrEqual(1)
    expect(await counters(live)).toHaveLength(1)
    expect(await counters(expired)).toEqual([])
  })
})

describe('slotFree', () => {
  it('says whether takeSlot would grant a slot, and takes none', async () => {
    const key = uniqueKey()
    const limit = { max: 3, windowMs: 10 * MINUTE }
    expect(await slotFree(key, limit)).toBe(true)
    // A read: no counter row is made.
    expect(await counters(key)).toEqual([])
    for (let i = 0; i < 3; i++) {
      expect(await slotFree(key, limit)).toBe(true)
      expect((await takeSlot(key, limit)).allowed).toBe(true)
    }
    expect(await slotFree(key, limit)).toBe(false)
    expect((await counters(key)).map((c) => c.hits)).toEqual([3])
    // One given back: free again.
    await getDb().update(rateLimitCounters).set({ hits: 2 }).where(eq(rateLimitCounters.key, key))
    expect(await slotFree(key, limit)).toBe(true)
  })

  it("counts the previous window's carried share as takeSlot does", async () => {
    const key = uniqueKey()
    const limit = { max: 10, windowMs: 24 * 60 * MINUTE }
    await previousWindowHits(key, limit.windowMs, 1_000_000)
    expect(await slotFree(key, limit)).toBe(false)
    expect((await takeSlot(key, limit)).allowed).toBe(false)
    const fresh = uniqueKey()
    await previousWindowHits(fresh, limit.windowMs, 5)
    expect(await slotFree(fresh, limit)).toBe(true)
  })
})
