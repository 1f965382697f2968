import { eq } from 'drizzle-orm'
import type { Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDatabase, disconnectDatabase, getDb } from '#db/client.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { createPool, endPool } from '#db/pool.ts'
import { emails } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, PASSWORD } from '#tests/helpers/factories.ts'
import { startFaultablePostgres, type FaultablePostgres } from '#tests/helpers/faultable-postgres.ts'
import { startInstance, type Instance } from '#tests/helpers/instances.ts'
import { closeSockets, connectSocket, handshakeOutcome, openSocket } from '#tests/helpers/sockets.ts'
import { waitFor } from '#tests/helpers/wait.ts'

// Short timeouts so each fault is reported in seconds.
const CONNECT_TIMEOUT_MS = 1_000
const STATEMENT_TIMEOUT_MS = 2_000
const TIMEOUTS = {
  DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
  DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '5000',
}
/** The client gives up one second after the statement timeout (db/pool.ts), plus request overhead. */
const PAGE_503_WITHIN_MS = STATEMENT_TIMEOUT_MS + 1_000 + 700

let database: FaultablePostgres
let a: Instance // runs the job workers too
let b: Instance
let owner: Awaited<ReturnType<typeof createMember>>
let customers = 0

beforeAll(async () => {
  database = await startFaultablePostgres()
  // This file's factories write to the database it breaks, not to the shared test database.
  await disconnectDatabase()
  const { pool } = connectDatabase(database.url, 4)
  await migrateDatabase(pool)
  await startQueue(database.url, { listen: false })
  await stopQueue()
  ;[a, b] = await Promise.all([
    startInstance(database.url, { ...TIMEOUTS, RUN_WORKER: 'true' }),
    startInstance(database.url, TIMEOUTS),
  ])
  owner = await createMember('owner')
}, 60_000)

afterAll(async () => {
  closeSockets()
  database?.thaw()
  await Promise.all([a?.stop(), b?.stop()])
  await disconnectDatabase()
  await database?.dispose()
})

function alive(instance: Instance) {
  return instance.process.exitCode === null && instance.process.signalCode === null
}

async function timed<T>(run: () => Promise<T>) {
  const started = performance.now()
  const value = await run()
  return { value, ms: Math.round(performance.now() - started) }
}

const readyz = (instance: Instance) => fetch(`${instance.url}/readyz`)
const queuePage = (instance: Instance, suffix = '') =>
  fetch(`${instance.url}/w/${owner.workspace.slug}/tickets${suffix}`, { headers: { cookie: owner.cookie } })

const connect = (instance: Instance) => connectSocket(instance.url, owner.cookie)

/** A customer writes in through instance A (each from their own address: the form is rate limited per IP). */
async function submitSupportForm() {
  customers += 1
  const email = `customer-${customers}@example.org`
  const response = await fetch(`${a.url}/support/${owner.workspace.slug}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      origin: a.url,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': `198.51.100.${customers}`,
    },
    body: new URLSearchParams({
      name: 'Robin Buyer',
      email,
      subject: `Parcel ${customers}`,
      message: 'Late.',
    }),
  })
  return { status: response.status, email }
}

/** Both instances' Socket.IO adapters LISTEN again (they reconnect by themselves). */
async function adaptersListening() {
  await waitFor(async () => {
    const [row] = await database.admin<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = 'switchboard' and query like 'LISTEN "socket.io#%'`,
    )
    return row.n >= 2
  }, 15_000)
}

/** An event committed through instance A reaches a client connected to instance B. */
async function eventCrossesInstances(onB: Socket) {
  const received = new Promise<{ type: string }>((resolve) =>
    onB.once('ticket-event', (event: { type: string }) => resolve(event)),
  )
  expect((await submitSupportForm()).status).toBe(302)
  return await Promise.race([
    received,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event on instance B')), 5_000)),
  ])
}

describe('a database outage under running instances', () => {
  it('survives pg_terminate_backend of every connection (LISTEN included) under load', async () => {
    const onB = await connect(b)
    await adaptersListening()
    let stop = false
    const statuses: number[] = []
    const load = (async () => {
      while (!stop) statuses.push((await queuePage(a)).status, (await queuePage(b, '.data')).status)
    })()
    await waitFor(async () => statuses.length > 10, 10_000)
    const terminated = await database.terminateBackends()
    expect(terminated).toBeGreaterThanOrEqual(4) // both adapters' LISTEN, pools, pg-boss
    await waitFor(async () => statuses.length > 40, 15_000)
    stop = true
    await load
    expect(alive(a) && alive(b)).toBe(true)
    // In-flight requests on a killed connection get the 503 page; none is a 500 or a reset.
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([])
    expect((await queuePage(a)).status).toBe(200)
    await adaptersListening()
    expect(await eventCrossesInstances(onB)).toMatchObject({ type: 'ticket.created' })
  })

  it('reports a frozen database within its budgets and recovers when it answers again', async () => {
    const { token } = await apiTokenFor(owner, { scopes: ['tickets:read'] })
    const apiList = (instance: Instance) =>
      fetch(`${instance.url}/api/v1/tickets?status=open`, { headers: { authorization: `Bearer ${token}` } })
    expect((await apiList(b)).status).toBe(200)
    database.freeze()
    try {
      const ready = await timed(() => readyz(a))
      expect(ready.value.status).toBe(503)
      expect(await ready.value.json()).toMatchObject({ database: 'unreachable' })
      expect(ready.ms).toBeLessThan(2_500)
      const page = await timed(() => queuePage(b))
      expect(page.value.status).toBe(503)
      expect(page.value.headers.get('retry-after')).toBe('5')
      expect(await page.value.text()).toContain('Service temporarily unavailable')
      expect(page.ms).toBeLessThan(PAGE_503_WITHIN_MS)
      const data = await timed(() => queuePage(a, '.data'))
      expect(data.value.status).toBe(503)
      expect(data.ms).toBeLessThan(PAGE_503_WITHIN_MS)
      // The API (served by its own dispatch, not Remix's handler) answers a problem, not a hang.
      const api = await timed(() => apiList(b))
      expect(api.value.status).toBe(503)
      expect(api.value.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(api.value.headers.get('retry-after')).toBe('5')
      expect(api.ms).toBeLessThan(PAGE_503_WITHIN_MS)
      // A token's requests share one rate-limit statement in flight (coalesced): those that
      // arrive while it hangs fail with it, not each after another statement's timeout.
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          new Promise((r) => setTimeout(r, (i % 5) * 400)).then(() => timed(() => apiList(b))),
        ),
      )
      expect(burst.map((r) => r.value.status)).toEqual(Array(20).fill(503))
      const slowest = Math.max(...burst.map((r) => r.ms))
      // About one connect timeout, as the lone request above; the statements ran one after
      // another before (2 s here, 20 s with the default timeouts).
      expect(slowest).toBeLessThan(api.ms + 700)
      console.info(
        `frozen: readyz 503 in ${ready.ms} ms, page 503 in ${page.ms} ms, .data 503 in ${data.ms} ms, API 503 in ${api.ms} ms, 20 API requests over 1.6 s: slowest 503 in ${slowest} ms`,
      )
    } finally {
      database.thaw()
    }
    const recovery = await timed(() => waitFor(async () => (await queuePage(a)).status === 200, 15_000))
    expect((await readyz(b)).status).toBe(200)
    expect((await apiList(b)).status).toBe(200)
    expect(alive(a) && alive(b)).toBe(true)
    console.info(`frozen: page 200 again ${recovery.ms} ms after SIGCONT`)
  })

  it('survives the database stopping and serves again, sign-in and live events included, once it is back', async () => {
    const onB = await connect(b)
    await database.stop()
    const ready = await timed(() => readyz(b))
    expect(ready.value.status).toBe(503)
    expect(await ready.value.json()).toMatchObject({ database: 'unreachable' })
    const page = await timed(() => queuePage(a))
    expect(page.value.status).toBe(503)
    const login = await fetch(`${a.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: a.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: owner.user.email, password: PASSWORD }),
    })
    expect(login.status).toBe(503)
    // A live connection opened now is refused at the handshake check, as a refusal the browser
    // retries (live-provider.tsx), not left hanging.
    const handshake = await timed(() => handshakeOutcome(openSocket(b.url, { cookie: owner.cookie })))
    expect(handshake.value).toEqual({ ok: false, error: 'Handshake failed' })
    console.info(
      `stopped: readyz 503 in ${ready.ms} ms, page 503 in ${page.ms} ms, socket refused in ${handshake.ms} ms`,
    )
    expect(alive(a) && alive(b)).toBe(true)

    await database.start()
    const recovery = await timed(() =>
      waitFor(async () => (await readyz(a)).status === 200 && (await readyz(b)).status === 200, 15_000),
    )
    console.info(`restarted: readyz 200 on both ${recovery.ms} ms after the database accepted connections`)
    const signIn = await fetch(`${a.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: a.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: owner.user.email, password: PASSWORD }),
    })
    expect(signIn.status).toBe(302)
    expect(signIn.headers.get('set-cookie')).toMatch(/session/)
    await adaptersListening()
    expect(await eventCrossesInstances(onB)).toMatchObject({ type: 'ticket.created' })
    // Jobs resume: the acknowledgement email of a ticket created now is sent by instance A's worker.
    const { email } = await submitSupportForm()
    await waitFor(async () => {
      const rows = await getDb()
        .select({ status: emails.status })
        .from(emails)
        .where(eq(emails.toAddress, email))
      return rows.length > 0 && rows.every((row) => row.status === 'sent')
    }, 15_000)
  })

  it('ends a pool within its deadline while the database is frozen and a client is checked out', async () => {
    const pool = createPool(database.url, 2)
    const held = await pool.connect()
    await held.query('select 1')
    database.freeze()
    try {
      const ended = await timed(() => endPool(pool, 500))
      expect(ended.value).toBe('late')
      expect(ended.ms).toBeLessThan(1_000)
    } finally {
      database.thaw()
    }
  })
})
