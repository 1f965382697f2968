import { describe, expect, it } from 'vitest'
import { formatCount } from '#app/utils/format-count.ts'

describe('formatCount', () => {
  it('shows counts as they are below the cap and "999+" at it (the query stops counting at 1,000)', () => {
    expect(formatCount(0)).toBe('0')
    expect(formatCount(999)).toBe('999')
    expect(formatCount(1000)).toBe('999+')
  })
})
