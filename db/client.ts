import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import type pg from 'pg'
import { createPool, endPool, watchedTransaction, type PoolGuards } from './pool.ts'
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
  retryConflicts(db)
  store.__switchboardDb = { pool, db, url }
  return store.__switchboardDb
}

/** How often a transaction is run in all when PostgreSQL aborts it for a deadlock. */
export const TRANSACTION_ATTEMPTS = 4

/** PostgreSQL's codes for "this transaction lost a conflict; run it again". */
const CONFLICT_CODES = new Set(['40P01', '40001']) // deadlock_detected, serialization_failure

/** Is `error` (or a cause of it: Drizzle wraps pg's error) a deadlock or serialization failure? */
export function isTransactionConflict(error: unknown): boolean {
  for (let at = error, depth = 0; at && depth < 5; depth++) {
    const code = (at as { code?: unknown }).code
    if (typeof code === 'string' && CONFLICT_CODES.has(code)) return true
    at = (at as { cause?: unknown }).cause
  }
  return false
}

/**
 * Top-level transactions are run again, up to TRANSACTION_ATTEMPTS in all, when PostgreSQL
 * aborts them for a deadlock or a serialization failure, after a short random pause: its own
 * advice for these errors, which say nothing is wrong with the transaction but its timing. Two
 * agents' bulk changes and sidebar edits can lock queue_counts rows (kept by a trigger, one
 * statement per ticket) in opposite orders: that was a 500 for one of them. The whole callback
 * runs again, so it must not have effects outside the database before it commits (ours return
 * their events and publish after). Savepoints (`tx.transaction`) are not retried: a deadlock
 * aborts the whole transaction.
 */
function retryConflicts(db: Db) {
  const once = db.transaction.bind(db)
  db.transaction = async function transaction(run, config) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await watchedTransaction(() => once(run, config))
      } catch (error) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isTransactionConflict(error)) throw error
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt))
      }
    }
  } as Db['transaction']
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
