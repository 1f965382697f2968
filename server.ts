// First: sizes libuv's threadpool before anything uses it (see the module).
import '#app/threadpool.server.ts'
import http from 'node:http'
import { isIPv6 } from 'node:net'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { connectDatabase, disconnectDatabase } from '#db/client.ts'
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '#db/embedded.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { env, EnvError, settleFreePort } from '#app/env.server.ts'
import { describeStartupError } from '#app/startup-error.server.ts'
import { releaseMemoryWhenIdle } from '#app/idle-memory.server.ts'
import { createApp } from '#app/http/app.server.ts'
import { databasePoolGuards } from '#app/http/database-outage.server.ts'
import { guardConnections } from '#app/http/connection-guard.server.ts'
import { answerOversizedHeads, REQUEST_HEAD_READ_LIMIT } from '#app/http/request-head.server.ts'
import { drainableServer } from '#app/http/graceful.server.ts'
import { sweepPendingUploads } from '#app/http/upload-holds.server.ts'
import { compileTrustProxy } from '#app/http/security.server.ts'
import { markStopping } from '#app/http/health.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { logger } from '#app/logger.server.ts'
import { shutdownSteps } from '#app/shutdown-steps.server.ts'
import { attachSocketServer, closeSocketServer } from '#app/realtime/hub.server.ts'

// Thin process entry: reads config, starts the database, wires the app, shuts down cleanly.
let embedded: EmbeddedDatabase | undefined

/** In-flight requests get this long to finish after SIGTERM; then their connections are cut. */
const DRAIN_MS = 10_000
/** Every later step of the shutdown has its own deadline, so the process always exits. */
const STEP_MS = { sockets: 2_000, queue: 4_000, pool: 2_000, embedded: 6_000 }

/** Replaced by the graceful shutdown once the server is up. */
let onSignal = (signal: NodeJS.Signals) => {
  logger().warn({ signal }, 'signal during start-up: exiting')
  void (embedded?.stop(5_000) ?? Promise.resolve()).finally(() => process.exit(1))
}
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal))

async function main() {
  // PORT=0 without APP_URL: the free port is picked now, so the default APP_URL can name it.
  const config = env().port === 0 && env().appUrlFromPort ? settleFreePort(await freePort()) : env()
  let databaseUrl = config.databaseUrl
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), {
      // Its own session: a Ctrl-C reaches this process, which stops PostgreSQL after draining.
      detached: true,
      // Killed or crashed under us (the OOM killer picks the biggest process): started again.
      restart: true,
      log: (message) => logger().warn(message),
    })
    databaseUrl = embedded.url
  }
  const { pool } = connectDatabase(databaseUrl, config.databasePoolSize, databasePoolGuards('app'))
  await migrateDatabase(pool)
  // Files of uploads a previous run of this process stored and died before judging (crash, kill).
  void sweepPendingUploads().catch((error: unknown) =>
    logger().warn({ err: error }, 'files of ended uploads could not be swept'),
  )
  // Every instance can enqueue; RUN_WORKER=false leaves processing to `npm run worker` processes.
  await startQueue(databaseUrl)
  // Imported only here: the job handlers bring email rendering, SendGrid, the AI client and the
  // webhook sender, which a web-only instance (RUN_WORKER=false) never loads.
  if (config.runWorker) await (await import('#app/jobs/worker.server.ts')).startWorkers()

  const appOrigin = new URL(config.appUrl).origin
  // Slow senders (slowloris) are cut once their headers take longer than the timeout; the check
  // runs every 5 s (Node's default is 30 s, which let a connection live 50 s past its timeout).
  // Heads over 16 KB are answered by the app with a body (requestHeadSize); Node reads up to 64 KB
  // of one, and answers what is beyond that the same way (answerOversizedHeads).
  const server = http.createServer({
    connectionsCheckingInterval: 5_000,
    maxHeaderSize: REQUEST_HEAD_READ_LIMIT,
  })
  answerOversizedHeads(server)
  server.headersTimeout = config.http.headersTimeoutMs
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs
  guardConnections(server, {
    maxPerAddress: config.http.maxConnectionsPerAddress,
    trust: compileTrustProxy(config.trustProxy),
    onRefused: (address, refused) =>
      logger().warn({ address, refused }, 'connections refused: the address holds too many open'),
    onDropped: (dropped) =>
      logger().warn(
        { dropped, maxConnections: server.maxConnections },
        'connections dropped: the server is full',
      ),
  })
  // Before the app's listener: it marks responses `Connection: close` once draining.
  const traffic = drainableServer(server)
  let app
  if (config.dev) {
    const vite = await import('vite')
    const ownSigterm = new Set(process.listeners('SIGTERM'))
    // HMR shares our HTTP server, so two dev copies on different PORTs do not collide.
    const devServer = await vite.createServer({ server: { middlewareMode: true, hmr: { server } } })
    // The Remix plugin's child compiler is a Vite server outside middleware mode, which adds a
    // SIGTERM handler that closes it and exits at once: that cut our shutdown short and left the
    // embedded database running. Our handler alone answers the signal. (Vite hangs the same
    // handler on stdin's end, which would exit the same way.)
    for (const listener of process.listeners('SIGTERM')) {
      if (ownSigterm.has(listener)) continue
      process.off('SIGTERM', listener)
      process.stdin.off('end', listener)
    }
    app = createApp({
      appOrigin,
      appEnv: config.appEnv,
      dev: true,
      trustProxy: config.trustProxy,
      viteMiddleware: devServer.middlewares,
      build: () => devServer.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>,
    })
  } else {
    const here = path.dirname(new URL(import.meta.url).pathname)
    const build = (await import(/* @vite-ignore */ path.join(here, 'server/index.js'))) as ServerBuild
    app = createApp({
      appOrigin,
      appEnv: config.appEnv,
      dev: false,
      trustProxy: config.trustProxy,
      clientDir: path.join(here, 'client'),
      build,
    })
  }

  server.on('request', app)
  attachSocketServer(server, {
    appOrigin,
    appEnv: config.appEnv,
    trustProxy: config.trustProxy,
    databaseUrl,
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  if (config.appEnv === 'local') {
    const defaults = config.defaultsUsed.length ? ` (defaults: ${config.defaultsUsed.join('; ')})` : ''
    // An IPv6 address is bracketed in a URL (HOST=:: printed http://:::3000).
    const host = isIPv6(config.host) ? `[${config.host}]` : config.host
    console.log(`Switchboard listening on http://${host}:${port}${defaults}`)
  }
  logger().info({ port, host: config.host, appEnv: config.appEnv }, 'server started')
  releaseMemoryWhenIdle()

  let stopping = false
  let skipDelay: (() => void) | undefined
  const shutdown = async (signal: string) => {
    // A second signal cuts SHUTDOWN_DELAY_MS short (a second Ctrl-C); the drain goes on as usual.
    if (stopping) return skipDelay?.()
    stopping = true
    const started = Date.now()
    const delayMs = config.shutdownDelayMs
    logger().info({ signal, delayMs }, 'shutting down')
    // Belt and braces: whatever happens below, the process ends.
    setTimeout(
      () => {
        logger().error({ afterMs: Date.now() - started }, 'shutdown did not finish: exiting anyway')
        process.exit(1)
      },
      delayMs + DRAIN_MS + 20_000,
    ).unref()
    // Not ready any more, but serving as usual for SHUTDOWN_DELAY_MS: a load balancer that checks
    // /readyz takes its connections elsewhere before the listener closes. Closing it resets any
    // connection still waiting in its accept queue, whose request the proxy may not send again.
    markStopping()
    if (delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs)
        skipDelay = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      skipDelay = undefined
    }
    const { step, forced } = shutdownSteps()
    // Stop accepting, finish in-flight requests, close keep-alive connections as they go idle.
    await step('http', DRAIN_MS + 1_000, () => traffic.drain(DRAIN_MS))
    await Promise.all([
      step('sockets', STEP_MS.sockets, () => closeSocketServer()),
      step('queue', STEP_MS.queue, () => stopQueue()),
    ])
    await step('database pool', STEP_MS.pool, () => disconnectDatabase())
    const database = embedded
    if (database)
      await step('embedded postgres', STEP_MS.embedded, () =>
        database.stopWithOutcome(STEP_MS.embedded - 1_000),
      )
    logger().info({ forced, durationMs: Date.now() - started }, 'stopped')
    process.exit(forced.length > 0 ? 1 : 0)
  }
  onSignal = (signal) => void shutdown(signal)
}

main().catch(async (error: unknown) => {
  if (error instanceof EnvError) {
    console.error(error.message)
  } else {
    const reason = describeStartupError(error, process.env.DATA_DIR || './data')
    logger().fatal({ err: error instanceof Error ? error : undefined, reason }, 'failed to start')
    console.error(`Switchboard failed to start: ${reason}`)
  }
  // Close what did start (bounded), so the database's shutdown does not log our connections' errors.
  const within = (ms: number, run: () => Promise<unknown>) =>
    Promise.race([run().catch(() => {}), new Promise((r) => setTimeout(r, ms))])
  await within(STEP_MS.queue, () => stopQueue())
  await within(STEP_MS.pool, () => disconnectDatabase())
  await embedded?.stop(5_000).catch(() => {})
  process.exit(1)
})
