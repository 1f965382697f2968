import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'

export function migrationsFolder() {
  // Works from db/ in source and from build/ in the bundled server: both sit beside migrations/.
  return fileURLToPath(new URL('../migrations', import.meta.url))
}

const LOCK_KEY = 727_001

/** Applies pending migrations. The advisory lock makes concurrent instances apply each one once. */
export async function migrateDatabase(pool: pg.Pool) {
  // Its own connection, without the pool's statement timeouts: a migration (or waiting for another
  // instance's) may rightly take longer than any request.
  const client = new pg.Client({
    connectionString: pool.options.connectionString,
    connectionTimeoutMillis: pool.options.connectionTimeoutMillis,
  })
  client.on('error', () => {}) // a lost connection also fails the pending query, which throws
  await client.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY])
    await migrate(drizzle(client), { migrationsFolder: migrationsFolder() })
  } finally {
    await client.end().catch(() => {}) // ending the session releases the advisory lock
  }
}

/** True when every migration in the journal is recorded as applied. `timeoutMs` bounds the query. */
export async function migrationsApplied(pool: pg.Pool, timeoutMs?: number) {
  const journal = JSON.parse(fs.readFileSync(`${migrationsFolder()}/meta/_journal.json`, 'utf8')) as {
    entries: unknown[]
  }
  // query_timeout per query is read by pg but missing from its QueryConfig type.
  const query = {
    text: 'select count(*)::text as count from drizzle.__drizzle_migrations',
    query_timeout: timeoutMs,
  } as pg.QueryConfig
  const result = await pool.query<{ count: string }>(query)
  return Number(result.rows[0]?.count ?? 0) >= journal.entries.length
}
