import { describe, expect, it } from 'vitest'
import { previewLine } from '#app/domain/queue-rows.server.ts'
import { sliceWhole, wellFormed } from '#app/utils/well-formed.ts'

describe('previewLine', () => {
  it('is the first line that is neither blank nor quoted, with its white space collapsed', () => {
    expect(previewLine('Hello   there,\nsecond line')).toBe('Hello there,')
    expect(previewLine('\n  \n> quoted\n>\n  Thanks!\t We are on it.  \nMore')).toBe('Thanks! We are on it.')
    expect(previewLine('\r\n> on Monday you wrote\r\nWindows line\r\nnext')).toBe('Windows line')
  })

  it('is null when nothing but blank or quoted lines is left', () => {
    expect(previewLine(null)).toBeNull()
    expect(previewLine('')).toBeNull()
    expect(previewLine('> all quoted\n\n   \n>more')).toBeNull()
  })

  it('cuts a long line at 160 characters, ending in an ellipsis', () => {
    const line = previewLine(`${'word '.repeat(60)}\nnext`)
    expect(line).toBe(`${'word '.repeat(31)}word…`)
    expect(line).toHaveLength(160)
    expect(previewLine('x'.repeat(160))).toBe('x'.repeat(160))
  })

  it('never cuts an emoji in half (half a pair made the inbox fail hydration)', () => {
    for (const body of ['😀'.repeat(200), `a${'😀'.repeat(200)}`, `${'x'.repeat(158)}😀😀😀`]) {
      const line = previewLine(body)!
      expect(line.endsWith('…')).toBe(true)
      expect(wellFormed(line)).toBe(line)
      expect(line.length).toBeLessThanOrEqual(160)
    }
  })
})

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

describe('previewLine, white space of every kind', () => {
  it.each([
    ['a tab between words', 'a\tb', 'a b'],
    ['a no-break space', 'a\u00a0b', 'a b'],
    ['an em space', 'a\u2003b', 'a b'],
    ['an ideographic space', '\u3000全角\u3000スペース', '全角 スペース'],
    ['a space then a no-break space', 'a \u00a0b', 'a b'],
    ['a carriage return at the end', 'line\r', 'line'],
    ['single spaces only', 'one two three', 'one two three'],
    ['leading and trailing spaces', '  padded line  ', 'padded line'],
  ])('collapses %s', (_case, body, shown) => {
    expect(previewLine(body)).toBe(shown)
  })
})
