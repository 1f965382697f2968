declare const parsesTo: unique symbol

/**
 * JSON text known to parse to a `T`. A loader that returns a list of many small objects (the
 * inbox's 25 rows) returns it as one of these: Remix's turbo-stream encoder then writes a single
 * string instead of walking every row's keys and values, which was the largest part of a queue
 * `.data` answer's CPU time (docs/performance.md, session 8). The component parses it back with
 * `useJsonText`.
 */
export type JsonText<T> = string & { readonly [parsesTo]: T }

export function toJsonText<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>
}

export function fromJsonText<T>(text: JsonText<T>): T {
  return JSON.parse(text) as T
}
