import { afterEach, describe, expect, it, vi } from 'vitest'
import { releaseMemoryWhenIdle } from '#app/idle-memory.server.ts'

/** Keeps the event loop busy (running JavaScript) for `ms`: what serving requests looks like. */
function work(ms: number) {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy
  }
}

/** Waits (cheaply: a quiet interval must stay under 1% of the event loop) until `condition` holds. */
async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const intervalMs = 500
let stop: (() => void) | undefined
afterEach(() => stop?.())

describe('releaseMemoryWhenIdle', () => {
  it('does nothing without an exposed gc (node started without --expose-gc)', () => {
    expect(globalThis.gc).toBeUndefined()
    expect(releaseMemoryWhenIdle()).toBeUndefined()
  })

  it('runs one memory-reducing collection when a busy spell goes quiet, once per spell', async () => {
    const collect = vi.fn()
    stop = releaseMemoryWhenIdle({ collect, intervalMs, worthBytes: 0 })
    work(intervalMs) // a busy interval
    await until(() => collect.mock.calls.length === 1)
    expect(collect).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' })

    work(intervalMs) // the next spell: collected again once it is quiet, and only once
    await until(() => collect.mock.calls.length >= 2)
    const quietIntervals = Date.now() + 3 * intervalMs
    await until(() => Date.now() > quietIntervals)
    expect(collect).toHaveBeenCalledTimes(2)
  })

  // With the default threshold: the process's heap at start is no baseline (module loading and a
  // grown young generation), so the first spell collects whatever it held; later spells only
  // when the heap grew by 16 MB since that collection.
  it('collects after the first busy spell whatever the heap held at start, then only after growth', async () => {
    const collect = vi.fn()
    stop = releaseMemoryWhenIdle({ collect, intervalMs })
    work(intervalMs)
    await until(() => collect.mock.calls.length === 1)
    work(intervalMs) // no growth since: nothing worth collecting
    const quietIntervals = Date.now() + 3 * intervalMs
    await until(() => Date.now() > quietIntervals)
    expect(collect).toHaveBeenCalledTimes(1)
  })

  it('skips the collection when the heap did not grow enough to be worth it', async () => {
    const collect = vi.fn()
    stop = releaseMemoryWhenIdle({ collect, intervalMs, worthBytes: Number.POSITIVE_INFINITY })
    work(intervalMs)
    const quietIntervals = Date.now() + 3 * intervalMs
    await until(() => Date.now() > quietIntervals)
    expect(collect).not.toHaveBeenCalled()
  })
})
