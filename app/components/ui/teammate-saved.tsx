import type { TeammateConflict } from '#app/utils/drawn-base.ts'
import { sameValue } from '#app/utils/use-drawn-values.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

const list = new Intl.ListFormat('en', { type: 'conjunction' })

/** A saved value as the notice quotes it: one line, shortened, "empty" when there is none. */
function quoted(value: string | string[]) {
  const text = (Array.isArray(value) ? value.join(', ') : value).replace(/\s+/g, ' ').trim()
  if (text === '') return 'empty'
  return `“${text.length > 60 ? `${sliceWhole(text, 59)}…` : text}”`
}

/** The `conflict` of an action's answer (teammateConflict), if it has one. */
export function conflictIn(answer: unknown): TeammateConflict[] | undefined {
  if (typeof answer !== 'object' || answer === null || !('conflict' in answer)) return undefined
  return Array.isArray(answer.conflict) ? (answer.conflict as TeammateConflict[]) : undefined
}

/** A box's stored value as the notices quote it. */
export const onOff = (value: string | string[]) => (value === 'on' ? 'on' : 'off')

type NamedValue = { label: string; value: string | string[] }

const named = (fields: NamedValue[]) =>
  list.format(fields.map((field) => `${field.label} (now ${quoted(field.value)})`))

/**
 * In an edit form: the fields a teammate saved while this person was editing them here (see
 * useDrawnValues). The person's text stays in them; saving replaces the teammate's.
 */
export function TeammateSaved({ fields }: { fields: NamedValue[] }) {
  if (fields.length === 0) return null
  return (
    <p
      role="status"
      className="rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100"
    >
      A teammate saved {named(fields)} while you were editing {fields.length === 1 ? 'it' : 'them'} here.
      Saving replaces {fields.length === 1 ? 'it' : 'them'} with what you typed; the other fields show what is
      saved.
    </p>
  )
}

/** "Not saved: a teammate saved …": a save refused because a teammate's save came first. */
export function ConflictNotice({ fields }: { fields: NamedValue[] }) {
  if (fields.length === 0) return null
  return (
    <p role="alert" className="text-sm text-amber-900 dark:text-amber-200">
      Not saved: a teammate saved {named(fields)} while you were editing. Your text is still here: save again
      to replace theirs with it.
    </p>
  )
}

/**
 * What an edit form two people may save shows under its fields, and posts (see drawnSave): the
 * `replace` hidden field naming the fields whose teammate's save it shows, that notice
 * (TeammateSaved), and a save of this form refused because a teammate saved first (`conflict`,
 * the action's 409 answer) while the teammate's value is still what is stored: once this form's
 * next save replaced it, the answer may linger (a fetcher keeps it through the redirect) but the
 * note goes.
 */
export function TeammateEdits<Name extends string>({
  stored,
  overwritten,
  conflict,
  label,
  shown = (_name, value) => value,
}: {
  stored: Record<Name, string | string[]>
  /** useDrawnValues' `overwritten`. */
  overwritten: Name[]
  conflict: TeammateConflict[] | undefined
  /** What the notices call a field. */
  label: (name: Name) => string
  /** A stored value as the notices quote it (a box: on or off). */
  shown?: (name: Name, value: string | string[]) => string | string[]
}) {
  const refused = (conflict ?? []).filter(
    (field): field is TeammateConflict<Name> =>
      Object.hasOwn(stored, field.name) && sameValue(stored[field.name as Name], field.value),
  )
  const describe = (name: Name) => ({ label: label(name), value: shown(name, stored[name]) })
  return (
    <>
      <input type="hidden" name="replace" value={overwritten.join(',')} />
      <TeammateSaved fields={overwritten.map(describe)} />
      <ConflictNotice fields={refused.map(({ name }) => describe(name))} />
    </>
  )
}
