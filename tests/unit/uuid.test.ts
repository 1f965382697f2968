import { afterEach, describe, expect, it, vi } from 'vitest'
import { uuidv7 } from '#db/uuid.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function timestampOf(id: string) {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16)
}

describe('uuidv7', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('formats a lowercase 8-4-4-4-12 UUID', () => {
    expect(uuidv7()).toMatch(UUID)
  })

  it('sets the version nibble to 7 and the RFC 9562 variant bits to 10', () => {
    for (let i = 0; i < 200; i++) {
      const hex = uuidv7().replace(/-/g, '')
      expect(hex[12]).toBe('7')
      expect(parseInt(hex[16], 16) & 0b1100).toBe(0b1000)
    }
  })

  it('stores the Unix time in milliseconds in its first 48 bits', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const at = Date.UTC(2031, 4, 17, 9, 30, 15, 123)
    vi.setSystemTime(at)
    expect(timestampOf(uuidv7())).toBe(at)
  })

  it('sorts in generation order when generated in different milliseconds', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let now = Date.UTC(2025, 0, 1)
    const generated: string[] = []
    for (let i = 0; i < 1000; i++) {
      vi.setSystemTime(now)
      generated.push(uuidv7())
      now += 1
    }
    expect([...generated].sort()).toEqual(generated)
  })

  it('sorts in generation order on the real clock when each id comes from a later millisecond', async () => {
    const generated: string[] = []
    let last = -1
    while (generated.length < 50) {
      // Yield until the clock moves, so each id belongs to a new millisecond.
      while (Date.now() <= last) await new Promise((resolve) => setImmediate(resolve))
      generated.push(uuidv7())
      // Read after generating: the id's millisecond is at most this one.
      last = Date.now()
    }
    expect([...generated].sort()).toEqual(generated)
  })

  it('sorts in generation order within one millisecond (rows of one transaction keep their order)', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.UTC(2025, 0, 2))
    const generated = Array.from({ length: 5000 }, () => uuidv7())
    expect([...generated].sort()).toEqual(generated)
  })

  it('never repeats itself, even within one millisecond', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.UTC(2025, 0, 1))
    const ids = Array.from({ length: 10_000 }, () => uuidv7())
    expect(new Set(ids).size).toBe(ids.length)
  })
})
