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

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i

/** What a JSON endpoint says it takes, in its 415. */
export const JSON_BODY_ACCEPTED = 'Send the body as application/json in UTF-8, without a Content-Encoding.'

/**
 * Why a JSON body cannot be read as sent (the 415's detail), or undefined when it can: the media
 * type must be JSON (application/json or application/…+json), its charset, if given, utf-8
 * (RFC 8259 §8.1: JSON between systems is UTF-8), and there must be no content coding but
 * identity. Reading Latin-1 or UTF-16 bytes as UTF-8 stored garbled text, and a gzip body was
 * "not valid JSON": both are refused as what they are.
 */
export function jsonBodyRefusal(
  contentType: string | null | undefined,
  contentEncoding: string | null | undefined,
): string | undefined {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';')
  if (!JSON_MEDIA_TYPE.test(mediaType.trim())) return JSON_BODY_ACCEPTED
  for (const parameter of parameters) {
    const at = parameter.indexOf('=')
    const name = parameter
      .slice(0, at === -1 ? undefined : at)
      .trim()
      .toLowerCase()
    const value =
      at === -1
        ? ''
        : parameter
            .slice(at + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1')
    if (name === 'charset' && value.toLowerCase() !== 'utf-8') {
      return `The charset must be utf-8. ${JSON_BODY_ACCEPTED}`
    }
  }
  const codings = (contentEncoding ?? '').split(',').map((c) => c.trim().toLowerCase())
  if (codings.some((coding) => coding !== '' && coding !== 'identity')) {
    return `Content-Encoding is not supported. ${JSON_BODY_ACCEPTED}`
  }
  return undefined
}

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
