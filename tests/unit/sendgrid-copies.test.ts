import { describe, expect, it } from 'vitest'
import { splitCopies } from '#app/integrations/sendgrid.server.ts'

/** What a personalization's substitution makes of the shared content (SendGrid replaces every occurrence). */
const made = (content: string, values: Record<string, string>) =>
  Object.entries(values).reduce((out, [key, value]) => out.split(`{{${key}}}`).join(value), content)

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('splitCopies (two copies in one SendGrid mail send)', () => {
  it('keeps the common start and end in the content and only the differing middle in each copy', () => {
    const first = 'Hello,\n\nView this conversation https://x.test/support/t/abc · Ticket #7\n\nBye'
    const second = 'Hello,\n\nReply to this email to answer · Ticket #7\n\nBye'
    const split = splitCopies(first, second, 'k')
    expect(made(split.content, split.first)).toBe(first)
    expect(made(split.content, split.second)).toBe(second)
    expect(split.content.startsWith('Hello,\n\n')).toBe(true)
    expect(split.content.endsWith(' · Ticket #7\n\nBye')).toBe(true)
    expect(split.second.k).not.toContain('support/t')
  })

  it('leaves identical copies alone', () => {
    expect(splitCopies('same', 'same', 'k')).toEqual({ content: 'same', first: {}, second: {} })
  })

  it('never cuts a surrogate pair and never leaves a part empty', () => {
    const cases: Array<[string, string]> = [
      ['a😀b', 'a😃b'],
      ['x😀', 'x😀y'],
      ['link here', 'link'],
      ['', 'a'],
      ['😀😀', '😀'],
      ['ab', 'b'],
    ]
    for (const [first, second] of cases) {
      const split = splitCopies(first, second, 'k')
      expect(made(split.content, split.first), first).toBe(first)
      expect(made(split.content, split.second), second).toBe(second)
      for (const part of [split.content, split.first.k, split.second.k]) {
        expect(part, JSON.stringify([first, second])).not.toMatch(LONE_SURROGATE)
      }
      if (first && second) {
        expect(split.first.k.length).toBeGreaterThan(0)
        expect(split.second.k.length).toBeGreaterThan(0)
      }
    }
  })
})
