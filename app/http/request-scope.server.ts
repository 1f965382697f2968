import { AsyncLocalStorage } from 'node:async_hooks'
import type { RequestHandler } from 'express'

/**
 * Per-request memory: a page request runs several loaders (layout + page), each with its own
 * guard. Lookups memoized here (the session, the user, the membership) run once per HTTP request.
 * Only GET and HEAD requests memoize: a POST may change what was looked up (a rename, a role
 * change, a sign-out) and then run the page's loaders in the same request, so it always reads fresh.
 */
type Scope = { memo: Map<string, Promise<unknown>> | null }

const storage = new AsyncLocalStorage<Scope>()
const store = globalThis as unknown as { __switchboardScope?: AsyncLocalStorage<Scope> }
// server.ts and the Remix build each load this module: share one storage between them.
store.__switchboardScope ??= storage

export function requestScope(): RequestHandler {
  return (req, _res, next) => {
    const safe = req.method === 'GET' || req.method === 'HEAD'
    store.__switchboardScope!.run({ memo: safe ? new Map() : null }, next)
  }
}

/** Runs `load` once per GET/HEAD request and key; otherwise (a POST, tests, scripts) it always runs. */
export function memoizePerRequest<T>(key: string, load: () => Promise<T>): Promise<T> {
  const memo = store.__switchboardScope!.getStore()?.memo
  if (!memo) return load()
  const existing = memo.get(key)
  if (existing) return existing as Promise<T>
  const promise = load()
  memo.set(key, promise)
  // A failed lookup is not remembered.
  promise.catch(() => memo.delete(key))
  return promise
}

/** What another loader of this GET/HEAD request memoized under `key`, without starting it. */
export function peekPerRequest<T>(key: string): Promise<T> | undefined {
  return store.__switchboardScope!.getStore()?.memo?.get(key) as Promise<T> | undefined
}
