// `npm run bench:realtime`: live-update latency and socket scale against the production build
// (run `npm run build` first). Uses its own embedded PostgreSQL in a temporary directory.
//   1. committed reply (action returns) → event on another agent's socket: one instance, then
//      across two instances through the PostgreSQL adapter;
//   2. 2,000 authenticated sockets in 20 workspace rooms, an event every 100 ms.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { io, type Socket } from 'socket.io-client'
import { connectDatabase, disconnectDatabase, getDb } from '#db/client.ts'
import { freePort, startEmbeddedPostgres } from '#db/embedded.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { signUp } from '#app/domain/accounts.server.ts'
import { createSession } from '#app/http/auth.server.ts'
import { createTicket } from '#app/domain/tickets.server.ts'
import { workspacesOf } from '#app/domain/workspaces.server.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { addMember } from '#tests/helpers/factories.ts'

const SAMPLES = Number(process.env.SAMPLES ?? 200)
const SOCKETS = Number(process.env.SOCKETS ?? 2000)
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-rt-'))
fs.chmodSync(tmp, 0o755)
process.env.SESSION_SECRET ??= 'bench-secret-that-is-long-enough-0123456789'
process.env.DATA_DIR = tmp
process.env.LOG_LEVEL = 'silent'

const pg = await startEmbeddedPostgres(path.join(tmp, 'postgres'))
const { pool } = connectDatabase(pg.url, 10)
await migrateDatabase(pool)
await startQueue(pg.url)

type Instance = { url: string; child: ChildProcess }
async function startInstance(): Promise<Instance> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['build/server.js'], {
    env: {
      ...process.env,
      DATABASE_URL: pg.url,
      PORT: String(port),
      APP_URL: url,
      NODE_ENV: 'production',
      RUN_WORKER: 'false',
    },
    stdio: 'ignore',
  })
  for (;;) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, child }
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

const rss = (child: ChildProcess) =>
  Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

function connect(url: string, cookie: string) {
  return new Promise<Socket>((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { origin: url, cookie },
    })
    socket.once('ready', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}

/** A workspace with an owner and `agents` more members, each with a session cookie, and one ticket. */
async function team(slug: string, agents: number) {
  const owner = await signUp({
    name: `Owner ${slug}`,
    email: `owner@${slug}.test`,
    password: 'bench password 123',
    workspaceName: slug,
    workspaceSlug: slug,
  })
  if (owner.kind !== 'created') throw new Error('signup failed')
  const [workspace] = await workspacesOf(owner.userId)
  const [mailbox] = await listMailboxes(getDb(), { workspaceId: workspace.id })
  const ticket = await createTicket(
    { workspaceId: workspace.id, userId: owner.userId },
    {
      mailboxId: mailbox.id,
      customerEmail: `c@${slug}.test`,
      customerName: 'Customer',
      subject: 'Bench ticket',
      body: 'Hello',
      channel: 'web',
    },
  )
  if (ticket.kind !== 'created') throw new Error('ticket failed')
  const cookieFor = async (userId: string) =>
    (
      await createSession(userId, new Request('http://bench/'), {
        clientIp: '127.0.0.1',
        realtime: { disconnectSessions() {} },
      })
    ).setCookie.split(';')[0]
  const members: string[] = []
  for (let i = 0; i < agents; i++) {
    const agent = await signUp({
      name: `Agent ${i}`,
      email: `agent${i}@${slug}.test`,
      password: 'bench password 123',
      workspaceName: `${slug}-own-${i}`,
      workspaceSlug: `${slug}-own-${i}`,
    })
    if (agent.kind !== 'created') throw new Error('signup failed')
    await addMember(workspace.id, agent.userId, 'agent')
    members.push(await cookieFor(agent.userId))
  }
  return { slug, ownerCookie: await cookieFor(owner.userId), members, ticketNumber: ticket.number }
}

/** Posts an internal note through the real action (form post, as the browser does without JS). */
async function postNote(
  url: string,
  t: { slug: string; ownerCookie: string; ticketNumber: number },
  body: string,
) {
  const started = performance.now()
  const response = await fetch(`${url}/w/${t.slug}/tickets/${t.ticketNumber}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, cookie: t.ownerCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ intent: 'reply', kind: 'note', body }),
  })
  await response.arrayBuffer()
  if (response.status !== 302) throw new Error(`reply failed: ${response.status}`)
  return { started, returned: performance.now() }
}

async function latency(
  label: string,
  postTo: Instance,
  listenOn: Instance,
  t: Awaited<ReturnType<typeof team>>,
) {
  const socket = await connect(listenOn.url, t.members[0])
  const afterReturn: number[] = []
  const total: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const body = `latency ${label} ${i}`
    const received = new Promise<number>((resolve) =>
      socket.once('ticket-event', () => resolve(performance.now())),
    )
    const { started, returned } = await postNote(postTo.url, t, body)
    const at = await received
    afterReturn.push(Math.max(0, at - returned))
    total.push(at - started)
  }
  socket.disconnect()
  console.log(
    `${label}: event after the action returned p50 ${pct(afterReturn, 0.5).toFixed(1)} ms, p99 ${pct(afterReturn, 0.99).toFixed(1)} ms;` +
      ` from request start p50 ${pct(total, 0.5).toFixed(1)} ms, p99 ${pct(total, 0.99).toFixed(1)} ms (${SAMPLES} replies)`,
  )
}

const [a, b] = await Promise.all([startInstance(), startInstance()])
const pair = await team('latency', 1)
await latency('one instance', a, a, pair)
await latency('two instances (post to A, socket on B)', a, b, pair)

// Scale: 20 workspaces × 5 members × 20 sockets per member.
const rooms = 20
const perRoomMembers = Math.ceil(SOCKETS / rooms / 20)
const teams = []
for (let r = 0; r < rooms; r++) teams.push(await team(`room${r}`, perRoomMembers))
const rssBefore = rss(a.child)
const sockets: Socket[] = []
let dropped = 0
const latencies: number[] = []
const sentAt = new Map<string, number>()
for (const t of teams) {
  for (const cookie of t.members) {
    for (let k = 0; k < 20 && sockets.length < SOCKETS; k++) {
      const socket = await connect(a.url, cookie)
      socket.on('disconnect', () => dropped++)
      socket.on('ticket-event', (event: { workspaceId: string; messageId?: string }) => {
        const sent = event.messageId ? sentAt.get(event.messageId) : undefined
        if (sent) latencies.push(performance.now() - sent)
      })
      sockets.push(socket)
    }
  }
}
console.log(
  `${sockets.length} sockets connected in ${rooms} workspace rooms; server RSS ${rssBefore.toFixed(0)} MB → ${rss(a.child).toFixed(0)} MB`,
)
// An event every 100 ms for 20 s, rotating through the rooms; each reaches that room's sockets.
const ticks = 200
const pending: Array<Promise<void>> = []
for (let i = 0; i < ticks; i++) {
  const t = teams[i % rooms]
  const started = performance.now()
  pending.push(
    fetch(`${a.url}/w/${t.slug}/tickets/${t.ticketNumber}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: a.url, cookie: t.ownerCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'reply', kind: 'note', body: `tick ${i}` }),
    }).then(async (response) => {
      // The redirect names the new message (#m-<id>): match events to their send time.
      const id = /#m-([0-9a-f-]{36})/.exec(response.headers.get('location') ?? '')?.[1]
      if (id) sentAt.set(id, started)
    }),
  )
  await new Promise((r) => setTimeout(r, 100))
}
await Promise.all(pending)
await new Promise((r) => setTimeout(r, 1000))
const connected = sockets.filter((s) => s.connected).length
console.log(
  `broadcast every 100 ms for ${ticks / 10} s: ${latencies.length} deliveries, event p50 ${pct(latencies, 0.5)?.toFixed(1)} ms, p99 ${pct(latencies, 0.99)?.toFixed(1)} ms; ` +
    `${connected}/${sockets.length} still connected, ${dropped} dropped; server RSS ${rss(a.child).toFixed(0)} MB`,
)

for (const s of sockets) s.disconnect()
a.child.kill('SIGTERM')
b.child.kill('SIGTERM')
await new Promise((r) => setTimeout(r, 1500))
await stopQueue()
await disconnectDatabase()
await pg.stop()
fs.rmSync(tmp, { recursive: true, force: true })
process.exit(0)
