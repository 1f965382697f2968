import { describe, expect, it } from 'vitest'
import { fromJsonText, toJsonText, type JsonText } from '#app/utils/json-text.ts'

describe('JSON text of loader data', () => {
  it('reads back the value a text was made from once, then parses', () => {
    const rows = [{ id: 'a', tags: [{ id: 't', name: 'Billing' }], preview: 'Hi' }]
    const text = toJsonText(rows)
    expect(text).toBe(JSON.stringify(rows))
    // The server's render in the same request: the value itself, not a parse of it.
    expect(fromJsonText(text)).toBe(rows)
    // Read again (or in the browser, which never made it): a parse, equal to it.
    const again = fromJsonText(text)
    expect(again).not.toBe(rows)
    expect(again).toEqual(rows)
  })

  it('parses a text it did not make, and forgets the oldest of many unread texts', () => {
    expect(fromJsonText('[1,2]' as JsonText<number[]>)).toEqual([1, 2])
    const first = { n: -1 }
    const firstText = toJsonText(first)
    const later = Array.from({ length: 64 }, (_, n) => ({ n }))
    const texts = later.map((v) => toJsonText(v))
    expect(fromJsonText(firstText)).not.toBe(first)
    expect(fromJsonText(firstText)).toEqual(first)
    expect(fromJsonText(texts[63])).toBe(later[63])
  })

  it('gives equal texts the value of either: they parse to the same thing', () => {
    const a = { rows: ['x'] }
    const b = { rows: ['x'] }
    const textA = toJsonText(a)
    const textB = toJsonText(b)
    expect(fromJsonText(textA)).toEqual(JSON.parse(textA))
    expect(fromJsonText(textB)).toEqual(JSON.parse(textB))
  })
})
