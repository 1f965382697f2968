import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDatabase, disconnectDatabase, getDb } from '#db/client.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { emails } from '#db/schema.ts'
import { queueEmail } from '#app/domain/email.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { FakeSendGrid } from '#tests/fakes/sendgrid.ts'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { startFaultablePostgres, type FaultablePostgres } from '#tests/helpers/faultable-postgres.ts'
import { testEmail } from '#tests/helpers/outbox.ts'
import { killServers, signalAndWait, startServer, type ServerProcess } from '#tests/helpers/server-process.ts'
import { waitFor } from '#tests/helpers/wait.ts'

// `npm run worker` (the standalone worker of a deployment with RUN_WORKER=false web instances) on
// a PostgreSQL of this file's own, which the test stops and starts again under it.
const fake = new FakeSendGrid()
let database: FaultablePostgres
let worker: ServerProcess
let workspaceId: string
let sent = 0
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-worker-outage-'))

beforeAll(async () => {
  await fake.start()
  database = await startFaultablePostgres()
  // This file's factories and emails go to the database it breaks.
  await disconnectDatabase()
  const { pool } = connectDatabase(database.url, 4)
  await migrateDatabase(pool)
  await startQueue(database.url, { listen: false })
  workspaceId = (await createWorkspace()).id
  worker = await startServer({
    command: ['npm', 'run', 'worker'],
    waitReady: false,
    databaseUrl: database.url,
    dataDir,
    env: {
      LOG_LEVEL: 'info',
      SENDGRID_API_KEY: fake.apiKey,
      SENDGRID_API_BASE_URL: fake.url,
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
    },
  })
  await waitFor(() => worker.output().includes('"msg":"worker started"'), 30_000)
}, 60_000)

afterAll(async () => {
  killServers()
  await stopQueue()
  await disconnectDatabase()
  await database?.dispose()
  await fake.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

const alive = () => worker.child.exitCode === null && worker.child.signalCode === null

/** Queued by "a web instance" (this test's own connection); true once the worker sent it. */
async function sendsOne() {
  sent += 1
  const id = await getDb().transaction((tx) => queueEmail(tx, testEmail(workspaceId, sent)))
  await waitFor(async () => {
    const [row] = await getDb().select({ status: emails.status }).from(emails).where(eq(emails.id, id))
    return row?.status === 'sent'
  }, 20_000)
  return true
}

describe('npm run worker through a database outage', { timeout: 90_000 }, () => {
  it('sends before, stays up while PostgreSQL is stopped, sends again once it is back, and stops cleanly', async () => {
    expect(await sendsOne()).toBe(true)

    await database.stop()
    // Long enough for its pool, pg-boss's polling and maintenance, its LISTEN connection and the
    // live-event emitter to each meet the closed database.
    await new Promise((r) => setTimeout(r, 6_000))
    expect(alive(), worker.output().split('\n').slice(-20).join('\n')).toBe(true)

    await database.start()
    await stopQueue()
    await startQueue(database.url, { listen: false })
    expect(await sendsOne()).toBe(true)
    expect(alive()).toBe(true)

    const { code } = await signalAndWait(worker)
    expect(code, worker.output().split('\n').slice(-20).join('\n')).toBe(0)
  })
})
