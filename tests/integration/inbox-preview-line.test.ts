import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { wellFormed } from '#app/utils/well-formed.ts'

// The inbox row's preview line is made by PostgreSQL when a message is written
// (inbox_preview_line, migration 0045), and the queue shows it as kept.
async function previewLine(body: string | null) {
  const result = await getDb().execute<{ line: string | null }>(
    sql`select inbox_preview_line(${body}::text) as line`,
  )
  return result.rows[0]!.line
}

describe('inbox_preview_line', () => {
  it('is the first line that is neither blank nor quoted, with its white space collapsed', async () => {
    expect(await previewLine('Hello   there,\nsecond line')).toBe('Hello there,')
    expect(await previewLine('\n  \n> quoted\n>\n  Thanks!\t We are on it.  \nMore')).toBe(
      'Thanks! We are on it.',
    )
    expect(await previewLine('\r\n> on Monday you wrote\r\nWindows line\r\nnext')).toBe('Windows line')
    expect(await previewLine('   > indented quote\nreal line')).toBe('real line')
  })

  it('is null when nothing but blank or quoted lines is left', async () => {
    expect(await previewLine(null)).toBeNull()
    expect(await previewLine('')).toBeNull()
    expect(await previewLine('> all quoted\n\n   \n>more')).toBeNull()
  })

  it('cuts a long line at 160 characters, ending in an ellipsis', async () => {
    const line = await previewLine(`${'word '.repeat(60)}\nnext`)
    expect(line).toBe(`${'word '.repeat(31)}word…`)
    expect(line).toHaveLength(160)
    expect(await previewLine('x'.repeat(160))).toBe('x'.repeat(160))
    expect(await previewLine('x'.repeat(161))).toBe(`${'x'.repeat(159)}…`)
    // A space right before the cut is dropped.
    expect(await previewLine(`${'ab '.repeat(53)}cd`)).toBe(`${'ab '.repeat(52)}ab…`)
  })

  it('looks only at the first 600 characters', async () => {
    expect(await previewLine(`${'> quoted line\n'.repeat(43)}visible`)).toBeNull()
    expect(await previewLine(`${'> quoted line\n'.repeat(42)}visible`)).toBe('visible')
  })

  it('never cuts an emoji in half (half a pair made the inbox fail hydration)', async () => {
    for (const body of ['😀'.repeat(200), `a${'😀'.repeat(200)}`, `${'x'.repeat(158)}😀😀😀`]) {
      const line = (await previewLine(body))!
      expect(line.endsWith('…')).toBe(true)
      expect(wellFormed(line)).toBe(line)
      expect([...line]).toHaveLength(160)
    }
  })

  it.each([
    ['a tab between words', 'a\tb', 'a b'],
    ['a no-break space', 'a\u00a0b', 'a b'],
    ['an em space', 'a\u2003b', 'a b'],
    ['an ideographic space', '\u3000全角\u3000スペース', '全角 スペース'],
    ['a space then a no-break space', 'a \u00a0b', 'a b'],
    ['a carriage return at the end', 'line\r', 'line'],
    ['a byte order mark and a line separator', '\ufeffa\u2028b', 'a b'],
    ['single spaces only', 'one two three', 'one two three'],
    ['leading and trailing spaces', '  padded line  ', 'padded line'],
    ['a zero-width space (not white space)', 'a\u200bb', 'a\u200bb'],
  ])('collapses %s', async (_case, body, shown) => {
    expect(await previewLine(body)).toBe(shown)
  })
})
