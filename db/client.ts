import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import type pg from 'pg'
import { createPool, endPool, type PoolGuards } from './pool.ts'
import * as schema from './schema.ts'

export type Db = NodePgDatabase<typeof schema>
/** A database handle or an open transaction: query functions accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type DbOrTx = Db | Tx

// server.ts and the Remix server build each get their own copy of this module:
// the pool lives on globalThis so both share one.
const store = globalThis as unknown as { __switchboardDb?: { pool: pg.Pool; db: Db; url: string } }

/**
 * Opens the process's pool. The server passes `guards` (timeouts from the environment) so a
 * database that stops answering fails requests instead of holding them; see db/pool.ts.
 */
export function connectDatabase(url: string, max = 20, guards: PoolGuards = {}) {
  if (store.__switchboardDb) return store.__switchboardDb
  const pool = createPool(url, max, guards)
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

/**
 * Closes the pool. Bounded: returns within `deadlineMs` even when the database is gone or a
 * connection is stuck (those are then closed without waiting for the server).
 */
export async function disconnectDatabase(deadlineMs = 5_000) {
  const current = store.__switchboardDb
  store.__switchboardDb = undefined
  if (current) await endPool(current.pool, deadlineMs)
}
