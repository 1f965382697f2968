import { describe, expect, it } from 'vitest'
import { replySubject, withReference } from '#app/domain/email-templates.server.ts'

describe('replySubject', () => {
  it('puts one Re: before a subject that already carries reply or forward prefixes', () => {
    expect(replySubject('RE: Unicode msgid', 38)).toBe('Re: Unicode msgid [#38]')
    expect(replySubject('Fwd: Refund for order 4411', 37)).toBe('Re: Refund for order 4411 [#37]')
    expect(replySubject('Re: RE: Aw: SV: Antw: Where is my order?', 5)).toBe('Re: Where is my order? [#5]')
    expect(replySubject('AW: WG: Rechnung', 6)).toBe('Re: Rechnung [#6]')
    expect(replySubject('Re[2]: Re(3): re^2 : FW: Status', 7)).toBe('Re: Status [#7]')
    expect(replySubject('回复：发票', 8)).toBe('Re: 发票 [#8]')
    expect(replySubject('Kettle', 12)).toBe('Re: Kettle [#12]')
  })

  it('leaves words that only start like a prefix alone', () => {
    expect(replySubject('Refund for order 4411', 37)).toBe('Re: Refund for order 4411 [#37]')
    expect(replySubject('Reset: my password', 3)).toBe('Re: Reset: my password [#3]')
    expect(replySubject('Travel: booking', 4)).toBe('Re: Travel: booking [#4]')
  })

  it("does not repeat the ticket's reference, and still appends it after another ticket's", () => {
    expect(replySubject('Re: Kettle [#12]', 12)).toBe('Re: Kettle [#12]')
    expect(replySubject('We received your request: Kettle [#12]', 12)).toBe(
      'Re: We received your request: Kettle [#12]',
    )
    expect(replySubject('About [#12] again', 13)).toBe('Re: About [#12] again [#13]')
    // The last reference is the one threading reads: here #12, so #13 goes after it.
    expect(replySubject('[#13] then [#12]', 13)).toBe('Re: [#13] then [#12] [#13]')
    expect(replySubject('Re:', 9)).toBe('Re: [#9]')
  })
})

describe('withReference', () => {
  it("appends the ticket's reference once", () => {
    expect(withReference('Kettle', 12)).toBe('Kettle [#12]')
    expect(withReference('Kettle [#12]', 12)).toBe('Kettle [#12]')
    expect(withReference('Kettle [#012]', 12)).toBe('Kettle [#012] [#12]')
  })
})
