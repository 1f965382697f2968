// `npm run worker`: processes background jobs without serving HTTP. Needs a shared PostgreSQL
// (DATABASE_URL); web instances then run with RUN_WORKER=false.
import { connectDatabase, disconnectDatabase } from '#db/client.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { env } from '#app/env.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { logger } from '#app/logger.server.ts'
import { closeSocketServer, startEventEmitter } from '#app/realtime/hub.server.ts'

const config = env()
if (!config.databaseUrl) {
  console.error(
    'npm run worker needs DATABASE_URL: the embedded database belongs to the web process (npm start).',
  )
  process.exit(1)
}
const { pool } = connectDatabase(config.databaseUrl, config.databasePoolSize)
await migrateDatabase(pool)
// This process exists to run workers, whatever RUN_WORKER says: listen for NOTIFY wake-ups.
await startQueue(config.databaseUrl, { listen: true })
// Delivery badges change live: events go to the web instances through the Socket.IO adapter.
startEventEmitter(config.databaseUrl)
await startWorkers()
logger().info('worker started')

const stop = async () => {
  await stopQueue()
  await closeSocketServer()
  await disconnectDatabase()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
