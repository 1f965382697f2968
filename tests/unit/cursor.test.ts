import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { CursorId, CursorTime, decodeCursor, encodeCursor } from '#app/domain/cursor.server.ts'

const Key = z.tuple([CursorTime, CursorId])
const key = ['2026-12-02T13:05:09.123456Z', '00000000-0000-4000-8000-000000000000'] as const

describe('keyset cursors', () => {
  it('round-trip a sort key through an opaque, URL-safe string', () => {
    const cursor = encodeCursor(key)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(cursor, Key)).toEqual([...key])
  })

  it.each([
    ['nothing', undefined],
    ['garbage', 'not a cursor'],
    ['JSON of another shape', encodeCursor(['x', 1])],
    ['an impossible date', encodeCursor(['2026-13-45T25:61:61Z', key[1]])],
    ['a year before 1000', encodeCursor(['0000-01-01T00:00:00Z', key[1]])],
    ['an injection attempt', encodeCursor(["2026-01-01T00:00:00Z' or 1=1", key[1]])],
    ['an oversized string', 'A'.repeat(10_000)],
  ])('read %s as no cursor', (_, cursor) => {
    expect(decodeCursor(cursor, Key)).toBeUndefined()
  })
})
