import { AsyncLocalStorage } from 'node:async_hooks'
import type { RequestHandler } from 'express'

/**
 * Per-request memory: a page request runs several loaders (layout + page), each with its own
 * guard. Lookups memoized here (the session, the membership) run once per HTTP request.
 */
type Scope = { memo: Map<string, Promise<unknown>> }

const storage = new AsyncLocalStorage<Scope>()
const store = globalThis as unknown as { __switchboardScope?: AsyncLocalStorage<Scope> }
// server.ts and the Remix build each load this module: share one storage between them.
store.__switchboardScope ??= storage

export function requestScope(): RequestHandler {
  return (_req, _res, next) => store.__switchboardScope!.run({ memo: new Map() }, next)
}

/** Runs `load` once per request and key; outside a request (tests, scripts) it always runs. */
export function memoizePerRequest<T>(key: string, load: () => Promise<T>): Promise<T> {
  const scope = store.__switchboardScope!.getStore()
  if (!scope) return load()
  const existing = scope.memo.get(key)
  if (existing) return existing as Promise<T>
  const promise = load()
  scope.memo.set(key, promise)
  // A failed lookup is not remembered.
  promise.catch(() => scope.memo.delete(key))
  return promise
}

/** Forgets memoized lookups (after a write that changes them, e.g. sign-out). */
export function forgetPerRequest(prefix: string) {
  const scope = store.__switchboardScope!.getStore()
  if (!scope) return
  for (const key of scope.memo.keys()) if (key.startsWith(prefix)) scope.memo.delete(key)
}
