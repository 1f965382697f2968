import { AsyncLocalStorage } from 'node:async_hooks'
import type { RequestHandler } from 'express'

/**
 * Per-request memory: a page request runs several loaders (layout + page), each with its own
 * guard. Lookups memoized here (the session, the user, the membership) run once per HTTP request.
 * Only GET and HEAD requests memoize: a POST may change what was looked up (a rename, a role
 * change, a sign-out) and then run the page's loaders in the same request, so it always reads fresh.
 */
type Scope = {
  memo: Map<string, Promise<unknown>> | null
  /**
   * A POST's session renewal, left to the request's first identity read (the action's guard)
   * instead of a lookup of its own: set by the session-renewal middleware, taken once.
   */
  renewal?: ((session: RenewableSession) => Promise<void>) | null
  /** Run once the response has ended (sent or abandoned) and no handler runs: atEndOfRequest. */
  atEnd?: Array<() => void>
  /** The response has closed (sent, or its client went away). */
  closed?: boolean
  /** Handlers still running for this request (whileHandling): an abandoned one may yet commit. */
  handling?: number
  /** atEnd has run: what is added later runs at once. */
  ended?: boolean
  /** A page (not a `.data` request): its render runs in this request, after its loaders. */
  page: boolean
  /** Loader values the page's render reads back (renderValues). */
  renderValues?: Map<string, unknown>
}
type RenewableSession = { id: string; userId: string; expiresAt: Date }

const storage = new AsyncLocalStorage<Scope>()
const store = globalThis as unknown as { __switchboardScope?: AsyncLocalStorage<Scope> }
// server.ts and the Remix build each load this module: share one storage between them.
store.__switchboardScope ??= storage

export function requestScope(): RequestHandler {
  return (req, res, next) => {
    const safe = req.method === 'GET' || req.method === 'HEAD'
    const scope: Scope = { memo: safe ? new Map() : null, page: !req.path.endsWith('.data') }
    res.once('close', () => {
      scope.closed = true
      endIfIdle(scope)
    })
    store.__switchboardScope!.run(scope, next)
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

/**
 * Where a page request's loaders leave values for its render on this server (`keepJsonTextValues`
 * in `app/utils/json-text.ts`): dropped with the request. Undefined for a `.data` request (only
 * the browser reads its data) and outside a request.
 */
export function renderValues(): Map<string, unknown> | undefined {
  const scope = store.__switchboardScope!.getStore()
  if (!scope?.page) return undefined
  return (scope.renderValues ??= new Map())
}

/** Leaves this (POST) request's session renewal to its first identity read (takeRenewal). */
export function deferRenewal(renew: (session: RenewableSession) => Promise<void>) {
  const scope = store.__switchboardScope!.getStore()
  if (scope) scope.renewal = renew
}

/** The renewal deferRenewal left, once: the first identity read of the request runs it. */
export function takeRenewal() {
  const scope = store.__switchboardScope!.getStore()
  const renew = scope?.renewal
  if (!renew) return null
  scope.renewal = null
  return renew
}

/** What another loader of this GET/HEAD request memoized under `key`, without starting it. */
export function peekPerRequest<T>(key: string): Promise<T> | undefined {
  return store.__switchboardScope!.getStore()?.memo?.get(key) as Promise<T> | undefined
}

function endIfIdle(scope: Scope) {
  if (scope.ended || !scope.closed || (scope.handling ?? 0) > 0) return
  scope.ended = true
  for (const run of scope.atEnd ?? []) run()
}

/**
 * Runs `run` once this request's response has ended, sent or abandoned, and the handler that
 * serves it (whileHandling) has returned, so after the action's transaction committed or rolled
 * back. A client that goes away while the action still runs closes the response first: the
 * action then still commits what it names (a ticket and its attachments), so nothing may be
 * decided before it returns. False outside a request (tests and scripts call the code directly).
 */
export function atEndOfRequest(run: () => void) {
  const scope = store.__switchboardScope!.getStore()
  if (!scope) return false
  if (scope.ended) queueMicrotask(run)
  else (scope.atEnd ??= []).push(run)
  return true
}

/** Marks the request's handler as running until `work` settles (see atEndOfRequest). */
export async function whileHandling<T>(work: () => Promise<T>): Promise<T> {
  const scope = store.__switchboardScope!.getStore()
  if (!scope) return work()
  scope.handling = (scope.handling ?? 0) + 1
  try {
    return await work()
  } finally {
    scope.handling = (scope.handling ?? 1) - 1
    endIfIdle(scope)
  }
}
