import { describe, expect, it } from 'vitest'
import { createChangeLog } from '#app/realtime/change-log.server.ts'
import { CLOCK_MARGIN_MS, missedWhileConnecting } from '#app/realtime/protocol.ts'

function clock(start: number) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe('the change log (when each room last had an event)', () => {
  it('answers the newest event among the rooms asked about, null when none', () => {
    const time = clock(1_000_000)
    const log = createChangeLog(time.now)
    expect(log.knownSince()).toBe(1_000_000)
    expect(log.lastChange(['workspace:a'])).toBeNull()
    time.advance(50)
    log.note(['workspace:a'])
    time.advance(50)
    log.note(['user:u', 'workspace:b'])
    expect(log.lastChange(['workspace:a', 'session:s'])).toBe(1_000_050)
    expect(log.lastChange(['workspace:a', 'user:u'])).toBe(1_000_100)
    expect(log.lastChange(['workspace:c'])).toBeNull()
    // Noted again: the newer time.
    time.advance(10)
    log.note(['workspace:a'])
    expect(log.lastChange(['workspace:a'])).toBe(1_000_110)
  })

  it('forgets rooms quiet for ten minutes, and then knows nothing before the newest it forgot', () => {
    const time = clock(0)
    const log = createChangeLog(time.now)
    log.note(['workspace:old'])
    time.advance(5 * 60_000)
    log.note(['workspace:kept'])
    time.advance(6 * 60_000)
    log.note(['workspace:new'])
    expect(log.lastChange(['workspace:old'])).toBeNull()
    expect(log.knownSince()).toBe(0)
    expect(log.lastChange(['workspace:kept'])).toBe(5 * 60_000)
    time.advance(5 * 60_000)
    log.note(['workspace:newer'])
    expect(log.lastChange(['workspace:kept'])).toBeNull()
    expect(log.knownSince()).toBe(5 * 60_000)
    expect(log.lastChange(['workspace:new'])).toBe(11 * 60_000)
  })

  it('holds at most 20,000 rooms, forgetting the least recently changed', () => {
    const time = clock(0)
    const log = createChangeLog(time.now)
    for (let i = 0; i < 20_001; i++) {
      time.advance(1)
      log.note([`workspace:${i}`])
    }
    expect(log.lastChange(['workspace:0'])).toBeNull()
    expect(log.knownSince()).toBe(1)
    expect(log.lastChange(['workspace:1'])).toBe(2)
  })
})

describe('whether a page missed events while its socket connected', () => {
  const readAt = 10_000_000
  it('does when an event came after the page read its data (or within the clocks’ margin before)', () => {
    const known = readAt - 60_000
    expect(missedWhileConnecting({ lastChangeAt: readAt + 200, knownSince: known }, readAt)).toBe(true)
    expect(
      missedWhileConnecting({ lastChangeAt: readAt - CLOCK_MARGIN_MS + 1, knownSince: known }, readAt),
    ).toBe(true)
    expect(
      missedWhileConnecting({ lastChangeAt: readAt - CLOCK_MARGIN_MS - 1, knownSince: known }, readAt),
    ).toBe(false)
    expect(missedWhileConnecting({ lastChangeAt: null, knownSince: known }, readAt)).toBe(false)
  })

  it('does when the server cannot tell (it started, or forgot, after the page read its data)', () => {
    expect(missedWhileConnecting({ lastChangeAt: null, knownSince: readAt + 5 }, readAt)).toBe(true)
    expect(
      missedWhileConnecting({ lastChangeAt: null, knownSince: readAt - CLOCK_MARGIN_MS + 1 }, readAt),
    ).toBe(true)
  })
})
