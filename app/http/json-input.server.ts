/**
 * Parsed JSON from outside (the REST API's bodies and query strings, MCP requests) checked
 * before it reaches the domain and the database:
 *
 * - NUL (`\u0000`) in any string or key is refused: PostgreSQL's text cannot hold it, so it
 *   would fail deep in a statement as a 500.
 * - Lone surrogates (`"\ud800"` is valid JSON) become U+FFFD, as a UTF-8 decoder would make
 *   them: PostgreSQL's jsonb refuses them (audit rows carry request values), and they cannot be
 *   encoded as UTF-8 at all.
 * - Nesting deeper than MAX_JSON_DEPTH is refused. No input of ours nests more than a few
 *   levels; the walk is iterative, so even a 100,000-deep array is an answer, not a stack overflow.
 */

import { wellFormed, withoutNulText } from '#app/utils/well-formed.ts'

export const MAX_JSON_DEPTH = 64

export type JsonInputProblem =
  { kind: 'nul'; field: string; message: string } | { kind: 'depth'; field: string; message: string }

type Path = { parent: Path | undefined; key: string } | undefined

function pathText(path: Path) {
  const keys: string[] = []
  for (let at = path; at; at = at.parent) keys.push(at.key)
  return keys.reverse().join('.')
}

type Container = Record<string, unknown> | unknown[]

/**
 * Checks (and mends, in place) a value fresh from JSON.parse. Returns the value to use, or the
 * first problem found with the dotted path of its field (`customer.email`, `tags.2`; '' for the
 * whole body).
 */
export function checkJsonInput(
  root: unknown,
  { nul = 'refuse' }: { nul?: 'refuse' | 'strip' } = {},
): { value: unknown } | { problem: JsonInputProblem } {
  // 'strip': for JSON we cannot send back (a webhook's events, a model's answer), NUL is removed.
  const mend = (text: string) => wellFormed(nul === 'strip' ? withoutNulText(text) : text)
  const refuses = (text: string) => nul === 'refuse' && text.includes('\u0000')
  if (typeof root === 'string') {
    if (refuses(root)) return { problem: nulProblem(undefined) }
    return { value: mend(root) }
  }
  if (!root || typeof root !== 'object') return { value: root }
  const stack: Array<{ container: Container; path: Path; depth: number }> = [
    { container: root as Container, path: undefined, depth: 1 },
  ]
  while (stack.length > 0) {
    const { container, path, depth } = stack.pop()!
    if (depth > MAX_JSON_DEPTH) {
      return {
        problem: {
          kind: 'depth',
          field: pathText(path),
          message: `Must not nest more than ${MAX_JSON_DEPTH} levels deep`,
        },
      }
    }
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item = container[i]
        const itemPath = { parent: path, key: String(i) }
        if (typeof item === 'string') {
          if (refuses(item)) return { problem: nulProblem(itemPath) }
          container[i] = mend(item)
        } else if (item && typeof item === 'object') {
          stack.push({ container: item as Container, path: itemPath, depth: depth + 1 })
        }
      }
      continue
    }
    for (const key of Object.keys(container)) {
      const keyPath = { parent: path, key }
      if (refuses(key)) return { problem: nulProblem(keyPath) }
      const item = container[key]
      let value = item
      if (typeof item === 'string') {
        if (refuses(item)) return { problem: nulProblem(keyPath) }
        value = mend(item)
      } else if (item && typeof item === 'object') {
        stack.push({ container: item as Container, path: keyPath, depth: depth + 1 })
      }
      const cleanKey = mend(key)
      if (cleanKey !== key) delete container[key]
      // defineProperty, not assignment: a key of "__proto__" stays a plain property, as JSON.parse made it.
      if (cleanKey !== key || value !== item) {
        Object.defineProperty(container, cleanKey, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
    }
  }
  return { value: root }
}

function nulProblem(path: Path): JsonInputProblem {
  return { kind: 'nul', field: pathText(path), message: 'Must not contain NUL characters' }
}
