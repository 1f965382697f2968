import http from 'node:http'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { connectDatabase, disconnectDatabase } from '#db/client.ts'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '#db/embedded.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { env, EnvError } from '#app/env.server.ts'
import { createApp } from '#app/http/app.server.ts'
import { databasePoolGuards } from '#app/http/database-outage.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { logger } from '#app/logger.server.ts'
import { attachSocketServer, closeSocketServer } from '#app/realtime/hub.server.ts'

// Thin process entry: reads config, starts the database, wires the app, shuts down cleanly.
let embedded: EmbeddedDatabase | undefined

async function main() {
  const config = env()
  let databaseUrl = config.databaseUrl
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'))
    databaseUrl = embedded.url
  }
  const { pool } = connectDatabase(databaseUrl, 20, databasePoolGuards('app'))
  await migrateDatabase(pool)
  // Every instance can enqueue; RUN_WORKER=false leaves processing to `npm run worker` processes.
  await startQueue(databaseUrl)
  if (config.runWorker) await startWorkers()

  const appOrigin = new URL(config.appUrl).origin
  const server = http.createServer()
  let app
  if (config.dev) {
    const vite = await import('vite')
    // HMR shares our HTTP server, so two dev copies on different PORTs do not collide.
    const devServer = await vite.createServer({ server: { middlewareMode: true, hmr: { server } } })
    app = createApp({
      appOrigin,
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
      dev: false,
      trustProxy: config.trustProxy,
      clientDir: path.join(here, 'client'),
      build,
    })
  }

  server.on('request', app)
  attachSocketServer(server, { allowedOrigins: [appOrigin], databaseUrl })
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  if (config.appEnv === 'local') {
    const defaults = config.defaultsUsed.length ? ` (defaults: ${config.defaultsUsed.join('; ')})` : ''
    console.log(`Switchboard listening on http://${config.host}:${port}${defaults}`)
  }
  logger().info({ port, host: config.host, appEnv: config.appEnv }, 'server started')

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger().info({ signal }, 'shutting down')
    const force = setTimeout(() => server.closeAllConnections(), 10_000)
    force.unref()
    // Stop accepting; in-flight requests finish (up to 10 s), idle keep-alive sockets close.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    await closeSocketServer()
    await closed
    clearTimeout(force)
    await stopQueue().catch((error) => logger().error({ err: error }, 'queue stop failed'))
    await disconnectDatabase()
    if (embedded) await embedded.stop()
    logger().info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch(async (error: unknown) => {
  if (error instanceof EnvError) {
    console.error(error.message)
  } else {
    logger().fatal({ err: error }, 'failed to start')
    console.error(error)
  }
  await embedded?.stop().catch(() => {})
  process.exit(1)
})
