declare const parsesTo: unique symbol

/**
 * JSON text known to parse to a `T`. A loader that returns a list of many small objects (the
 * inbox's 25 rows) returns it as one of these: Remix's turbo-stream encoder then writes a single
 * string instead of walking every row's keys and values, which was the largest part of a queue
 * `.data` answer's CPU time (docs/performance.md, session 8). The component parses it back with
 * `fromJsonText`.
 */
export type JsonText<T> = string & { readonly [parsesTo]: T }

let valuesOfThisPage: (() => Map<string, unknown> | undefined) | undefined

/**
 * Server only (`entry.server.tsx`): where a page request's texts keep the values they were made
 * from, for its render to read back instead of parsing them again (the inbox's 25 rows: ~13 KB
 * of JSON parsed once less per page). Per request, so nothing outlives it or crosses to another;
 * a `.data` answer, which only the browser parses, keeps nothing.
 */
export function keepJsonTextValues(provider: () => Map<string, unknown> | undefined) {
  valuesOfThisPage = provider
}

/**
 * The value's JSON with every character past ASCII written as a `\uXXXX` escape (the same JSON).
 * One "…" or "—" in a preview makes V8 store the whole text, and every string built from it on
 * the way out (turbo-stream's escaped copy, the joined answer), with two bytes a character;
 * escaped, they stay one byte a character: a queue answer's encoding took 32–38 µs instead of
 * 66–72 (docs/performance.md, session 26).
 */
export function toJsonText<T>(value: T): JsonText<T> {
  const json = JSON.stringify(value)
  const text = PAST_ASCII.test(json) ? json.replace(PAST_ASCII_ALL, escapeChar) : json
  valuesOfThisPage?.()?.set(text, value)
  return text as JsonText<T>
}

const PAST_ASCII = /[\u0080-\uffff]/
const PAST_ASCII_ALL = /[\u0080-\uffff]/g
const escapeChar = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`

export function fromJsonText<T>(text: JsonText<T>): T {
  const values = valuesOfThisPage?.()
  const value = values?.get(text)
  if (value === undefined) return JSON.parse(text) as T
  values!.delete(text)
  return value as T
}
