import { createHash } from 'node:crypto'
import { z } from 'zod'

/**
 * Keyset cursors: the sort key of a page's edge row, as opaque base64url JSON. Decoding checks
 * the key's shape with a schema, so a forged cursor is read as "no cursor" (the first page) and
 * never reaches a SQL cast.
 */

/** A timestamp as the queries write it into sort keys (db/queries/sql.ts isoMicros): real, in range. */
export const CursorTime = z
  .string()
  .regex(/^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/)
  .refine((s) => {
    const ms = Date.parse(s.replace(/(\.\d{3})\d+Z$/, '$1Z'))
    return Number.isFinite(ms) && s.startsWith(new Date(ms).toISOString().slice(0, 19))
  })
export const CursorId = z.uuid()

const MAX_CURSOR_CHARS = 400

/**
 * The key of a cursor bound to one list: the list's name, then its sort key. The public API's
 * lists share key shapes (tickets and contacts are both time and id), so an unbound cursor from
 * one list was a position in another; a cursor named for another list does not decode.
 */
export function listKey<const T extends [z.ZodType, ...z.ZodType[]]>(list: string, ...items: T) {
  return z.tuple([z.literal(list), ...items])
}

export function encodeCursor(sortKey: ReadonlyArray<string | number>) {
  return Buffer.from(JSON.stringify(sortKey)).toString('base64url')
}

/** The sort key in `cursor`, or undefined when it is missing, garbage or of another shape. */
export function decodeCursor<T>(cursor: string | null | undefined, schema: z.ZodType<T>): T | undefined {
  if (!cursor || cursor.length > MAX_CURSOR_CHARS) return undefined
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  const parsed = schema.safeParse(json)
  return parsed.success ? parsed.data : undefined
}

/** What a list's name in a cursor may be (`listName`'s are 23 characters). */
export const CursorListName = z.string().max(64)

/**
 * The name of one list of a kind in the cursors its page links carry: the kind and a digest of
 * what makes the list (its filters, search and sort, in a fixed order), so that a cursor from
 * another view, filter, sort or search, or from another kind of list, does not fit. Not a
 * secret: a cursor is a position, and one of the right list is as good as any.
 */
export function listName(kind: string, identity: ReadonlyArray<string | null>) {
  return `${kind}:${createHash('sha256').update(JSON.stringify(identity)).digest('base64url').slice(0, 16)}`
}
