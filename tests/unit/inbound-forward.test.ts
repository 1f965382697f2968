import { describe, expect, it } from 'vitest'
import { forwardedSender } from '#app/domain/inbound-forward.server.ts'

describe('the sender of a message forwarded inline', () => {
  it('is read under the marker each common mail program writes', () => {
    const gmail =
      'Can you take this?\n\n---------- Forwarded message ---------\nFrom: *Dave Buyer* <Dave@Buyer.test>\nDate: Mon\nSubject: Refund\n\nHi'
    const apple = 'FYI\n\nBegin forwarded message:\n\nFrom: "Dave Buyer" <dave@buyer.test>\nSubject: Refund\n'
    const outlook =
      'See below\n\n-----Original Message-----\nFrom: Dave Buyer [mailto:dave@buyer.test]\nSent: Monday\n'
    const outlookNew =
      'See below\n\n________________________________\nFrom: Dave Buyer <dave@buyer.test>\nSent: Monday\n'
    const thunderbird =
      '\n-------- Forwarded Message --------\nSubject: \tRefund\nDate: \tMon\nFrom: \tDave Buyer <dave@buyer.test>\nTo: us\n'
    const german = '---------- Weitergeleitete Nachricht ---------\nVon: Dave Buyer <dave@buyer.test>\n'
    for (const text of [gmail, apple, outlook, outlookNew, thunderbird, german]) {
      expect(forwardedSender(text)).toEqual({ address: 'dave@buyer.test', name: 'Dave Buyer' })
    }
    expect(forwardedSender('-----Original Message-----\r\nFrom: dave@buyer.test\r\n')).toEqual({
      address: 'dave@buyer.test',
      name: '',
    })
  })

  it('is nothing without a marker, or when the address is not one we can email', () => {
    expect(forwardedSender('From: Dave Buyer <dave@buyer.test>\nHello')).toBeUndefined()
    expect(forwardedSender('Begin forwarded message:\n\nFrom: Dave Buyer <not an address>\n')).toBeUndefined()
    expect(forwardedSender('Begin forwarded message:\n\nSubject: x\n')).toBeUndefined()
    // The sender's line must be among the forwarded message's first header lines.
    expect(
      forwardedSender(`Begin forwarded message:\n${'\n'.repeat(12)}From: dave@buyer.test\n`),
    ).toBeUndefined()
  })
})
