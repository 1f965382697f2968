import { describe, expect, it } from 'vitest'
import { displayName, hasVisibleText, optionalDisplayName } from '#app/utils/schemas.ts'
import { CustomerReplySchema, SupportRequestSchema } from '#app/utils/support-schemas.ts'
import { TagName } from '#app/utils/ticket-page-schemas.ts'
import { MessageBody, Subject } from '#app/utils/ticket-schemas.ts'

// Found by probing the running app (2026-12-03): text of zero-width characters only was
// accepted as a subject, a message or a tag (it looks empty), the subject took bidi overrides,
// two tags could look the same ("é" in two spellings), and a canned response's title took line
// breaks. Each schema below is the one a form or the API validates with.
const ZERO_WIDTH_ONLY = '\u200b\u200d\u2060\ufeff '
const errorOf = (result: { success: boolean; error?: { issues: Array<{ message: string }> } }) =>
  result.success ? undefined : result.error?.issues[0]?.message

describe('hasVisibleText', () => {
  it('is false for white space and invisible format characters only', () => {
    expect(hasVisibleText(ZERO_WIDTH_ONLY)).toBe(false)
    expect(hasVisibleText('\u00ad\u200e\u200f\u3164')).toBe(false)
    expect(hasVisibleText('a\u200b')).toBe(true)
    // An emoji sequence joined by ZWJ is visible.
    expect(hasVisibleText('👩\u200d💻')).toBe(true)
  })

  it('is false for combining marks with nothing to sit on, true once they have a base', () => {
    expect(hasVisibleText('\u0301')).toBe(false)
    expect(hasVisibleText('\u0301\u0308 \u20dd')).toBe(false)
    expect(hasVisibleText('e\u0301')).toBe(true)
    expect(hasVisibleText('#')).toBe(true)
    expect(errorOf(TagName.safeParse('\u0301'))).toBe('Type a tag name')
    expect(TagName.safeParse('e\u0301').data).toBe('é')
  })
})

describe('forms that need visible text', () => {
  it('a subject of invisible characters is missing, and one with a bidi override is refused', () => {
    expect(errorOf(Subject.safeParse(ZERO_WIDTH_ONLY))).toBe('Subject is required')
    expect(errorOf(Subject.safeParse('Invoice \u202efdp.exe'))).toBe(
      "The subject can't contain control characters",
    )
    expect(Subject.safeParse('Line\r\nbreaks become spaces').data).toBe('Line breaks become spaces')
    expect(Subject.safeParse('Ünïcödé and 日本語 stay').data).toBe('Ünïcödé and 日本語 stay')
  })

  it('a message of invisible characters is empty, on the support form and the customer link', () => {
    expect(errorOf(MessageBody.safeParse('\u200b\u200d'))).toBe('Write a message first')
    expect(errorOf(CustomerReplySchema.safeParse({ message: '\u200b' }))).toBe('Write a message first')
    const request = SupportRequestSchema.safeParse({
      name: '\u200b\u200b',
      email: 'a@example.com',
      subject: 'Help',
      message: 'Hello',
    })
    expect(errorOf(request)).toBe("Name can't be only invisible characters")
  })

  it('names stay one visible line', () => {
    const title = displayName('Title', 100)
    expect(errorOf(title.safeParse('a\r\nBcc: x@evil.com'))).toBe(
      "Title can't contain line breaks or control characters",
    )
    expect(errorOf(title.safeParse('\u202eabc'))).toBe(
      "Title can't contain line breaks or control characters",
    )
    expect(errorOf(title.safeParse('\u200b'))).toBe("Title can't be only invisible characters")
    expect(optionalDisplayName('Name', 100).safeParse('').success).toBe(true)
  })

  it('a tag is stored in one spelling (NFC) and must show something', () => {
    expect(TagName.parse('e\u0301')).toBe('\u00e9')
    expect(TagName.parse('  vip ')).toBe('vip')
    expect(errorOf(TagName.safeParse('\u200b'))).toBe('Type a tag name')
    expect(errorOf(TagName.safeParse('\u202egat'))).toBe("A tag can't contain control characters")
    expect(errorOf(TagName.safeParse('a\u0007b'))).toBe("A tag can't contain control characters")
  })
})
