import { describe, expect, it } from 'vitest'
import { utcIso } from '#db/queries/queue.ts'

describe("the queue's timestamps from PostgreSQL's text", () => {
  it('keeps every digit of the microseconds, padded to six, in ISO 8601 UTC', () => {
    expect(utcIso('2026-12-02 06:05:09')).toBe('2026-12-02T06:05:09.000000Z')
    expect(utcIso('2026-12-02 06:05:09.5')).toBe('2026-12-02T06:05:09.500000Z')
    expect(utcIso('2026-12-02 06:05:09.1234')).toBe('2026-12-02T06:05:09.123400Z')
    expect(utcIso('2026-12-02 06:05:09.123456')).toBe('2026-12-02T06:05:09.123456Z')
    // The same instant as a Date reads it (which keeps the milliseconds).
    expect(new Date(utcIso('2026-12-02 06:05:09.999999')).toISOString()).toBe('2026-12-02T06:05:09.999Z')
  })

  it('refuses text of another shape', () => {
    for (const bad of [
      '',
      '2026-12-02',
      '2026-12-02T06:05:09',
      '2026-12-02 06:05:09.',
      '2026-12-02 06:05:09.1234567',
      '12026-12-02 06:05:09',
      '2026-12-02 06:05:09 BC',
    ]) {
      expect(() => utcIso(bad), bad).toThrow(/unexpected timestamp text/)
    }
  })
})
