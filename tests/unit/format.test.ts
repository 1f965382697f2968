import { describe, expect, it } from 'vitest'
import { formatBytes, formatCount, formatDate, formatDateTime, relativeTime } from '#app/utils/format.ts'

describe('formatCount', () => {
  it('shows counts exactly, with thousands separators', () => {
    expect(formatCount(0)).toBe('0')
    expect(formatCount(999)).toBe('999')
    expect(formatCount(76_333)).toBe('76,333')
  })
})

describe('formatBytes', () => {
  it('uses B below a kilobyte, one decimal for KB and MB', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(25 * 1024 * 1024)).toBe('25.0 MB')
  })
})

describe('dates', () => {
  it('are shown in UTC whatever the local time zone', () => {
    expect(formatDate('2026-12-02T23:30:00Z')).toBe('Dec 2, 2026')
    expect(formatDateTime('2026-12-02T23:30:00Z')).toBe('Dec 2, 2026, 11:30 PM')
  })

  it('read relative to the server time for recent ones', () => {
    const now = '2026-12-02T12:00:00Z'
    expect(relativeTime('2026-12-02T11:59:30Z', now)).toBe('just now')
    expect(relativeTime('2026-12-02T11:55:00Z', now)).toBe('5 min ago')
    expect(relativeTime('2026-12-01T11:00:00Z', now)).toBe('yesterday')
    expect(relativeTime('2026-10-01T11:00:00Z', now)).toBe('Oct 1, 2026')
  })

  it('give the same text again from the kept formats, per zone and per kind', () => {
    const at = '2026-12-02T23:30:00Z'
    expect(formatDateTime(at, 'Asia/Tokyo')).toBe('Dec 3, 2026, 8:30 AM')
    expect(formatDateTime(at, 'Asia/Tokyo')).toBe('Dec 3, 2026, 8:30 AM')
    expect(formatDateTime(at)).toBe('Dec 2, 2026, 11:30 PM')
    expect(formatDate(at, 'Asia/Tokyo')).toBe('Dec 3, 2026')
    expect(formatDateTime(new Date(at), 'America/New_York')).toBe('Dec 2, 2026, 6:30 PM')
    for (let i = 0; i < 6_000; i++) formatDate(new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString())
    expect(formatDateTime(at, 'Asia/Tokyo')).toBe('Dec 3, 2026, 8:30 AM')
  })
})
