import { describe, expect, it } from 'vitest'
import { sliceWhole } from '#app/utils/well-formed.ts'

describe('sliceWhole', () => {
  it('cuts before a surrogate pair it would split, and leaves other text as slice does', () => {
    expect(sliceWhole('ab😀c', 3)).toBe('ab')
    expect(sliceWhole('ab😀c', 4)).toBe('ab😀')
    expect(sliceWhole('abc', 2)).toBe('ab')
    expect(sliceWhole('abc', 10)).toBe('abc')
    expect(sliceWhole('abc', 0)).toBe('')
    expect(sliceWhole('é👩‍👩‍👧', 2)).toBe('é')
  })
})
