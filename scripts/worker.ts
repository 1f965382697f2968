// `npm run worker`: processes background jobs without serving HTTP. Needs a shared PostgreSQL
// (DATABASE_URL) and the web instances' SESSION_SECRET and APP_URL; web instances then run with
// RUN_WORKER=false.
import { connectDatabase, disconnectDatabase } from '#db/client.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { EnvError, workerEnv } from '#app/env.server.ts'
import { databasePoolGuards } from '#app/http/database-outage.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { logger } from '#app/logger.server.ts'
import { shutdownSteps } from '#app/shutdown-steps.server.ts'
import { describeStartupError } from '#app/startup-error.server.ts'
import { closeSocketServer, startEventEmitter } from '#app/realtime/hub.server.ts'

/** Each step's deadline, as in the web server's shutdown (server.ts): the process always exits. */
const STEP_MS = { queue: 4_000, events: 2_000, pool: 2_000 }

async function main() {
  // Refuses without DATABASE_URL, SESSION_SECRET and APP_URL: they must be the web instances'.
  const config = workerEnv()
  const databaseUrl = config.databaseUrl!
  // The web process's timeouts (connect, statement, idle in transaction) and its log of a lost
  // connection: a job never waits for ever on a database that stopped answering.
  const { pool } = connectDatabase(databaseUrl, config.databasePoolSize, databasePoolGuards('worker'))
  await migrateDatabase(pool)
  // This process exists to run workers, whatever RUN_WORKER says: listen for NOTIFY wake-ups.
  await startQueue(databaseUrl, { listen: true })
  // Delivery badges change live: events go to the web instances through the Socket.IO adapter.
  startEventEmitter(databaseUrl)
  await startWorkers()
  logger().info('worker started')
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void stop(signal))
}

let stopping = false
const stop = async (signal: NodeJS.Signals) => {
  // A second signal changes nothing: the steps below are already bounded.
  if (stopping) return
  stopping = true
  const started = Date.now()
  logger().info({ signal }, 'worker shutting down')
  // Jobs in flight get the queue's grace (an email's SendGrid call is waited for, or noted on its
  // row when cut off), then the live events and the pool close.
  const { step, forced } = shutdownSteps()
  await step('queue', STEP_MS.queue, () => stopQueue())
  await step('events', STEP_MS.events, () => closeSocketServer())
  await step('database pool', STEP_MS.pool, () => disconnectDatabase())
  logger().info({ forced, durationMs: Date.now() - started }, 'worker stopped')
  process.exit(forced.length > 0 ? 1 : 0)
}

// As server.ts: a bad variable is its message, anything else the reason in plain words (no stack
// of our own code for an unreachable database), and the process exits 1.
main().catch(async (error: unknown) => {
  if (error instanceof EnvError) {
    console.error(error.message)
  } else {
    const reason = describeStartupError(error, process.env.DATA_DIR || './data')
    logger().fatal({ err: error instanceof Error ? error : undefined, reason }, 'worker failed to start')
    console.error(`Switchboard's worker failed to start: ${reason}`)
  }
  const within = (ms: number, run: () => Promise<unknown>) =>
    Promise.race([run().catch(() => {}), new Promise((r) => setTimeout(r, ms))])
  await within(STEP_MS.queue, () => stopQueue())
  await within(STEP_MS.events, () => closeSocketServer())
  await within(STEP_MS.pool, () => disconnectDatabase())
  process.exit(1)
})
