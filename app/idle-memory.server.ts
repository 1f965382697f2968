import { performance, type EventLoopUtilization } from 'node:perf_hooks'
import { logger } from '#app/logger.server.ts'

/** How often the event loop's utilization is looked at. */
export const IDLE_CHECK_MS = 5_000
/** Above this share of an interval spent running JavaScript, the server was busy. */
const BUSY_UTILIZATION = 0.05
/** Below it, the interval was quiet (timers, socket heartbeats and queue polls stay well under). */
const QUIET_UTILIZATION = 0.01
/** Only worth a collection when the heap and its buffers grew this much since the last one. */
export const WORTH_COLLECTING_BYTES = 16 * 1024 * 1024

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void

/** The memory a collection can give back: V8's heap and the array buffers its objects hold. */
const heldBytes = () => {
  const { heapTotal, arrayBuffers } = process.memoryUsage()
  return heapTotal + arrayBuffers
}

/**
 * Gives memory back after a busy spell: the first quiet interval (event loop utilization under
 * 1%) after a busy one (over 5%) runs one memory-reducing garbage collection, if the heap and its
 * array buffers grew by WORTH_COLLECTING_BYTES since the last one.
 *
 * V8 shrinks its heap by itself only through its memory reducer, which waits for a low allocation
 * rate: measured after a load test (--trace-memory-reducer), it still judged the server "high
 * alloc" a minute into the quiet, and the heap (with the buffers its garbage held) stayed at its
 * peak. A regular full collection frees the garbage but keeps the pages (RSS unchanged); the
 * 'last-resort' flavour is the memory-reducing one: it compacts the heap and returns its empty
 * pages (RSS 259 -> 189 MB after the bench). It stops the event loop for tens of milliseconds
 * (up to ~300 ms per pass at load average 12), so it runs only after a whole quiet interval.
 *
 * Needs `--expose-gc` (`npm start` passes it); without it this does nothing. Figures in
 * docs/performance.md (Server memory).
 */
export function releaseMemoryWhenIdle({
  collect = globalThis.gc as Collect | undefined,
  intervalMs = IDLE_CHECK_MS,
  worthBytes = WORTH_COLLECTING_BYTES,
}: { collect?: Collect; intervalMs?: number; worthBytes?: number } = {}) {
  if (typeof collect !== 'function') return undefined
  let previous: EventLoopUtilization = performance.eventLoopUtilization()
  let busySinceLastCollection = false
  // No collection yet: the first busy spell is always followed by one. What the process held at
  // start is not a baseline: module loading grows the young generation (up to 2 × 16 MB with
  // `--max-semi-space-size=16`) and leaves its garbage, and measured against that a busy spell's
  // growth could stay under WORTH_COLLECTING_BYTES and the heap keep its peak while idle.
  let heldAfterCollection = 0
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization()
    const { utilization } = performance.eventLoopUtilization(now, previous)
    previous = now
    if (utilization > BUSY_UTILIZATION) {
      busySinceLastCollection = true
      return
    }
    if (utilization >= QUIET_UTILIZATION || !busySinceLastCollection) return
    busySinceLastCollection = false
    const held = heldBytes()
    if (held - heldAfterCollection < worthBytes) return
    const started = performance.now()
    const rssBefore = process.memoryUsage.rss()
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    heldAfterCollection = heldBytes()
    logger().info(
      {
        durationMs: Math.round(performance.now() - started),
        heldMb: [held, heldAfterCollection].map(toMb),
        rssMb: [rssBefore, process.memoryUsage.rss()].map(toMb),
      },
      'quiet after a busy spell: memory released',
    )
    // The collection's own pause is not work: it must not count as the next busy spell.
    previous = performance.eventLoopUtilization()
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}

const toMb = (bytes: number) => Math.round(bytes / 1024 / 1024)
