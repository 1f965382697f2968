import { describe, expect, it } from 'vitest'
import { fillFromRandomPool, randomFromPool } from '#db/random-pool.ts'
import { uuidv7 } from '#db/uuid.ts'

describe('the random pool', () => {
  it('never hands out the same bytes twice, across many refills of the pool', () => {
    const seen = new Set<string>()
    // 16 bytes × 5,000 = 80 KB: about 20 refills of the 4 KB pool.
    for (let i = 0; i < 5_000; i++) seen.add(randomFromPool(16).toString('hex'))
    expect(seen.size).toBe(5_000)
  })

  it('gives bytes that look random: every byte value appears, none far more often than the others', () => {
    const counts = new Array<number>(256).fill(0)
    const sample = Buffer.alloc(64 * 1024)
    for (let at = 0; at < sample.length; at += 256) fillFromRandomPool(sample, at, 256)
    for (const byte of sample) counts[byte]!++
    // 256 expected per value; a CSPRNG stays well inside these bounds.
    expect(Math.min(...counts)).toBeGreaterThan(150)
    expect(Math.max(...counts)).toBeLessThan(370)
  })

  it('fills exactly the range asked for and leaves the rest of the target alone', () => {
    const target = Buffer.alloc(32, 0xaa)
    fillFromRandomPool(target, 8, 10)
    expect(target.subarray(0, 8).every((b) => b === 0xaa)).toBe(true)
    expect(target.subarray(18).every((b) => b === 0xaa)).toBe(true)
  })

  it('refuses more than 256 bytes at a time', () => {
    expect(() => randomFromPool(257)).toThrow(RangeError)
  })

  it('keeps 100,000 UUIDs unique', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => uuidv7()))
    expect(ids.size).toBe(100_000)
  })
})
