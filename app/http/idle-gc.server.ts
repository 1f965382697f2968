import type http from 'node:http'

/** How often to look; a quiet interval (no request at all) after a busy one triggers the collection. */
const IDLE_MS = 5_000

/**
 * One full garbage collection once the server has had no request for IDLE_MS after a busy spell.
 * Under load the heap fills with the requests' garbage (and the array buffers it holds); V8 gets
 * no idle signal from Node, so without this an idle server keeps that memory (measured: RSS stayed
 * at its peak, ~280 MB, for as long as it was idle; see docs/performance.md). A full GC of this
 * heap takes tens of milliseconds and runs only when nothing is waiting.
 * Needs `--expose-gc` (`npm start` passes it); without it this does nothing.
 */
export function collectGarbageWhenIdle(server: http.Server) {
  const gc = (globalThis as { gc?: () => void }).gc
  if (typeof gc !== 'function') return
  let requests = 0
  let atLastLook = 0
  let garbage = false
  server.on('request', () => requests++)
  setInterval(() => {
    if (requests !== atLastLook) {
      atLastLook = requests
      garbage = true
    } else if (garbage) {
      // A whole interval without a request after a busy spell: collect once.
      garbage = false
      gc()
    }
  }, IDLE_MS).unref()
}
