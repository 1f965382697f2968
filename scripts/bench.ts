// `npm run bench`: startup time, /healthz throughput and signed-in workspace home latency
// against the production build (run `npm run build` first). Prints figures; asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'

const PORT = Number(process.env.BENCH_PORT ?? 3390)
const base = `http://127.0.0.1:${PORT}`
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'))
fs.chmodSync(dataDir, 0o755)

function start(): Promise<{ child: ChildProcess; ms: number }> {
  const started = performance.now()
  const child = spawn(process.execPath, ['build/server.js'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  })
  return new Promise((resolve, reject) => {
    const poll = async () => {
      try {
        const r = await fetch(`${base}/readyz`)
        if (r.ok) return resolve({ child, ms: performance.now() - started })
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 60_000) return reject(new Error('server did not become ready'))
      setTimeout(poll, 25)
    }
    void poll()
  })
}

function stop(child: ChildProcess) {
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

/** N concurrent loops for `seconds`, recording every request's latency. */
async function load(url: string, headers: Record<string, string>, concurrency: number, seconds: number) {
  const latencies: number[] = []
  let errors = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now()
        const r = await fetch(url, { headers })
        await r.arrayBuffer()
        if (r.status !== 200) errors++
        latencies.push(performance.now() - t)
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    errors,
    p50: percentile(latencies, 0.5).toFixed(1),
    p95: percentile(latencies, 0.95).toFixed(1),
    p99: percentile(latencies, 0.99).toFixed(1),
  }
}

const first = await start()
console.log(`first start (initdb + migrations) to /readyz: ${first.ms.toFixed(0)} ms`)
await stop(first.child)
const warm = await start()
console.log(`start on an existing data dir to /readyz: ${warm.ms.toFixed(0)} ms`)

const signup = await fetch(`${base}/signup`, {
  method: 'POST',
  redirect: 'manual',
  headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    name: 'Bench Mark',
    email: 'bench@example.com',
    password: 'benchmark password',
    workspaceName: 'Bench',
    workspaceSlug: 'bench',
  }),
})
const cookie = signup.headers.get('set-cookie')!.split(';')[0]

const health = await autocannon({ url: `${base}/healthz`, connections: 32, duration: 5 })
console.log(`/healthz: ${health.requests.average.toFixed(0)} req/s average, ${health.non2xx} non-2xx`)

await load(`${base}/w/bench`, { cookie }, 16, 2) // warm-up
const home = await load(`${base}/w/bench`, { cookie }, 16, 10)
console.log(
  `workspace home (SSR, signed in, 16 concurrent, 10 s): ${home.requests} requests, p50 ${home.p50} ms, p95 ${home.p95} ms, p99 ${home.p99} ms, errors ${home.errors}`,
)

await stop(warm.child)
fs.rmSync(dataDir, { recursive: true, force: true })
