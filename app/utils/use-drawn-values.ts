import type { SubmissionResult } from '@conform-to/react'
import { useEffect, useRef, useState } from 'react'
import { withLfLineBreaks } from './line-breaks.ts'

/**
 * An edit form's values as its fields hold them: a string per field ('' for an unticked box), a
 * list for a group of boxes sharing one name.
 */
export type FormValues = Record<string, string | string[]>

/**
 * Conform's `form.update`, which writes a field's value into the form in place. Its payload is
 * typed by each form's schema; the names this hook passes are the keys of `stored`, which are the
 * form's field names.
 */
type UpdateField = (payload: never) => void

type DrawnOptions<Values extends FormValues> = {
  /**
   * Conform's `form.update`, to write a field's stored value into the form in place (its state
   * follows). A plain form (no Conform) leaves it out: the field's element is written directly.
   */
  update?: UpdateField
  /**
   * New (not null) each time this form's own save went through, in the render whose `stored`
   * has it: `savedResult(lastResult)` for a form whose action resets it after a save. The form is
   * then drawn anew. Without one (a fetcher's form), its own save is told by what was typed now
   * being what is stored (`asSaved`).
   */
  saved?: object | null
  /** The typed values as a save would store them (trimmed, a time zone under its listed name). */
  asSaved?: (typed: Values) => Values
}

/**
 * The values an edit form counts as drawn (what its hidden `base` posts), field by field, while
 * what is stored changes under it: a teammate's save, seen when this page reloads its data (after
 * one of this person's saves in another form of the page, or a live event).
 *
 * - A field this person has not edited takes the stored value, in place (Conform's update), so
 *   what they typed in other fields, the focus and an opened `<details>` stay; before, the forms
 *   were keyed on the stored values and drawn anew, dropping unsaved typing.
 * - A field they edited keeps their text and its drawn value, so their save replaces the
 *   teammate's value there (the last save wins per field) and keeps it everywhere else;
 *   `overwritten` names those fields, for the form to say so. Edited to what is now stored, it
 *   counts as drawn with it.
 * - A box of a group follows the same rule box by box.
 * - After the form's own save, it is drawn anew; so is a form of another id (the same component
 *   showing another record, e.g. the next ticket's customer card).
 *
 * Before hydration and without JavaScript a form is what the server drew from the stored values.
 */
export function useDrawnValues<Values extends FormValues>(
  formId: string,
  stored: Values,
  { update, saved = null, asSaved }: DrawnOptions<Values>,
): { drawn: Values; overwritten: Array<Extract<keyof Values, string>> } {
  // Drawn per form: another form id (the next ticket's customer, opened without a page load) is a
  // form drawn anew from its stored values, not this one's values changed by a teammate.
  const [state, setState] = useState({ formId, drawn: stored })
  if (state.formId !== formId) setState({ formId, drawn: stored })
  const drawn = state.formId === formId ? state.drawn : stored
  const latest = useRef({ stored, drawn, update, asSaved })
  latest.current = { stored, drawn, update, asSaved }
  const seenSaved = useRef(saved)
  const seenFormId = useRef(formId)
  const storedKey = JSON.stringify(stored)
  useEffect(() => {
    const { stored, drawn, update, asSaved } = latest.current
    const ownSave = saved !== null && saved !== seenSaved.current
    seenSaved.current = saved
    const otherForm = seenFormId.current !== formId
    seenFormId.current = formId
    const form = document.getElementById(formId)
    if (!(form instanceof HTMLFormElement)) return
    // After its own save every field is drawn anew, boxes Conform's reset does not redraw too.
    const anew = ownSave || otherForm
    const { next, updates } = mergeStored(anew ? null : drawn, stored, new FormData(form), asSaved)
    for (const change of updates) {
      if (update) update(change as never)
      else writeField(form, change.name, change.value)
    }
    if (JSON.stringify(next) !== JSON.stringify(drawn)) setState({ formId, drawn: next })
  }, [formId, storedKey, saved])
  const overwritten = Object.keys(stored).filter((name) => !sameValue(drawn[name], stored[name])) as Array<
    Extract<keyof Values, string>
  >
  return { drawn, overwritten }
}

/** Writes a value into a plain form's field: its text, its selected option, its ticked boxes. */
function writeField(form: HTMLFormElement, name: string, value: string | string[]) {
  const values = Array.isArray(value) ? value : [value]
  for (const element of Array.from(form.elements)) {
    if (element instanceof HTMLInputElement && element.name === name) {
      if (element.type === 'checkbox' || element.type === 'radio')
        element.checked = values.includes(element.value)
      else element.value = values[0] ?? ''
    } else if (element instanceof HTMLSelectElement && element.name === name) {
      for (const option of Array.from(element.options)) option.selected = values.includes(option.value)
    } else if (element instanceof HTMLTextAreaElement && element.name === name) {
      element.value = values[0] ?? ''
    }
  }
}

/**
 * An action's answer to a form when it reset the form (`submission.reply({ resetForm: true })`,
 * which our actions give a save that went through), else null.
 */
export function savedResult(result: SubmissionResult<string[]> | null | undefined) {
  return result?.initialValue === null ? result : null
}

/**
 * What a form drawn with `drawn`, whose fields hold `typed`, counts as drawn once `stored` has
 * changed, and the fields to write in place: those not edited whose stored value changed, or
 * every field that differs from the stored values when `drawn` is null (drawn anew).
 */
export function mergeStored<Values extends FormValues>(
  drawn: Values | null,
  stored: Values,
  typed: FormData,
  asSaved: (typed: Values) => Values = (values) => values,
): { next: Values; updates: Array<{ name: string; value: string | string[] }> } {
  const shown: FormValues = {}
  for (const [name, now] of Object.entries(stored)) {
    const values = typed.getAll(name).filter((v): v is string => typeof v === 'string')
    shown[name] = Array.isArray(now) ? values : (values[0] ?? '')
  }
  const saved: FormValues = asSaved(shown as Values)
  const next: FormValues = { ...(drawn ?? stored) }
  const updates: Array<{ name: string; value: string | string[] }> = []
  for (const [name, now] of Object.entries(stored)) {
    const value = shown[name]
    if (drawn === null) {
      if (!sameValue(value, now)) updates.push({ name, value: now })
      continue
    }
    const was = drawn[name]
    if (sameValue(was, now)) continue
    if (Array.isArray(now)) {
      // Box by box: one left as drawn takes the stored state, one this person ticked or
      // unticked keeps it (and then equals the stored state or its drawn one does).
      const before = asList(was)
      const ticked = asList(value)
      const options = [...new Set([...now, ...before, ...ticked])]
      const boxes = options.filter((option) =>
        ticked.includes(option) === before.includes(option) ? now.includes(option) : ticked.includes(option),
      )
      next[name] = now
      if (!sameValue(boxes, ticked)) updates.push({ name, value: boxes })
      continue
    }
    if (sameValue(saved[name], was) || sameValue(saved[name], now)) {
      next[name] = now
      if (!sameValue(value, now)) updates.push({ name, value: now })
    }
    // Otherwise edited to something else: it keeps what was typed and its drawn value.
  }
  return { next: next as Values, updates }
}

const asList = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value : value === undefined || value === '' ? [] : [value]

/** Equal as saved: line breaks and surrounding space do not count, nor a list's order. */
export function sameValue(a: string | string[] | undefined, b: string | string[] | undefined) {
  if (Array.isArray(a) || Array.isArray(b)) {
    const left = [...asList(a)].sort()
    const right = [...asList(b)].sort()
    return left.length === right.length && left.every((value, i) => value === right[i])
  }
  const text = (value: string | undefined) => withLfLineBreaks(value ?? '').trim()
  return text(a) === text(b)
}
