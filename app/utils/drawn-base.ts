import { z } from 'zod'
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

/** A field's value as an edit form's save compares it: text, a switch, a number, a set of boxes. */
type SavedValue = string | number | boolean | null | readonly string[]

/** A field a teammate saved since the form was drawn, and its stored value as the form shows it. */
export type TeammateConflict<Name extends string = string> = { name: Name; value: string | string[] }

/** A domain operation's outcome when drawnSave found conflicts: nothing was saved. */
export type TeammateSavedFirst<Name extends string = string> = {
  kind: 'teammate-saved'
  fields: Array<TeammateConflict<Name>>
}

const asSet = (list: readonly string[]) => [...new Set(list)].sort().join('\n')

/**
 * Equal as stored: a list of boxes in any order, a text whatever its line breaks (one stored with
 * a browser's CRLF before posts were read as `\n` is drawn, and posted back, with `\n`).
 */
function sameSaved(a: SavedValue | undefined, b: SavedValue | undefined) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && asSet(a) === asSet(b)
  }
  if (typeof a === 'string' && typeof b === 'string') return withLfLineBreaks(a) === withLfLineBreaks(b)
  return a === b
}

/** A value as the form's field holds it: a ticked box is `on`, an unticked one or none ''. */
function asFormValue(value: SavedValue): string | string[] {
  if (Array.isArray(value)) return [...(value as readonly string[])]
  if (typeof value === 'boolean') return value ? 'on' : ''
  return value === null ? '' : String(value)
}

/**
 * What the save of an edit form drawn with `base` does, under the record's lock (`stored`). A field
 * posted as drawn was not edited: it keeps what is stored, which may be a teammate's save since.
 * A field edited here is saved as posted (`edited`), unless a teammate saved it since the form was
 * drawn, to something else than this post wants: then it is a conflict, and nothing may be saved,
 * for the form to show the teammate's value (found from outside: the second of two people editing
 * one field silently replaced the first's). A field the post names in `replace` (its form showed
 * the teammate's value: TeammateSaved) is saved over it knowingly. Without a readable base every
 * posted field counts as edited and nothing conflicts, as before forms posted one (the API's
 * PATCH too). A field left out of `posted` (undefined) is not saved.
 */
export function drawnSave<Values extends Record<string, SavedValue>>({
  stored,
  posted,
  base,
  replace = [],
}: {
  stored: Values
  posted: { [K in keyof Values]?: Values[K] | undefined }
  base: Values | null
  replace?: readonly string[]
}): { edited: Partial<Values>; conflicts: Array<TeammateConflict<Extract<keyof Values, string>>> } {
  const edited: Partial<Values> = {}
  const conflicts: Array<TeammateConflict<Extract<keyof Values, string>>> = []
  for (const name of Object.keys(stored) as Array<Extract<keyof Values, string>>) {
    const value = posted[name]
    if (value === undefined || (base && sameSaved(value, base[name]))) continue
    edited[name] = value
    const teammateSaved =
      base &&
      !replace.includes(name) &&
      !sameSaved(stored[name], base[name]) &&
      !sameSaved(stored[name], value)
    if (teammateSaved) conflicts.push({ name, value: asFormValue(stored[name]) })
  }
  return { edited, conflicts }
}

/**
 * Whether saving drawnSave's `edited` over `stored` changes nothing: each field equal to what is
 * stored (as `sameSaved` compares them). Such a save writes, records and announces nothing: the
 * same values saved again (a form saved unchanged, a teammate's same change first) used to add an
 * audit row each time.
 */
export function changesNothing<Values extends Record<string, SavedValue>>(
  stored: Values,
  edited: Partial<Values>,
) {
  return (Object.keys(edited) as Array<keyof Values>).every((name) => sameSaved(edited[name], stored[name]))
}

/**
 * An edit form's `replace` hidden field: the fields whose teammate's save the form showed, which
 * this save replaces (see drawnSave). Names the form does not have are ignored.
 */
export function replaceField<Name extends string>(names: readonly Name[]) {
  return z
    .string()
    .max(2000)
    .optional()
    .transform((s) =>
      (s ?? '').split(',').filter((name): name is Name => (names as readonly string[]).includes(name)),
    )
}
