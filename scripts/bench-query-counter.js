// Preloaded by `npm run bench:compare` into the server (`node --import ./scripts/bench-query-counter.js`):
// counts the PostgreSQL statements each HTTP request runs and answers it in `X-Debug-Query-Count`.
// A debug hook for measuring, never loaded by the app itself. Accurate when requests arrive one at a
// time (the bench's probe requests); queries of background work in that window are counted too.
import http from 'node:http'
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

// SIGUSR2: the server's memory by kind (heap, external, array buffers) to stderr.
process.on('SIGUSR2', () => {
  const mb = (n) => `${(n / 1024 / 1024).toFixed(0)} MB`
  const m = process.memoryUsage()
  process.stderr.write(
    `[memory] rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`,
  )
})
