import type { z } from 'zod'
import { withLfLineBreaks } from './line-breaks.ts'

/**
 * A form's `base` hidden field (the values it was drawn with, as JSON) read with the shape it was
 * written in, then with the form's own schema so it compares with the posted fields as they are
 * read (trimmed, normalized). Null when there is none (an older page) or it cannot be read: the
 * caller then counts every field as edited. Used by the forms two people may save at once
 * (the customer profile, a mailbox's settings).
 */
export function parseDrawnBase<Raw, Fields>(
  base: string | undefined,
  shape: z.ZodType<Raw>,
  fields: z.ZodType<Fields, Raw>,
): Fields | null {
  if (!base) return null
  let raw: unknown
  try {
    // Line breaks as the posted fields are read (parseSubmission): `\n`, whatever a stored value
    // drawn into the form held (a save from before that carried a browser's CRLF).
    raw = JSON.parse(base, (_key, value: unknown) =>
      typeof value === 'string' ? withLfLineBreaks(value) : value,
    )
  } catch {
    return null
  }
  const drawn = shape.safeParse(raw)
  if (!drawn.success) return null
  const read = fields.safeParse(drawn.data)
  return read.success ? read.data : null
}
