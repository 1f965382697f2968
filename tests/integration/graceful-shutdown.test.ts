import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { like } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { tickets } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import {
  killServers,
  postForm,
  signalAndWait,
  startServer,
  type Outcome,
} from '#tests/helpers/server-process.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { waitFor } from '#tests/helpers/wait.ts'

// Production build instances on this file's database, shut down under steady keep-alive write load.
const CLIENTS = 16
const dirs: string[] = []

afterAll(() => {
  killServers()
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

async function instance(options: { port?: number; appUrl?: string; env?: Record<string, string> } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-drain-'))
  dirs.push(dataDir)
  return startServer({ databaseUrl: testDatabaseUrl, dataDir, ...options })
}

type Sent = { subject: string; outcome: Outcome }

/**
 * CLIENTS keep-alive clients, each posting the public support form (one new ticket per request)
 * back to back until `running()` turns false or the server refuses the connection.
 */
function writeLoad(target: () => string, origin: string, slug: string, run: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS })
  const sent: Sent[] = []
  let running = true
  let n = 0
  const client = async () => {
    while (running) {
      const i = n++
      const subject = `${run} ${i}`
      const outcome = await postForm(
        agent,
        `${target()}/support/${slug}`,
        {
          name: 'Robin Buyer',
          email: `robin-${run}-${i}@example.org`,
          subject,
          message: 'Where is my parcel?',
        },
        // A different address per request: the form's per-address limit does not apply.
        { origin, 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
      )
      sent.push({ subject, outcome })
      if (outcome.kind === 'refused') return
    }
  }
  const clients = Promise.all(Array.from({ length: CLIENTS }, client))
  return {
    sent,
    async stop() {
      running = false
      await clients
      agent.destroy()
      return sent
    },
  }
}

async function savedSubjects(run: string) {
  const rows = await getDb()
    .select({ subject: tickets.subject })
    .from(tickets)
    .where(like(tickets.subject, `${run} %`))
  return new Set(rows.map((r) => r.subject))
}

function tally(sent: Sent[], saved: Set<string>) {
  const acknowledged = sent.filter((s) => s.outcome.kind === 'answered' && s.outcome.status < 400)
  return {
    requests: sent.length,
    acknowledged: acknowledged.length,
    refused: sent.filter((s) => s.outcome.kind === 'refused').length,
    resets: sent.filter((s) => s.outcome.kind === 'reset').length,
    errors: sent.filter((s) => s.outcome.kind === 'answered' && s.outcome.status >= 400).length,
    lostWrites: acknowledged.filter((s) => !saved.has(s.subject)).length,
  }
}

// Generous timeouts: starting production instances is slow on a busy machine (seconds here).
describe('graceful shutdown under keep-alive write load', { timeout: 90_000 }, () => {
  it('finishes in-flight requests, closes keep-alive connections, loses no acknowledged write and exits in time', async () => {
    const owner = await createMember('owner')
    const server = await instance()
    const run = `drain-${Date.now()}`
    const load = writeLoad(() => server.url, server.url, owner.workspace.slug, run)
    await waitFor(() => load.sent.length >= 100, 60_000) // steady state
    const { code, ms } = await signalAndWait(server, 'SIGTERM')
    const result = tally(await load.stop(), await savedSubjects(run))
    console.log(JSON.stringify({ test: 'sigterm-under-keepalive-load', exitMs: ms, code, ...result }))
    expect(result.resets).toBe(0)
    expect(result.lostWrites).toBe(0)
    expect(result.errors).toBe(0)
    expect(ms).toBeLessThan(10_000)
    expect(code).toBe(0)
  })

  it('loses no request through a rolling restart of one of two instances behind a proxy', async () => {
    const { code, result, proxy } = await rollingRestart('rolling-restart-behind-proxy')
    expect(code).toBe(0)
    expect(result.requests).toBe(result.acknowledged)
    expect(result.lostWrites).toBe(0)
    expect(proxy.errors).toEqual([])
  })

  it('with SHUTDOWN_DELAY_MS, answers /readyz 503 at once and serves as usual until the delay is over', async () => {
    const owner = await createMember('owner')
    const server = await instance({ env: { SHUTDOWN_DELAY_MS: '1500' } })
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    server.child.kill('SIGTERM')
    const sent = Date.now()
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 503, 1_000)
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'stopping' })
    // Still listening, on new connections too, and answering as before (no Connection: close yet).
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect(health.headers.get('connection')).not.toBe('close')
    const agent = new http.Agent({ keepAlive: false })
    const posted = await postForm(
      agent,
      `${server.url}/support/${owner.workspace.slug}`,
      {
        name: 'Robin Buyer',
        email: 'robin-delay@example.org',
        subject: 'During the delay',
        message: 'Hello?',
      },
      { origin: server.url },
    )
    expect(posted).toMatchObject({ kind: 'answered' })
    expect((posted as { status: number }).status).toBeLessThan(400)
    const { code, at } = await server.exited
    expect(code).toBe(0)
    expect(at - sent).toBeGreaterThanOrEqual(1_400)
    expect(at - sent).toBeLessThan(10_000)
    expect(server.output()).not.toMatch(/"level":50/)
  })

  it('ends SHUTDOWN_DELAY_MS early on a second signal (a second Ctrl-C)', async () => {
    const server = await instance({ env: { SHUTDOWN_DELAY_MS: '60000' } })
    server.child.kill('SIGTERM')
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 503, 1_000)
    const { code, ms } = await signalAndWait(server, 'SIGTERM')
    expect(code).toBe(0)
    expect(ms).toBeLessThan(10_000)
  })

  it('loses no request and resets no connection through a rolling restart behind a proxy that follows /readyz', async () => {
    const { code, result, proxy } = await rollingRestart('rolling-restart-readiness', {
      // A new connection per request, as nginx makes by default: every request the proxy sends to
      // an instance whose listener has closed is refused (and sent again elsewhere).
      proxy: { followReadiness: true, keepAlive: false },
      // Much longer than the proxy takes to see /readyz turn 503 (it checks every 100 ms), also on
      // a busy machine.
      env: { SHUTDOWN_DELAY_MS: '3000' },
    })
    expect(code).toBe(0)
    expect(result.requests).toBe(result.acknowledged)
    expect(result.lostWrites).toBe(0)
    expect(proxy.errors).toEqual([])
    // The proxy had stopped sending to the instance before its listener closed (with
    // SHUTDOWN_DELAY_MS=0, requests sent in the ~100 ms before it noticed are refused).
    expect(proxy.retried).toEqual({ refused: 0, reset: 0 })
  })
})

/**
 * Two instances behind startProxy under writeLoad; the first is stopped with SIGTERM and started
 * again on its port, and the load goes on until the new one has served its share. Both are then
 * stopped and the proxy closed; what the run saw is logged under `label`.
 */
async function rollingRestart(
  label: string,
  options: { proxy?: Parameters<typeof startProxy>[0]; env?: Record<string, string> } = {},
) {
  const owner = await createMember('owner')
  const proxy = await startProxy(options.proxy)
  const env = options.env
  const [first, b] = await Promise.all([
    instance({ appUrl: proxy.url, env }),
    instance({ appUrl: proxy.url, env }),
  ])
  let a = first
  proxy.upstreams.push(a.url, b.url)
  const run = `${label}-${Date.now()}`
  const load = writeLoad(() => proxy.url, proxy.url, owner.workspace.slug, run)
  await waitFor(() => load.sent.length >= 50, 60_000)
  const { code } = await signalAndWait(a, 'SIGTERM')
  a = await instance({ port: a.port, appUrl: proxy.url, env })
  const before = load.sent.length
  await waitFor(() => load.sent.length >= before + 50, 60_000) // the new instance serves its share too
  const result = tally(await load.stop(), await savedSubjects(run))
  const failures = load.sent.flatMap((s) =>
    s.outcome.kind === 'answered' && s.outcome.status >= 400 ? [s.outcome.status] : [],
  )
  console.log(
    JSON.stringify({
      test: label,
      code,
      ...result,
      failures,
      proxyErrors: proxy.errors,
      retried: proxy.retried,
    }),
  )
  await Promise.all([signalAndWait(a), signalAndWait(b)])
  await proxy.close()
  return { code, result, proxy }
}

/**
 * A minimal round-robin reverse proxy. It retries a request on the next upstream only when it
 * was not sent: the connection was refused, or a reused keep-alive connection was reset before
 * any answer; any other failure is a 502.
 */
async function startProxy({ followReadiness = false, keepAlive = true } = {}) {
  const upstreams: string[] = []
  /** With followReadiness: the upstreams whose /readyz answered 200 at the last check (every 100 ms). */
  const ready = new Set<string>()
  const retried = { refused: 0, reset: 0 }
  /** The upstream failures answered 502, for the test's log: what failed, and on which kind of connection. */
  const errors: string[] = []
  let next = 0
  // Keep-alive to the upstreams unless told otherwise, as load balancers do: an instance must tell
  // the proxy to stop reusing its connections (Connection: close) rather than cut them.
  const agent = new http.Agent({ keepAlive })
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const attempt = (tries: number) => {
        const candidates = followReadiness ? upstreams.filter((u) => ready.has(u)) : upstreams
        const pool = candidates.length > 0 ? candidates : upstreams
        const upstream = pool[next++ % pool.length]!
        const forward = http.request(
          `${upstream}${req.url}`,
          { method: req.method, headers: req.headers, agent },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          },
        )
        forward.on('error', (error: NodeJS.ErrnoException) => {
          // A reused keep-alive connection that the draining instance closed as the request went
          // out (it had been idle for its settle time) is reset before any answer: the instance
          // never read the request. Node's documentation asks clients to send it again
          // (`reusedSocket`), and load balancers do the same for a connection failure.
          const notSent =
            error.code === 'ECONNREFUSED' ||
            (forward.reusedSocket && error.code === 'ECONNRESET' && !res.headersSent)
          if (notSent && tries < upstreams.length * 20) {
            retried[error.code === 'ECONNREFUSED' ? 'refused' : 'reset'] += 1
            return attempt(tries + 1)
          }
          errors.push(
            `${error.code ?? error.message} on a ${forward.reusedSocket ? 'reused' : 'new'} connection`,
          )
          res.writeHead(502, { 'x-proxy-error': error.code ?? 'unknown' }).end()
        })
        forward.end(body)
      }
      attempt(1)
    })
  })
  const checker = followReadiness
    ? setInterval(() => {
        for (const upstream of upstreams) {
          fetch(`${upstream}/readyz`, { signal: AbortSignal.timeout(500) }).then(
            (answer) => {
              void answer.body?.cancel()
              if (answer.status === 200) ready.add(upstream)
              else ready.delete(upstream)
            },
            () => ready.delete(upstream),
          )
        }
      }, 100)
    : undefined
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    upstreams,
    errors,
    retried,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(checker)
        server.closeAllConnections()
        agent.destroy()
        server.close(() => resolve())
      }),
  }
}
