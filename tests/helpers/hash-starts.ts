import { AsyncLocalStorage, createHook } from 'node:async_hooks'
import { hashStats } from '#app/domain/passwords.server.ts'

export type HashStart = {
  /** The label of the `as(label, …)` the hash was started from; undefined outside one. */
  label: string | undefined
  /** The queue's counters as this hash started (its own derivation counted, no longer waiting). */
  stats: ReturnType<typeof hashStats>
}

/**
 * Records which password hash started when, in the order scrypt was called: a test of the hash
 * queue's order reads that order rather than the order hashes finished in, which is the threads'
 * scheduling (on a loaded machine a hash that started first can finish after three that started
 * later). Node creates an async resource of type SCRYPTREQUEST as our code calls scrypt, in the
 * async context of the caller, so work started inside `as(label, …)` is named by the label
 * however long it waited in the queue. `stop()` when done.
 */
export function recordHashStarts() {
  const caller = new AsyncLocalStorage<string>()
  const starts: HashStart[] = []
  const hook = createHook({
    init(_id, type) {
      if (type === 'SCRYPTREQUEST') starts.push({ label: caller.getStore(), stats: hashStats() })
    },
  }).enable()
  return {
    starts,
    as: <T>(label: string, run: () => Promise<T>) => caller.run(label, run),
    stop: () => hook.disable(),
  }
}
