import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'
import { connectDatabase, disconnectDatabase } from '#db/client.ts'
import { checkSecondConnections } from '#db/pool.ts'
import { stopQueue } from '#app/jobs/queue.server.ts'

// Every transaction the tests run, in the app's code or theirs, fails if it asks its own pool for a
// second connection while it holds one (db/pool.ts): the pool is small enough for that to hang.
checkSecondConnections()

/** Each test file gets its own database, cloned from the migrated template. */
const adminUrl = inject('adminDatabaseUrl')
const name = `test_${randomBytes(6).toString('hex')}`

function withDatabase(url: string, database: string) {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

export const testDatabaseUrl = withDatabase(adminUrl, name)

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name} template switchboard_template`)
  await admin.end()
  process.env.TEST_DATABASE_URL = testDatabaseUrl
  connectDatabase(testDatabaseUrl, 10)
})

afterAll(async () => {
  await stopQueue()
  await disconnectDatabase()
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.end()
})
