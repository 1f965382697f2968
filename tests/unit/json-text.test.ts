import { afterEach, describe, expect, it } from 'vitest'
import { fromJsonText, keepJsonTextValues, toJsonText, type JsonText } from '#app/utils/json-text.ts'

describe('JSON text of loader data', () => {
  afterEach(() => keepJsonTextValues(() => undefined))

  it('parses back without a place to keep values (the browser, a .data request, tests)', () => {
    const rows = [{ id: 'a', tags: [{ id: 't', name: 'Billing' }], preview: 'Hi' }]
    const text = toJsonText(rows)
    expect(text).toBe(JSON.stringify(rows))
    const back = fromJsonText(text)
    expect(back).not.toBe(rows)
    expect(back).toEqual(rows)
    expect(fromJsonText('[1,2]' as JsonText<number[]>)).toEqual([1, 2])
  })

  it('writes characters past ASCII as escapes, and parses back to the same value', () => {
    const rows = [{ preview: 'Café — see “this” → 😀 done…', lone: 'x\ud800y', name: 'Łukasz Müller' }]
    const text = toJsonText(rows)
    expect(text).not.toMatch(/[\u0080-\uffff]/)
    expect(text).toContain('Caf\\u00e9 \\u2014')
    expect(text).toContain('\\ud83d\\ude00')
    expect(JSON.parse(text)).toEqual(rows)
    expect(fromJsonText(text)).toEqual(rows)
  })

  it("gives a page's render the value its loader made the text from, once", () => {
    const page = new Map<string, unknown>()
    keepJsonTextValues(() => page)
    const rows = [{ id: 'a', unread: true }]
    const text = toJsonText(rows)
    expect(fromJsonText(text)).toBe(rows)
    expect(page.size).toBe(0)
    // Read again: a parse, equal to it.
    const again = fromJsonText(text)
    expect(again).not.toBe(rows)
    expect(again).toEqual(rows)
  })

  it("keeps each request's values apart", () => {
    const first = new Map<string, unknown>()
    const second = new Map<string, unknown>()
    let current = first
    keepJsonTextValues(() => current)
    const mine = { rows: ['mine'] }
    const text = toJsonText(mine)
    current = second
    expect(fromJsonText(text)).not.toBe(mine)
    current = first
    expect(fromJsonText(text)).toBe(mine)
  })
})
