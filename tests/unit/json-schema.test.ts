import { describe, expect, it } from 'vitest'
import { schemaErrors } from '#tests/helpers/json-schema.ts'

describe('the JSON Schema subset validator (tests/helpers/json-schema.ts)', () => {
  const root = {
    components: {
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            status: { type: 'integer', minimum: 400, maximum: 599 },
            errors: { type: 'array', items: { type: 'string' }, maxItems: 2 },
          },
          required: ['type', 'status'],
          additionalProperties: false,
        },
      },
    },
  }
  const ref = { $ref: '#/components/schemas/Problem' }

  it('accepts what conforms and names each member that does not', () => {
    expect(schemaErrors(ref, { type: 'x', status: 404 }, root)).toEqual([])
    expect(schemaErrors(ref, { type: 'x', status: 404, contact_id: 'c' }, root)).toEqual([
      '$.contact_id: not allowed (additional)',
    ])
    expect(schemaErrors(ref, { status: 4.5 }, root)).toEqual([
      '$: missing required type',
      '$.status: expected integer, got 4.5',
    ])
    expect(schemaErrors(ref, { type: 'x', status: 200, errors: ['a', 'b', 3] }, root)).toEqual([
      '$.status: 200 < minimum 400',
      '$.errors: more than 2 items',
      '$.errors[2]: expected string, got 3',
    ])
    expect(schemaErrors(ref, [], root)).toEqual(['$: expected object, got []'])
  })

  it('checks strings by characters, pattern (as Unicode), format, enum and const', () => {
    const s = { type: 'string', minLength: 1, maxLength: 2 }
    expect(schemaErrors(s, '😀😀')).toEqual([])
    expect(schemaErrors(s, '')).toEqual(['$: shorter than 1'])
    expect(schemaErrors(s, 'abc')).toEqual(['$: longer than 2'])
    expect(schemaErrors({ type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' }, 'a b')).toHaveLength(1)
    expect(schemaErrors({ type: 'string', format: 'uuid' }, crypto.randomUUID())).toEqual([])
    expect(schemaErrors({ type: 'string', format: 'uuid' }, 'nope')).toHaveLength(1)
    expect(schemaErrors({ type: 'string', format: 'date-time' }, '2026-11-02T09:30:00.000Z')).toEqual([])
    expect(schemaErrors({ type: 'string', format: 'date-time' }, '2026-11-02')).toHaveLength(1)
    expect(schemaErrors({ enum: ['a', 'b'] }, 'c')).toHaveLength(1)
    expect(schemaErrors({ const: 'true' }, 'true')).toEqual([])
    expect(schemaErrors({ const: 'true' }, 'false')).toHaveLength(1)
  })

  it('reads type lists, anyOf, oneOf, allOf, items, maxProperties and boolean schemas', () => {
    expect(schemaErrors({ type: ['string', 'null'] }, null)).toEqual([])
    expect(schemaErrors({ anyOf: [{ type: 'string' }, { type: 'null' }] }, 1)).toHaveLength(1)
    expect(schemaErrors({ oneOf: [{ type: 'integer' }, { type: 'number' }] }, 1)).toEqual([
      '$: matches 2 of oneOf, not exactly 1',
    ])
    expect(schemaErrors({ allOf: [{ minimum: 1 }, { maximum: 3 }] }, 4)).toEqual(['$: 4 > maximum 3'])
    expect(schemaErrors({ type: 'object', maxProperties: 0, additionalProperties: false }, {})).toEqual([])
    expect(schemaErrors({ type: 'object', maxProperties: 0 }, { a: 1 })).toEqual(['$: more than 0 members'])
    expect(schemaErrors(false, 1)).toEqual(['$: not allowed'])
    expect(schemaErrors(true, 1)).toEqual([])
  })

  it('refuses a keyword, format or reference it does not know instead of passing it unchecked', () => {
    expect(() => schemaErrors({ type: 'string', contentEncoding: 'base64' }, 'x')).toThrow(/contentEncoding/)
    expect(() => schemaErrors({ type: 'string', format: 'ipv4' }, 'x')).toThrow(/ipv4/)
    expect(() => schemaErrors({ $ref: '#/components/schemas/Missing' }, 1, root)).toThrow(/unresolved/)
  })
})
