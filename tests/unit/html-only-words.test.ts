import { expect, it } from 'vitest'
import { HTML_ONLY_WORDS_CHARS, htmlOnlyWords } from '#app/domain/inbound-body.server.ts'

it("gives the HTML part's words the text part lacks, each once, and nothing when they agree", () => {
  expect(htmlOnlyWords('Hello, my order is late.', '<p>Hello, my <b>order</b> is late!</p>')).toBe('')
  expect(
    htmlOnlyWords(
      'Hello, my order is late.',
      '<p>Hello, my order is late. The <i>Quokka</i> quokka plush.</p>',
    ),
  ).toBe('the quokka plush')
})

it('is bounded, and cut between words', () => {
  const html = `<p>${Array.from({ length: 5000 }, (_, i) => `word${i}`).join(' ')}</p>`
  const words = htmlOnlyWords('nothing alike', html)
  expect(words.length).toBeLessThanOrEqual(HTML_ONLY_WORDS_CHARS)
  expect(words.length).toBeGreaterThan(HTML_ONLY_WORDS_CHARS - 12)
  expect(words.split(' ').every((w) => /^word\d+$/.test(w))).toBe(true)
  expect(html).toContain(`${words.split(' ').at(-1)} `)
})
