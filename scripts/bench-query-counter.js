// Preloaded by `npm run bench:compare` into the server (`node --import ./scripts/bench-query-counter.js`):
// counts the PostgreSQL statements each HTTP request runs and answers it in `X-Debug-Query-Count`.
// A debug hook for measuring, never loaded by the app itself. Accurate when requests arrive one at a
// time (the bench's probe requests); queries of background work in that window are counted too.
import http from 'node:http'
import v8 from 'node:v8'
import pg from 'pg'

let total = 0
const query = pg.Client.prototype.query
// BENCH_LOG_QUERIES=1: each statement's first line to stderr, to see which ones a request runs.
const log = process.env.BENCH_LOG_QUERIES === '1'
pg.Client.prototype.query = function countedQuery(...args) {
  total++
  if (log) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? args[0]?.name ?? '?')
    process.stderr.write(`[query ${total}] ${String(text).replace(/\s+/g, ' ').slice(0, 160)}\n`)
  }
  return query.apply(this, args)
}

const startedAt = new WeakMap()
const emit = http.Server.prototype.emit
http.Server.prototype.emit = function emitCounted(event, req, res) {
  if (event === 'request') startedAt.set(res, total)
  return emit.apply(this, [event, req, res])
}

const writeHead = http.ServerResponse.prototype.writeHead
http.ServerResponse.prototype.writeHead = function writeHeadCounted(...args) {
  const started = startedAt.get(this)
  if (started !== undefined && !this.headersSent) {
    this.setHeader('X-Debug-Query-Count', String(total - started))
  }
  return writeHead.apply(this, args)
}

// SIGUSR2: the server's memory by kind (heap, external, array buffers) to stderr, then V8's heap by
// space (committed / used), the memory V8 itself mallocs (compiler zones, parser) and its code.
process.on('SIGUSR2', () => {
  const mb = (n) => `${(n / 1024 / 1024).toFixed(0)} MB`
  const m = process.memoryUsage()
  process.stderr.write(
    `[memory] rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`,
  )
  const h = v8.getHeapStatistics()
  const spaces = v8
    .getHeapSpaceStatistics()
    .filter((s) => s.space_size > 0)
    .map((s) => `${s.space_name.replace(/_space$/, '')} ${mb(s.space_size)}/${mb(s.space_used_size)}`)
  const code = v8.getHeapCodeStatistics()
  process.stderr.write(
    `[memory] spaces (committed/used): ${spaces.join(', ')}; V8 malloced ${mb(h.malloced_memory)} (peak ${mb(h.peak_malloced_memory)}), ` +
      `code+metadata ${mb(code.code_and_metadata_size + code.bytecode_and_metadata_size)}, contexts ${h.number_of_native_contexts}\n`,
  )
})
