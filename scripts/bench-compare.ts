// `npm run bench:compare`: the inbox's hot paths through the production build, side by side with a
// bare node:http + pg server answering the same "All open" query, in one run on this machine.
// Seeds (or reuses) the bench workspace in its own DATA_DIR (default .data-bench, never ./data),
// signs in through POST /login, drives each path with autocannon and prints req/s, p50/p95/p99,
// bytes and each path's ratio to the baseline (the run's first, and one measured just before the
// path), plus the server's RSS. Prints figures; asserts nothing.
//
// Options: --tickets N (default 1,000,000; seeds the difference when the workspace has fewer)
//          --seconds S (per path, default 10) --connections C (default 16; the API list and its bare query use
//          --api-connections, default 32) --runs R (default 1:
//          medians of R rounds, each with its own baseline) --only queue,inbox,... --build (build
//          first) --idle S (seconds before the idle RSS, default 20) --node-args "--cpu-prof ..."
//          --api-token T (a bearer token for the API path; else one is made through the settings form)
//          --save-bodies DIR (writes each path's probe response there)
//          --pg-stats (per path, the statements by PostgreSQL time, from pg_stat_statements; the
//          database must preload it: shared_preload_libraries = 'pg_stat_statements')
//          --log-level L (the server's LOG_LEVEL, default info as in production: one JSON line per
//          request, written to /dev/null here)
//          --ab DIR (instead of the table: build/ (A) against the production build in DIR (B), both
//          servers running at once on the same database; each path alternates between them in
//          --ab-rounds rounds (default 9) of --ab-seconds (default 3), the order flipped each round,
//          with both servers started afresh --ab-processes times (default 3; the rounds are split
//          between them), and prints each build's server CPU per request. One server after the other
//          drifted by 10-20% within minutes on the bench machine; interleaved, both see the same
//          drift. And two processes of one build differed by up to 20%: hence the fresh processes.)
//          --ab-node-args "..." (more node flags for B only: `--ab build --ab-node-args "--flag"`
//          compares a flag on the same build)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import type { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { exitOnScriptDatabaseError, openScriptDatabase } from './database.ts'
import { BENCH_OWNER, LONG_THREAD_SUBJECT } from './seed/bench-data.ts'

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}
const TICKETS = Number(arg('tickets') ?? 1_000_000)
const SECONDS = Number(arg('seconds') ?? 10)
const CONNECTIONS = Number(arg('connections') ?? 16)
const RUNS = Number(arg('runs') ?? 1)
// Issue 9 measures the API list (and its bare query) at 32 connections.
const API_CONNECTIONS = Number(arg('api-connections') ?? 32)
const IDLE_SECONDS = Number(arg('idle') ?? 20)
const ONLY = arg('only')?.split(',')
const PG_STATS = process.argv.includes('--pg-stats')
const NODE_ARGS = arg('node-args')?.split(' ').filter(Boolean) ?? []
const AB_NODE_ARGS = arg('ab-node-args')?.split(' ').filter(Boolean) ?? []
// Production's default: the request log's line per request is part of what a request costs.
const LOG_LEVEL = arg('log-level') ?? 'info'
// The server runs with the environment variables and Node flags `npm start` gives it in
// production (package.json: `VAR=value … exec node <flags> scripts/start.js`), so the measured
// memory is production's.
const START_SCRIPT = /^((?:[A-Z_]+=\S* )*)exec node (.*?) ?scripts\/start\.js/.exec(
  JSON.parse(fs.readFileSync('package.json', 'utf8')).scripts.start,
)
const START_ENV = Object.fromEntries(
  (START_SCRIPT?.[1] ?? '')
    .split(' ')
    .filter(Boolean)
    .map((assignment) => [
      assignment.slice(0, assignment.indexOf('=')),
      assignment.slice(assignment.indexOf('=') + 1),
    ]),
)
const START_FLAGS = START_SCRIPT?.[2]?.split(' ').filter(Boolean) ?? []
const WARMUP_SECONDS = 2
/** The bare server's run just before each path (after 1 s of warm-up): see nearRounds. */
const NEAR_BASELINE_SECONDS = 4
const DATA_DIR = path.resolve(process.env.DATA_DIR ?? '.data-bench')
const APP_PORT = Number(process.env.BENCH_PORT ?? 3395)
const BASELINE_PORT = APP_PORT + 1
const app = `http://127.0.0.1:${APP_PORT}`
const baselineBase = `http://127.0.0.1:${BASELINE_PORT}`
// A private copy of build/: other people's rebuilds (which empty build/) cannot change the server
// under a run. A sibling of build/ so the bundle's `../migrations` still resolves.
// Named after DATA_DIR, so two benches on two databases don't replace each other's copy.
const BUILD_COPY = path.resolve(`${DATA_DIR}-build`)
const AB_DIR = arg('ab') === undefined ? undefined : path.resolve(arg('ab')!)
const AB_ROUNDS = Number(arg('ab-rounds') ?? 9)
const AB_SECONDS = Number(arg('ab-seconds') ?? 3)
const AB_PROCESSES = Number(arg('ab-processes') ?? 3)
// B's copy is a sibling of build/ too (its bundle reads `../migrations`).
const AB_COPY = path.resolve(`${DATA_DIR}-build-b`)
const appB = `http://127.0.0.1:${APP_PORT + 2}`

if (path.resolve(DATA_DIR) === path.resolve('data')) {
  console.error('bench:compare never uses ./data: set DATA_DIR to a directory of its own.')
  process.exit(2)
}
fs.mkdirSync(DATA_DIR, { recursive: true })
fs.chmodSync(DATA_DIR, 0o755) // the embedded initdb runs as another user when root
process.env.DATA_DIR = DATA_DIR

const database = await openScriptDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: DATA_DIR }).catch(
  exitOnScriptDatabaseError,
)
const children: ChildProcess[] = []
// Which process answers a measured URL, for its CPU time.
let serverPid: number | undefined
let baselinePid: number | undefined
let serverBPid: number | undefined

async function main(url: string) {
  await seedIfNeeded(url)
  if (PG_STATS)
    await withClient(url, (client) => client.query('create extension if not exists pg_stat_statements'))
  const bench = await benchFacts(url)
  prepareBuild()

  const baseline = await startProcess(
    'baseline',
    [path.resolve('scripts/bench-baseline-server.js')],
    { DATABASE_URL: url, WORKSPACE_ID: bench.workspaceId, PORT: String(BASELINE_PORT) },
    `${baselineBase}/`,
  )
  const serverEnv = (base: string) => ({
    ...START_ENV,
    DATABASE_URL: url,
    PORT: new URL(base).port,
    HOST: '127.0.0.1',
    APP_URL: base,
    NODE_ENV: 'production',
    LOG_LEVEL,
    RUN_WORKER: 'false',
    EMAIL_TRANSPORT: 'outbox',
    // The API row measures answered requests, not 429s: the token's limit (600/min) is lifted.
    API_RATE_LIMIT_PER_MINUTE: '100000000',
    // Likewise the reply row: the workspace's hourly customer-email limit (1,000) is lifted,
    // the reply still takes its slot (the same statements as in production).
    OUTBOUND_EMAILS_PER_HOUR: '100000000',
    OUTBOUND_EMAILS_PER_HOUR_UNVERIFIED: '100000000',
  })
  // The query counter answers X-Debug-Query-Count on the probe requests (see the module).
  const serverArgs = (build: string, extra: string[] = []) => [
    '--import',
    path.resolve('scripts/bench-query-counter.js'),
    ...START_FLAGS,
    ...NODE_ARGS,
    ...extra,
    path.join(build, 'server.js'),
  ]
  if (AB_DIR) {
    if (!fs.existsSync(path.join(AB_DIR, 'server.js'))) throw new Error(`--ab: no server.js in ${AB_DIR}`)
    fs.rmSync(AB_COPY, { recursive: true, force: true })
    fs.cpSync(AB_DIR, AB_COPY, { recursive: true })
    await compareBuilds(bench, {
      a: () => startProcess('server', serverArgs(BUILD_COPY), serverEnv(app), `${app}/readyz`),
      b: () => startProcess('server B', serverArgs(AB_COPY, AB_NODE_ARGS), serverEnv(appB), `${appB}/readyz`),
    })
    await stopProcess(baseline)
    fs.rmSync(AB_COPY, { recursive: true, force: true })
    return
  }
  const server = await startProcess('server', serverArgs(BUILD_COPY), serverEnv(app), `${app}/readyz`)
  serverPid = server.pid
  baselinePid = baseline.pid
  console.log(
    `server RSS at start: ${mb(rssOf(server.pid))} (${Object.entries(START_ENV)
      .map(([name, value]) => `${name}=${value} `)
      .join('')}node ${[...START_FLAGS, ...NODE_ARGS].join(' ')}; LOG_LEVEL=${LOG_LEVEL})`,
  )
  server.kill('SIGUSR2')
  const cookie = await signIn()
  const paths = await benchPaths(bench, cookie)

  console.log(
    `\n${bench.tickets.toLocaleString()} tickets; ${CONNECTIONS} connections (API list: ${API_CONNECTIONS}) × ${SECONDS} s per path ` +
      `(after a ${WARMUP_SECONDS} s warm-up), ${RUNS} run(s), signed in as ${BENCH_OWNER.email}; ` +
      `${fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} CPUs, load average ` +
      `${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the start\n`,
  )
  // The peak, and each path's own (the highest sample while it, or the baseline just before it, ran).
  const rss = { peak: 0, path: 'baseline', byPath: new Map<string, number>() }
  const sampler = setInterval(() => {
    const now = rssOf(server.pid)
    rss.peak = Math.max(rss.peak, now)
    rss.byPath.set(rss.path, Math.max(rss.byPath.get(rss.path) ?? 0, now))
  }, 250)
  const rounds: Array<Map<string, Measured>> = []
  // Each path's own baseline, measured just before it: the machine's speed drifts by 10-20% within
  // the minutes of a run (session 33: PostgreSQL's CPU per request on unchanged paths by up to 30%
  // between runs), so a ratio to the run's first baseline mixes that drift into the path's figure.
  const nearRounds: Array<Map<string, Measured>> = []
  for (let run = 0; run < RUNS; run++) {
    const round = new Map<string, Measured>()
    const near = new Map<string, Measured>()
    round.set('baseline', await measure(baselineBase, { path: '/', method: 'GET' }, {}))
    // The API list's own query on the bare server: the API row's ratio is to this one.
    if (paths.some((p) => p.name === 'API list' && !p.skip)) {
      round.set(
        'baseline API',
        await measure(baselineBase, { path: '/api', method: 'GET' }, {}, API_CONNECTIONS),
      )
    }
    for (const p of paths) {
      if (p.skip) continue
      if (PG_STATS) await withClient(url, (client) => client.query('select pg_stat_statements_reset()'))
      const connections = p.name === 'API list' ? API_CONNECTIONS : CONNECTIONS
      const bare = { path: p.name === 'API list' ? '/api' : '/', method: 'GET' } as const
      rss.path = p.name
      near.set(p.name, await measure(baselineBase, bare, {}, connections, NEAR_BASELINE_SECONDS, 1))
      round.set(p.name, await measure(app, p.request, p.headers, connections))
      if (PG_STATS) await printPgStats(url, p.name, round.get(p.name)!)
    }
    rounds.push(round)
    nearRounds.push(near)
  }
  clearInterval(sampler)
  const afterRun = rssOf(server.pid)
  server.kill('SIGUSR2') // the query counter's preload prints the server's heap figures
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000))
  const afterIdle = rssOf(server.pid)
  server.kill('SIGUSR2')

  printTable(rounds, nearRounds, paths)
  console.log(
    `\nserver RSS: peak under load ${mb(rss.peak)}, after the run ${mb(afterRun)}, after ${IDLE_SECONDS} s idle ${mb(afterIdle)}` +
      ` (baseline process: ${mb(rssOf(baseline.pid))})`,
  )
  console.log(
    `server RSS peak by path: ${[...rss.byPath].map(([name, peak]) => `${name} ${mb(peak)}`).join(', ')}`,
  )
  for (const p of paths) if (p.skip) console.log(`skipped ${p.name}: ${p.skip}`)
  await stopProcess(server)
  await stopProcess(baseline)
}

type Bench = { workspaceId: string; tickets: number; longThread: number }

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/** Tickets in the bench workspace (0 when there is none), not counting the long thread. */
async function benchTickets(url: string) {
  return withClient(url, async (client) => {
    const exists = await client.query(`select to_regclass('public.workspaces') is not null as ok`)
    if (!exists.rows[0].ok) return 0
    const { rows } = await client.query<{ n: number }>(
      `select (w.next_ticket_number - 1 - (select count(*) from tickets t where t.workspace_id = w.id
         and t.subject = $1))::int as n from workspaces w where w.slug = 'bench'`,
      [LONG_THREAD_SUBJECT],
    )
    return rows[0]?.n ?? 0
  })
}

async function seedIfNeeded(url: string) {
  const have = await benchTickets(url)
  if (have >= TICKETS) {
    console.log(`Reusing the bench workspace in ${DATA_DIR}: ${have.toLocaleString()} tickets.`)
    await vacuumIfNeverVacuumed(url)
    return
  }
  const missing = TICKETS - have
  console.log(`Seeding ${missing.toLocaleString()} tickets into ${DATA_DIR} (has ${have.toLocaleString()})…`)
  const started = performance.now()
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', '--tickets', String(missing)], {
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
  })
  console.log(`Seeded in ${((performance.now() - started) / 1000).toFixed(0)} s.`)
  await vacuumIfNeverVacuumed(url)
}

/** A bulk load leaves the visibility map empty: index-only scans would visit the heap. */
async function vacuumIfNeverVacuumed(url: string) {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ vacuumed: boolean }>(
      `select coalesce(last_vacuum, last_autovacuum) is not null as vacuumed
       from pg_stat_user_tables where relname = 'tickets'`,
    )
    if (rows[0]?.vacuumed) return
    const started = performance.now()
    await client.query('vacuum (analyze) tickets, messages, ticket_tags')
    console.log(
      `vacuum (analyze) after the bulk load: ${((performance.now() - started) / 1000).toFixed(0)} s`,
    )
  })
}

/** The statements a path ran during its measurement, by total PostgreSQL execution time. */
async function printPgStats(url: string, name: string, measured: Measured) {
  const requests = measured.rps * (SECONDS + WARMUP_SECONDS)
  await withClient(url, async (client) => {
    const { rows } = await client.query<{
      calls: string
      total: number
      mean: number
      rows: string
      query: string
    }>(
      `select calls, total_exec_time + total_plan_time as total, mean_exec_time as mean, rows, query
       from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
       order by total desc limit 8`,
    )
    console.log(`\n${name}: PostgreSQL time per request, by statement (pg_stat_statements)`)
    for (const row of rows) {
      console.log(
        `  ${(row.total / requests).toFixed(3)} ms/req  ${(Number(row.calls) / requests).toFixed(2)} calls/req  ` +
          `mean ${row.mean.toFixed(3)} ms  ${row.query.replace(/\s+/g, ' ').slice(0, 150)}`,
      )
    }
  })
}

async function benchFacts(url: string): Promise<Bench> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ workspace_id: string; long_thread: number | null }>(
      `select w.id as workspace_id,
         (select max(number) from tickets t where t.workspace_id = w.id and t.subject = $1) as long_thread
       from workspaces w where w.slug = 'bench'`,
      [LONG_THREAD_SUBJECT],
    )
    if (!rows[0]?.long_thread) throw new Error('The bench workspace has no 200-message ticket: reseed it.')
    return {
      workspaceId: rows[0].workspace_id,
      tickets: await benchTickets(url),
      longThread: rows[0].long_thread,
    }
  })
}

function prepareBuild() {
  const lock = ['/tmp/sb-build.lock']
  if (process.argv.includes('--build')) {
    execFileSync('flock', [...lock, 'npm', 'run', 'build'], { stdio: 'inherit' })
  }
  // Copied under the build lock, so never half-built.
  const copied = execFileSync('flock', [
    ...lock,
    'sh',
    '-c',
    `if test -f build/server.js -a -f build/server/index.js; then rm -rf '${BUILD_COPY}' && cp -r build '${BUILD_COPY}' && echo copied; fi`,
  ]).toString()
  if (copied.includes('copied')) return
  if (!fs.existsSync(path.join(BUILD_COPY, 'server.js'))) {
    throw new Error('No production build: run `flock /tmp/sb-build.lock npm run build` (or pass --build).')
  }
  console.log(`build/ is incomplete (a build failed or is under way): using the copy in ${BUILD_COPY}.`)
}

async function startProcess(name: string, args: string[], env: Record<string, string>, readyUrl: string) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    // The server's stdout only when --node-args asks for V8 traces (--trace-gc and the like print there).
    stdio: [
      'ignore',
      name === 'server' && NODE_ARGS.some((a) => a.startsWith('--trace')) ? 'inherit' : 'ignore',
      'inherit',
    ],
  })
  children.push(child)
  const started = performance.now()
  while (performance.now() - started < 60_000) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
    try {
      if ((await fetch(readyUrl)).ok) return child
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${name} did not become ready`)
}

function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

async function signIn() {
  const response = await fetch(`${app}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: app, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: BENCH_OWNER.email, password: BENCH_OWNER.password, redirectTo: '' }),
  })
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  if (response.status !== 302 || !cookie) throw new Error(`sign-in failed: ${response.status}`)
  return cookie
}

type BenchRequest = {
  path: string
  method: 'GET' | 'POST'
  body?: string
  setupRequest?: (request: autocannon.Request) => autocannon.Request
}
type BenchPath = {
  name: string
  request: BenchRequest
  headers: Record<string, string>
  expect: number
  skip?: string
  bytes?: number
  queries?: string
}

async function benchPaths(bench: Bench, cookie: string): Promise<BenchPath[]> {
  const signedIn = { cookie }
  // The composer's form is multipart (it can carry files), with or without JavaScript: the reply
  // is posted as a browser posts it, an empty file input included.
  const boundary = '----SwitchboardBenchBoundary7MA4YWxkTrZu0gW'
  const multipart = {
    cookie,
    origin: app,
    'content-type': `multipart/form-data; boundary=${boundary}`,
  }
  const replyBody = [
    ...Object.entries({
      intent: 'reply',
      kind: 'reply',
      body: 'Thanks for your patience, this is a benchmark reply.',
    }).map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    ),
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n`,
    `--${boundary}--\r\n`,
  ].join('')
  let replies = 0
  const paths: BenchPath[] = [
    { name: 'queue data', request: get('/w/bench/tickets.data'), headers: signedIn, expect: 200 },
    { name: 'SSR inbox', request: get('/w/bench/tickets'), headers: signedIn, expect: 200 },
    { name: 'SSR home', request: get('/w/bench'), headers: signedIn, expect: 200 },
    {
      name: 'ticket page (200 messages)',
      request: get(`/w/bench/tickets/${bench.longThread}`),
      headers: signedIn,
      expect: 200,
    },
    { name: 'search', request: get('/w/bench/tickets?view=all&q=refund'), headers: signedIn, expect: 200 },
    {
      // A real reply form post, multipart as the composer sends it (no JavaScript: the redirect is
      // the success), a different ticket
      // each time so replies do not queue on one ticket's lock.
      name: 'reply POST',
      request: {
        path: '/w/bench/tickets/1',
        method: 'POST',
        body: replyBody,
        setupRequest: (request) => ({
          ...request,
          path: `/w/bench/tickets/${1 + ((replies++ * 7919) % bench.tickets)}`,
        }),
      },
      headers: multipart,
      expect: 302,
    },
    { name: '/healthz', request: get('/healthz'), headers: {}, expect: 200 },
    {
      name: 'API list',
      request: get('/api/v1/tickets?status=open&limit=25'),
      headers: { authorization: `Bearer ${arg('api-token') ?? (await createApiToken(cookie))}` },
      expect: 200,
    },
  ]
  for (const p of paths) {
    if (ONLY && !ONLY.some((o) => p.name.toLowerCase().includes(o.toLowerCase()))) {
      p.skip = 'not in --only'
      continue
    }
    // One request to check the path answers as expected, its size and how many queries it ran.
    const response = await fetch(`${app}${p.request.path}`, {
      method: p.request.method,
      headers: p.headers,
      body: p.request.body,
      redirect: 'manual',
    })
    const body = await response.arrayBuffer()
    p.bytes = body.byteLength
    const saveTo = arg('save-bodies')
    if (saveTo) {
      fs.mkdirSync(saveTo, { recursive: true })
      fs.writeFileSync(path.join(saveTo, `${p.name.replace(/[^a-z0-9]+/gi, '-')}.txt`), Buffer.from(body))
    }
    p.queries = response.headers.get('x-debug-query-count') ?? undefined
    if (p.name === 'API list' && response.status === 404)
      p.skip = 'GET /api/v1/tickets answers 404 (no API yet)'
    else if (p.name === 'API list' && response.status === 401)
      p.skip = 'the API refused the token (401): pass one with --api-token'
    else if (response.status !== p.expect)
      throw new Error(`${p.name}: ${p.request.path} answered ${response.status}, expected ${p.expect}`)
  }
  return paths
}

/**
 * A read-only API token made the way a person makes one: the settings form, signed in as the
 * owner (the token is shown once, in the page). Undefined when there is no such form yet.
 */
async function createApiToken(cookie: string) {
  const response = await fetch(`${app}/w/bench/settings/api-tokens`, {
    method: 'POST',
    headers: { cookie, origin: app, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      intent: 'create',
      name: `bench:compare ${new Date().toISOString()}`,
      scopes: 'tickets:read',
      expiresIn: '7',
    }),
  })
  return (await response.text()).match(/sb_pat_[A-Za-z0-9]+/)?.[0] ?? 'none'
}

/**
 * --ab: each path on A (build/) and B (--ab DIR) in alternating rounds, the order flipped each
 * round, both servers warm; the rounds are split over --ab-processes fresh pairs of servers (their
 * start order flipped too), since two processes of one build can differ by up to 20% on this
 * machine. Server CPU per request over all rounds, and the median round's; B / A for each pair of
 * servers on its own (a difference the pairs do not agree on is this machine's noise, session 32);
 * each side's p95 in its median round.
 */
async function compareBuilds(
  bench: Bench,
  start: { a: () => Promise<ChildProcess>; b: () => Promise<ChildProcess> },
) {
  const perProcess = Math.max(1, Math.round(AB_ROUNDS / AB_PROCESSES))
  console.log(
    `\nA: ${BUILD_COPY} (build/), B: ${AB_COPY} (copy of ${AB_DIR}${AB_NODE_ARGS.length > 0 ? `, node ${AB_NODE_ARGS.join(' ')}` : ''}); ${perProcess * AB_PROCESSES} rounds of ` +
      `${AB_SECONDS} s per path over ${AB_PROCESSES} fresh pairs of servers, ${CONNECTIONS} connections ` +
      `(API list: ${API_CONNECTIONS}), the order flipped each round\n`,
  )
  const measured = new Map<string, { a: Measured[]; b: Measured[]; pairs: number[] }>()
  let paths: BenchPath[] = []
  for (let pair = 0; pair < AB_PROCESSES; pair++) {
    const [first, second] = pair % 2 === 0 ? [start.a, start.b] : [start.b, start.a]
    const one = await first()
    const other = await second()
    const [a, b] = pair % 2 === 0 ? [one, other] : [other, one]
    serverPid = a.pid
    serverBPid = b.pid
    if (pair === 0) paths = await benchPaths(bench, await signIn())
    for (const p of paths) {
      if (p.skip) continue
      const connections = p.name === 'API list' ? API_CONNECTIONS : CONNECTIONS
      const sides = [
        { base: app, rounds: [] as Measured[] },
        { base: appB, rounds: [] as Measured[] },
      ]
      // A form post names the server it is sent to as its origin (B refused A's as cross-site).
      const headersFor = (base: string) => (p.headers.origin ? { ...p.headers, origin: base } : p.headers)
      for (const side of sides) {
        await measure(side.base, p.request, headersFor(side.base), connections, WARMUP_SECONDS, 0)
      }
      for (let round = 0; round < perProcess; round++) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          side.rounds.push(
            await measure(side.base, p.request, headersFor(side.base), connections, AB_SECONDS, 0),
          )
        }
      }
      const kept = measured.get(p.name) ?? { a: [], b: [], pairs: [] }
      kept.a.push(...sides[0].rounds)
      kept.b.push(...sides[1].rounds)
      kept.pairs.push(cpuPerRequest(sides[1].rounds) / cpuPerRequest(sides[0].rounds))
      measured.set(p.name, kept)
    }
    await stopProcess(a)
    await stopProcess(b)
  }
  console.log(
    '| path | A CPU ms/req | B CPU ms/req | B / A | B / A per pair | A median round | B median round | A req/s | B req/s | p95 ms A / B |',
  )
  console.log(
    '| ---- | ------------ | ------------ | ----- | -------------- | -------------- | -------------- | ------- | ------- | ------------ |',
  )
  for (const [name, sides] of measured) {
    const [a, b] = [sides.a, sides.b].map((rounds) => ({
      cpu: cpuPerRequest(rounds),
      medianCpu: median(rounds.map((m) => m.serverCpu)),
      rps: rounds.reduce((sum, m) => sum + m.rps, 0) / rounds.length,
      p95: median(rounds.map((m) => m.p95)),
      bad: rounds.reduce((sum, m) => sum + m.non2xx + m.errors, 0),
    }))
    console.log(
      `| ${name} | ${a.cpu.toFixed(3)} | ${b.cpu.toFixed(3)} | ${(b.cpu / a.cpu).toFixed(3)} | ` +
        `${sides.pairs.map((r) => r.toFixed(3)).join(', ')} | ` +
        `${a.medianCpu.toFixed(2)} | ${b.medianCpu.toFixed(2)} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ` +
        `${a.p95.toFixed(1)} / ${b.p95.toFixed(1)} |` +
        (a.bad + b.bad > 0 ? ` bad/err A ${a.bad}, B ${b.bad}` : ''),
    )
  }
}

/** Server CPU per answered request over rounds of equal length, weighted by their requests. */
function cpuPerRequest(rounds: Measured[]) {
  const requests = rounds.map((m) => m.rps * AB_SECONDS)
  const total = requests.reduce((sum, n) => sum + n, 0)
  return rounds.reduce((sum, m, i) => sum + m.serverCpu * requests[i], 0) / Math.max(1, total)
}

function get(p: string): BenchRequest {
  return { path: p, method: 'GET' }
}

type Measured = {
  rps: number
  /** CPU time per answered request: the answering process, and all of PostgreSQL's processes. */
  serverCpu: number
  pgCpu: number
  p50: number
  p95: number
  p99: number
  bytes: number
  non2xx: number
  errors: number
}

/** A warm-up, then CONNECTIONS connections for SECONDS; every response's latency is kept. */
async function measure(
  base: string,
  request: BenchRequest,
  headers: Record<string, string>,
  connections = CONNECTIONS,
  seconds = SECONDS,
  warmupSeconds = WARMUP_SECONDS,
) {
  const servedBy = base === app ? serverPid : base === appB ? serverBPid : baselinePid
  const options = {
    url: base,
    connections,
    headers,
    requests: [request],
  }
  if (warmupSeconds > 0) await autocannon({ ...options, duration: warmupSeconds })
  const latencies: number[] = []
  const cpuBefore = { server: cpuMsOf(servedBy), pg: postgresCpuMs() }
  // Without a callback autocannon returns its tracker (an EventEmitter) made thenable.
  const instance = autocannon({ ...options, duration: seconds }) as unknown as Promise<autocannon.Result> &
    EventEmitter
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) =>
    latencies.push(ms),
  )
  const result = await instance
  const answered = Math.max(1, latencies.length)
  const serverCpu = (cpuMsOf(servedBy) - cpuBefore.server) / answered
  const pgCpu = (postgresCpuMs() - cpuBefore.pg) / answered
  latencies.sort((a, b) => a - b)
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN
  const expected3xx = request.method === 'POST' ? result['3xx'] : 0
  return {
    rps: latencies.length / seconds,
    serverCpu,
    pgCpu,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    bytes: result.throughput.total / Math.max(1, latencies.length),
    non2xx: result.non2xx - expected3xx,
    errors: result.errors + result.timeouts,
  } satisfies Measured
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

// CPU time from /proc (utime + stime, in clock ticks of 1/100 s): unlike req/s and latency, the CPU
// a request costs hardly moves when other work shares the machine.
function cpuMsOf(pid: number | undefined) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
}

function reapedChildrenCpuMs(pid: number) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return 0
  }
}

/** The embedded PostgreSQL's postmaster and its children (backends, writers); 0 for DATABASE_URL. */
function postgresCpuMs() {
  let postmaster: number
  try {
    postmaster = Number(
      fs.readFileSync(path.join(DATA_DIR, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
    )
  } catch {
    return 0
  }
  // A backend or autovacuum worker that exits takes its CPU time out of the live children's sum;
  // the postmaster, which reaps it, then counts it in its children's time (cutime + cstime).
  // Without it a path measured while the baseline's connections or an autovacuum worker exited
  // showed no PostgreSQL time at all (queue data, the first path after the baseline).
  let total = cpuMsOf(postmaster) + reapedChildrenCpuMs(postmaster)
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) * 10
    } catch {
      // exited meanwhile
    }
  }
  return total
}

function rssOf(pid: number | undefined) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}

function printTable(
  rounds: Array<Map<string, Measured>>,
  nearRounds: Array<Map<string, Measured>>,
  paths: BenchPath[],
) {
  const names = [...rounds[0]!.keys()]
  const byName = new Map(paths.map((p) => [p.name, p]))
  const pick = (name: string, field: keyof Measured) => median(rounds.map((r) => r.get(name)![field]))
  const rows = names.map((name) => {
    const p = byName.get(name)
    // Each round's ratio to that round's baseline, then the median of the ratios.
    const base = name.startsWith('API') ? 'baseline API' : 'baseline'
    const ratio = median(rounds.map((r) => r.get(name)!.rps / r.get(base)!.rps))
    const nearRatio = p ? median(rounds.map((r, i) => r.get(name)!.rps / nearRounds[i]!.get(name)!.rps)) : NaN
    return [
      name === 'baseline'
        ? 'bare node:http + pg, All open (JSON)'
        : name === 'baseline API'
          ? 'bare node:http + pg, the API list query (JSON)'
          : `${name} ${p!.request.method} ${p!.request.path}`,
      pick(name, 'rps').toFixed(0),
      pick(name, 'p50').toFixed(1),
      pick(name, 'p95').toFixed(1),
      pick(name, 'p99').toFixed(1),
      p?.bytes !== undefined ? kb(p.bytes) : kb(pick(name, 'bytes')),
      `${(ratio * 100).toFixed(1)}%`,
      p
        ? `${(nearRatio * 100).toFixed(1)}% of ${median(nearRounds.map((r) => r.get(name)!.rps)).toFixed(0)}`
        : '',
      pick(name, 'serverCpu').toFixed(2),
      pick(name, 'pgCpu') > 0 ? pick(name, 'pgCpu').toFixed(2) : '',
      p?.queries ?? '',
      `${pick(name, 'non2xx')}/${pick(name, 'errors')}`,
    ]
  })
  const header = [
    'path',
    'req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'bytes',
    'of baseline',
    'of the baseline just before',
    'server CPU ms/req',
    'PG CPU ms/req',
    'queries',
    'bad/err',
  ]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  console.log(line(header))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const row of rows) console.log(line(row))
}

// Last: the helpers above are module constants.
try {
  await main(database.url)
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await database.stop()
}
