import { describe, expect, it } from 'vitest'
import { checkJsonInput, MAX_JSON_DEPTH } from '#app/http/json-input.server.ts'
import { safeErrorMessage } from '#app/logger.server.ts'
import { wellFormed } from '#app/utils/well-formed.ts'

describe('checkJsonInput', () => {
  it('passes ordinary input through as it is', () => {
    const value = {
      subject: 'Hello',
      tags: ['a', 'b'],
      customer: { email: 'a@example.com' },
      n: 3,
      ok: true,
      none: null,
    }
    expect(checkJsonInput(structuredClone(value))).toEqual({ value })
    expect(checkJsonInput('text')).toEqual({ value: 'text' })
    expect(checkJsonInput(42)).toEqual({ value: 42 })
  })

  it('names the field of the first NUL, in values and in keys', () => {
    expect(checkJsonInput({ customer: { email: 'a\u0000@x' } })).toEqual({
      problem: { kind: 'nul', field: 'customer.email', message: 'Must not contain NUL characters' },
    })
    expect(checkJsonInput({ tags: ['ok', 'b\u0000'] })).toMatchObject({
      problem: { kind: 'nul', field: 'tags.1' },
    })
    expect(checkJsonInput({ 'we\u0000ird': 1 })).toMatchObject({
      problem: { kind: 'nul', field: 'we\u0000ird' },
    })
    expect(checkJsonInput('\u0000')).toMatchObject({ problem: { kind: 'nul', field: '' } })
  })

  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    const value = JSON.parse('{"a":"x\\ud800y","b":["\\udc00"],"\\ud800k":"\\ud83d\\ude00"}')
    expect(checkJsonInput(value)).toEqual({ value: { a: 'x\ufffdy', b: ['\ufffd'], '\ufffdk': '😀' } })
  })

  it('keeps a "__proto__" key a plain property when it mends it', () => {
    const value = JSON.parse('{"__proto__":"\\ud800"}') as Record<string, unknown>
    const checked = checkJsonInput(value) as { value: Record<string, unknown> }
    expect(Object.getPrototypeOf(checked.value)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(checked.value, '__proto__')?.value).toBe('\ufffd')
  })

  it("'strip' removes NUL instead of refusing it, in values and keys", () => {
    const value = JSON.parse('{"re\\u0000ason":"a\\u0000b","list":["\\u0000","\\ud800"]}')
    expect(checkJsonInput(value, { nul: 'strip' })).toEqual({ value: { reason: 'ab', list: ['', '\ufffd'] } })
  })

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels without recursing`, () => {
    const nest = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)
    expect(checkJsonInput(nest(MAX_JSON_DEPTH))).toHaveProperty('value')
    expect(checkJsonInput(nest(MAX_JSON_DEPTH + 1))).toMatchObject({ problem: { kind: 'depth' } })
    expect(checkJsonInput(nest(200_000))).toMatchObject({ problem: { kind: 'depth' } })
  })
})

describe('wellFormed', () => {
  it('returns the same string when there is nothing to mend', () => {
    const text = 'plain text, é and 😀'
    expect(wellFormed(text)).toBe(text)
    expect(wellFormed('\ud83d')).toBe('\ufffd')
    expect(wellFormed('a\ude00\ud83d\ude00\ud83d')).toBe('a\ufffd😀\ufffd')
  })
})

describe('safeErrorMessage', () => {
  it("leaves out a failed query's parameters and keeps PostgreSQL's reason", () => {
    const cause = new Error('invalid byte sequence for encoding "UTF8": 0x00')
    const error = new Error(
      'Failed query: insert into "tickets" ("subject") values ($1)\nparams: a customer’s words',
      {
        cause,
      },
    )
    const message = safeErrorMessage(error)
    expect(message).toBe(
      'Failed query: insert into "tickets" ("subject") values ($1): invalid byte sequence for encoding "UTF8": 0x00',
    )
    expect(message).not.toContain('customer')
    expect(safeErrorMessage('plain')).toBe('plain')
  })
})
