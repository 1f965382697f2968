// `npm run bench:inbox`: latency of the inbox's data paths (queue, search, ticket page, reply)
// against a database seeded with `npm run db:seed -- --tickets N`, 16 concurrent workers, and
// the SSR queue page when a production build exists. Prints figures; asserts nothing.
// Options: --seconds S (per run, default 8), --runs R (default 3), --only queue,search,...
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { sql } from 'drizzle-orm'
import { connectDatabase, disconnectDatabase, getDb } from '#db/client.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { loadQueue, parseQueueQuery, queueOptions } from '#app/domain/queue.server.ts'
import { loadTicketPage } from '#app/domain/ticket-page.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { env } from '#app/env.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { exitOnScriptDatabaseError, openScriptDatabase } from './database.ts'
import { BENCH_OWNER, LONG_THREAD_SUBJECT } from './seed/bench-data.ts'

const CONCURRENCY = 16
const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}
const SECONDS = Number(arg('seconds') ?? 8)
const RUNS = Number(arg('runs') ?? 3)
const ONLY = arg('only')?.split(',')
const SSR_PORT = Number(process.env.BENCH_PORT ?? 3391)

// The reply post is measured through its real path, outbound email limit included (its two
// statements); the run sends more replies than an hour's default allows, so the limits are raised.
process.env.OUTBOUND_EMAILS_PER_HOUR ??= '100000000'
process.env.OUTBOUND_EMAILS_PER_HOUR_UNVERIFIED ??= '100000000'
const config = env()
const database = await openScriptDatabase(config).catch(exitOnScriptDatabaseError)
const url = database.url
connectDatabase(url, 20)
await startQueue(url)

const { rows: found } = await getDb().execute<{
  workspace_id: string
  user_id: string
  name: string
  tickets: number
}>(sql`
  select w.id as workspace_id, u.id as user_id, u.name, w.next_ticket_number - 1 as tickets
  from workspaces w join memberships m on m.workspace_id = w.id join users u on u.id = m.user_id
  where w.slug = 'bench' and lower(u.email) = ${BENCH_OWNER.email}`)
if (found.length === 0) {
  console.error("No 'bench' workspace: run `npm run db:seed -- --tickets 1000000` first.")
  process.exit(1)
}
const bench = found[0]
const member: Member & { user: { name: string } } = {
  userId: bench.user_id,
  role: 'owner',
  workspaceId: bench.workspace_id,
  workspaceSlug: 'bench',
  workspaceName: 'Bench',
  user: { name: bench.name },
}
const pick = async (query: ReturnType<typeof sql>) => (await getDb().execute<{ id: string }>(query)).rows
const [mailbox] = await pick(
  sql`select id from mailboxes where workspace_id = ${member.workspaceId} and key = 'billing'`,
)
const [tag] = await pick(
  sql`select id from tags where workspace_id = ${member.workspaceId} and name = 'refund'`,
)
const [agent] = await pick(sql`
  select user_id as id from memberships where workspace_id = ${member.workspaceId} and role = 'agent' limit 1`)
const [longThread] = (
  await getDb().execute<{ number: number }>(
    sql`select number from tickets where workspace_id = ${member.workspaceId} and subject = ${LONG_THREAD_SUBJECT}`,
  )
).rows

/** Queue URLs as the inbox page builds them: each view, filters, each sort. */
const QUEUE_PARAMS = [
  'view=open',
  'view=mine',
  'view=unassigned',
  'view=pending',
  'view=resolved',
  'view=all',
  'view=open&sort=created',
  'view=open&sort=priority',
  'view=all&sort=priority',
  `view=open&mailbox=${mailbox.id}`,
  'view=open&priority=urgent',
  `view=all&assignee=${agent.id}`,
  `view=open&tag=${tag.id}`,
  `view=all&tag=${tag.id}&priority=high`,
  'view=all&status=pending&assignee=none',
  `view=mine&mailbox=${mailbox.id}&sort=priority`,
]
const SEARCHES = { common: 'password', rare: 'zeppelin', 'partial email': 'nguyen12' }

async function queueData(params: string) {
  const query = parseQueueQuery(new URLSearchParams(params))
  const [page] = await Promise.all([loadQueue(member, query), queueOptions(member)])
  return page
}

// The second page of each queue too: keyset pagination must be as fast as the first page.
const secondPages: string[] = []
for (const params of QUEUE_PARAMS) {
  const page = await queueData(params)
  if (page.nextCursor) secondPages.push(`${params}&after=${page.nextCursor}`)
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** CONCURRENCY loops for `seconds`, each calling `task(i)` with a growing counter. */
async function load(task: (i: number) => Promise<unknown>, seconds: number) {
  const latencies: number[] = []
  let counter = 0
  let errors = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now()
        try {
          await task(counter++)
        } catch (error) {
          if (errors++ === 0) console.error(error)
        }
        latencies.push(performance.now() - t)
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  return {
    count: latencies.length,
    errors,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
  }
}

async function measure(name: string, target: number, task: (i: number) => Promise<unknown>) {
  if (ONLY && !ONLY.some((o) => name.toLowerCase().startsWith(o.toLowerCase()))) return
  await load(task, Math.min(2, SECONDS)) // warm-up
  const runs = []
  for (let r = 0; r < RUNS; r++) runs.push(await load(task, SECONDS))
  const p50 = median(runs.map((r) => r.p50))
  const p95 = median(runs.map((r) => r.p95))
  const all = runs.map((r) => r.p95.toFixed(1)).join(' / ')
  const verdict = p95 <= target ? 'ok' : 'MISSED'
  console.log(
    `${name.padEnd(34)} p50 ${p50.toFixed(1).padStart(6)} ms  p95 ${p95.toFixed(1).padStart(6)} ms ` +
      `(runs: ${all}; ${runs.reduce((s, r) => s + r.count, 0)} calls, ${runs.reduce((s, r) => s + r.errors, 0)} errors)  target ${target} ms ${verdict}`,
  )
}

console.log(
  `Bench workspace: ${bench.tickets.toLocaleString()} tickets; ${CONCURRENCY} concurrent, ${RUNS} runs × ${SECONDS} s, medians of runs`,
)
await measure('queue data (16 views/filters/sorts)', 30, (i) =>
  queueData(QUEUE_PARAMS[i % QUEUE_PARAMS.length]),
)
await measure('queue data, second page', 30, (i) => queueData(secondPages[i % secondPages.length]))
for (const [kind, q] of Object.entries(SEARCHES)) {
  await measure(`search, ${kind} ("${q}")`, 100, () => queueData(new URLSearchParams({ q }).toString()))
  await measure(`search, ${kind}, sorted by activity`, 100, () =>
    queueData(new URLSearchParams({ q, sort: 'activity' }).toString()),
  )
}
if (longThread) {
  await measure(`ticket page (#${longThread.number}, 200 messages)`, 80, () =>
    loadTicketPage(member, longThread.number, { language: 'en' }),
  )
}
await measure('reply post (replyToTicket)', 50, (i) =>
  replyToTicket(member, 1 + ((i * 7919) % (bench.tickets - 1)), {
    kind: i % 4 === 0 ? 'note' : 'reply',
    body: `Thanks for your patience, this is benchmark reply ${i}.`,
  }),
)

await benchSsr()
await stopQueue()
await disconnectDatabase()
await database.stop()

/** The SSR queue page through the production build, signed in as the bench owner. */
async function benchSsr() {
  if (ONLY && !ONLY.includes('ssr')) return
  if (!fs.existsSync('build/server.js')) {
    console.log('SSR queue page: skipped (no build/: run `npm run build` first)')
    return
  }
  const base = `http://127.0.0.1:${SSR_PORT}`
  const child = spawn(process.execPath, ['build/server.js'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(SSR_PORT),
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      RUN_WORKER: 'false',
    },
    stdio: 'ignore',
  })
  try {
    await waitReady(base)
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: BENCH_OWNER.email, password: BENCH_OWNER.password, redirectTo: '' }),
    })
    const cookie = login.headers.get('set-cookie')?.split(';')[0]
    if (!cookie) throw new Error(`login failed: ${login.status}`)
    await measure('SSR queue page (GET /w/bench/tickets)', 80, async (i) => {
      const response = await fetch(`${base}/w/bench/tickets?${QUEUE_PARAMS[i % QUEUE_PARAMS.length]}`, {
        headers: { cookie },
      })
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`status ${response.status}`)
    })
  } finally {
    await stop(child)
  }
}

async function waitReady(base: string) {
  const started = performance.now()
  while (performance.now() - started < 60_000) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('server did not become ready')
}

function stop(child: ChildProcess) {
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
