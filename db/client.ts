import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import * as schema from './schema.ts'

export type Db = NodePgDatabase<typeof schema>
/** A database handle or an open transaction: query functions accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type DbOrTx = Db | Tx

// server.ts and the Remix server build each get their own copy of this module:
// the pool lives on globalThis so both share one.
const store = globalThis as unknown as { __switchboardDb?: { pool: pg.Pool; db: Db; url: string } }

export function connectDatabase(url: string, max = 20) {
  if (store.__switchboardDb) return store.__switchboardDb
  const pool = new pg.Pool({ connectionString: url, max })
  pool.on('error', () => {}) // idle client errors surface on the next query
  const db = drizzle(pool, { schema, casing: 'snake_case' })
  store.__switchboardDb = { pool, db, url }
  return store.__switchboardDb
}

export function database() {
  if (!store.__switchboardDb) throw new Error('Database not connected: call connectDatabase() first')
  return store.__switchboardDb
}

export function getDb(): Db {
  return database().db
}

export async function disconnectDatabase() {
  const current = store.__switchboardDb
  store.__switchboardDb = undefined
  if (current) await current.pool.end()
}
