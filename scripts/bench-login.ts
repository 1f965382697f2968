// `npm run bench:login`: how long a real sign-in takes while 80 concurrent wrong-password
// loops hammer /login, against the production build (run `npm run build` first). Two floods:
// from 80 addresses (each trying a new email every time, so the limits let them hash) and from
// one address (refused by the per-IP cap once it has 50 failures). Prints figures; asserts nothing.
// BENCH_THREADPOOL=n passes UV_THREADPOOL_SIZE=n to the server (default: the server's own).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const PORT = Number(process.env.BENCH_PORT ?? 3391)
const FLOOD = 80
const SAMPLES = 7
const base = `http://127.0.0.1:${PORT}`
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-login-'))
fs.chmodSync(dataDir, 0o755)

function start(): Promise<ChildProcess> {
  const started = performance.now()
  const child = spawn(process.execPath, ['scripts/start.js'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      ...(process.env.BENCH_THREADPOOL ? { UV_THREADPOOL_SIZE: process.env.BENCH_THREADPOOL } : {}),
    },
    stdio: 'ignore',
  })
  return new Promise((resolve, reject) => {
    const poll = async () => {
      try {
        if ((await fetch(`${base}/readyz`)).ok) return resolve(child)
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

/** The server's libuv worker threads, as Linux names them. */
function libuvThreads(pid: number) {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .filter((t) => fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').startsWith('libuv-worker')).length
  } catch {
    return NaN
  }
}

async function login(email: string, password: string, ip: string) {
  const t = performance.now()
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
    body: new URLSearchParams({ email, password }),
  })
  await r.arrayBuffer()
  return { status: r.status, ms: performance.now() - t }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const REAL = { email: 'real@example.com', password: 'the real password' }
let realIp = 0

/** SAMPLES sequential real sign-ins (each from a fresh address), their latencies. */
async function realLogins() {
  const ms: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const result = await login(REAL.email, REAL.password, `192.0.2.${++realIp}`)
    if (result.status !== 302) throw new Error(`real login answered ${result.status}`)
    ms.push(result.ms)
    await wait(200)
  }
  return ms
}

/** FLOOD concurrent loops of wrong passwords; `ipFor(k)` is loop k's address. */
async function underFlood(label: string, ipFor: (k: number) => string) {
  let running = true
  const statuses: Record<number, number> = {}
  const loops = Array.from({ length: FLOOD }, async (_, k) => {
    for (let n = 0; running; n++) {
      const { status } = await login(`flood-${label}-${k}-${n}@example.com`, 'not the password', ipFor(k))
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  })
  await wait(1000) // let the flood fill the queue first
  const ms = await realLogins()
  running = false
  await Promise.all(loops)
  return { ms, statuses }
}

const server = await start()
const signup = await fetch(`${base}/signup`, {
  method: 'POST',
  redirect: 'manual',
  headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ name: 'Real Person', ...REAL, workspaceName: 'Real', workspaceSlug: 'real' }),
})
if (signup.status !== 302) throw new Error(`signup answered ${signup.status}`)

const fmt = (ms: number[]) =>
  `median ${median(ms).toFixed(0)} ms (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}; in order: ${ms.map((v) => v.toFixed(0)).join(', ')})`
const quiet = await realLogins()
console.log(`cpus ${os.availableParallelism()}; real sign-in, quiet: ${fmt(quiet)}`)
const spread = await underFlood('spread', (k) => `10.9.${k}.1`)
console.log(
  `real sign-in under ${FLOOD} concurrent bad logins from ${FLOOD} addresses: ${fmt(spread.ms)}; flood answers ${JSON.stringify(spread.statuses)}`,
)
const single = await underFlood('single', () => '10.8.0.1')
console.log(
  `real sign-in under ${FLOOD} concurrent bad logins from one address: ${fmt(single.ms)}; flood answers ${JSON.stringify(single.statuses)}`,
)
console.log(`server libuv threadpool threads: ${libuvThreads(server.pid!)}`)
await stop(server)
fs.rmSync(dataDir, { recursive: true, force: true })
