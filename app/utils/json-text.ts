declare const parsesTo: unique symbol

/**
 * JSON text known to parse to a `T`. A loader that returns a list of many small objects (the
 * inbox's 25 rows) returns it as one of these: Remix's turbo-stream encoder then writes a single
 * string instead of walking every row's keys and values, which was the largest part of a queue
 * `.data` answer's CPU time (docs/performance.md, session 8). The component parses it back with
 * `fromJsonText`.
 */
export type JsonText<T> = string & { readonly [parsesTo]: T }

/**
 * The values of texts made in this process and not read back yet: a page rendered on the server
 * reads its loader's text in the same request, and gets the value the text was made from instead
 * of a parse of it (the inbox's 25 rows: ~13 KB of JSON parsed once less per page). Equal texts
 * are equal values, so whichever request's value a text finds is the one its parse would give.
 * Bounded: a text not read back (a `.data` answer, which only the browser parses) leaves it
 * once newer ones push it out.
 */
const made = new Map<string, unknown>()
const MADE_MAX = 64

export function toJsonText<T>(value: T): JsonText<T> {
  const text = JSON.stringify(value)
  if (made.size >= MADE_MAX) made.delete(made.keys().next().value!)
  made.set(text, value)
  return text as JsonText<T>
}

export function fromJsonText<T>(text: JsonText<T>): T {
  const value = made.get(text)
  if (value === undefined) return JSON.parse(text) as T
  made.delete(text)
  return value as T
}
