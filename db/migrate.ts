import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import type pg from 'pg'

export function migrationsFolder() {
  // Works from db/ in source and from build/ in the bundled server: both sit beside migrations/.
  return fileURLToPath(new URL('../migrations', import.meta.url))
}

const LOCK_KEY = 727_001

/** Applies pending migrations. The advisory lock makes concurrent instances apply each one once. */
export async function migrateDatabase(pool: pg.Pool) {
  const client = await pool.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY])
    await migrate(drizzle(client), { migrationsFolder: migrationsFolder() })
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {})
    client.release()
  }
}

/** True when every migration in the journal is recorded as applied. */
export async function migrationsApplied(pool: pg.Pool) {
  const journal = JSON.parse(fs.readFileSync(`${migrationsFolder()}/meta/_journal.json`, 'utf8')) as {
    entries: unknown[]
  }
  const result = await pool.query<{ count: string }>(
    'select count(*)::text as count from drizzle.__drizzle_migrations',
  )
  return Number(result.rows[0]?.count ?? 0) >= journal.entries.length
}
