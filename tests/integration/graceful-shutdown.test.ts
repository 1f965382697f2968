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

async function instance(options: { port?: number; appUrl?: string } = {}) {
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
    const owner = await createMember('owner')
    const proxy = await startProxy()
    const [first, b] = await Promise.all([instance({ appUrl: proxy.url }), instance({ appUrl: proxy.url })])
    let a = first
    proxy.upstreams.push(a.url, b.url)
    const run = `rolling-${Date.now()}`
    const load = writeLoad(() => proxy.url, proxy.url, owner.workspace.slug, run)
    await waitFor(() => load.sent.length >= 50, 60_000)
    const { code } = await signalAndWait(a, 'SIGTERM')
    a = await instance({ port: a.port, appUrl: proxy.url })
    const before = load.sent.length
    await waitFor(() => load.sent.length >= before + 50, 60_000) // the new instance serves its share too
    const result = tally(await load.stop(), await savedSubjects(run))
    const failures = load.sent.flatMap((s) =>
      s.outcome.kind === 'answered' && s.outcome.status >= 400 ? [s.outcome.status] : [],
    )
    console.log(
      JSON.stringify({
        test: 'rolling-restart-behind-proxy',
        code,
        ...result,
        failures,
        proxyErrors: proxy.errors,
      }),
    )
    await Promise.all([signalAndWait(a), signalAndWait(b)])
    await proxy.close()
    expect(code).toBe(0)
    expect(result.requests).toBe(result.acknowledged)
    expect(result.lostWrites).toBe(0)
  })
})

/**
 * A minimal round-robin reverse proxy. It retries a request on the next upstream only when it
 * was not sent: the connection was refused, or a reused keep-alive connection was reset before
 * any answer; any other failure is a 502.
 */
async function startProxy() {
  const upstreams: string[] = []
  /** The upstream failures answered 502, for the test's log: what failed, and on which kind of connection. */
  const errors: string[] = []
  let next = 0
  // Keep-alive to the upstreams, as load balancers do: an instance must tell the proxy to stop
  // reusing its connections (Connection: close) rather than cut them.
  const agent = new http.Agent({ keepAlive: true })
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const attempt = (tries: number) => {
        const upstream = upstreams[next++ % upstreams.length]!
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
          if (notSent && tries < upstreams.length * 20) return attempt(tries + 1)
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    upstreams,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        agent.destroy()
        server.close(() => resolve())
      }),
  }
}
