import { describe, expect, it } from 'vitest'
import { headerRecord, headerValue } from '#app/domain/email-headers.server.ts'

describe('headerValue', () => {
  it('folds each run of line breaks and control characters into one space', () => {
    expect(headerValue('Dana\r\nBcc: x@y')).toBe('Dana Bcc: x@y')
    expect(headerValue('\r\nBcc: x@y')).toBe('Bcc: x@y')
    expect(headerValue('a\u0000b\u007fc\u0085d\u2028e\u202ef')).toBe('a b c d e f')
  })

  it('leaves ordinary values alone', () => {
    expect(headerValue('Zoë O’Brien (Acme Support)')).toBe('Zoë O’Brien (Acme Support)')
    expect(headerValue('Re: Kettle [#12]')).toBe('Re: Kettle [#12]')
  })
})

describe('headerRecord', () => {
  it('makes every value one line and drops names that are not header field names', () => {
    expect(
      headerRecord({
        'In-Reply-To': '<a@example.com>\r\nBcc: x@y',
        'Bad Name': 'x',
        'X\r\nBcc': 'y',
        'Colon:Name': 'z',
      }),
    ).toEqual({ 'In-Reply-To': '<a@example.com> Bcc: x@y' })
  })
})
