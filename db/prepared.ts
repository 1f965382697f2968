import { createHash } from 'node:crypto'
import type { SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import pg, { type QueryResult } from 'pg'
import { DrizzleQueryError } from 'drizzle-orm'
import type { Db, DbOrTx } from './client.ts'

// Hot queries of every page request are prepared once per connection (PostgreSQL then skips
// parsing and planning them). Prepared query objects belong to one drizzle instance.
const cache = new WeakMap<Db, Map<string, unknown>>()

export function prepared<T>(db: Db, name: string, build: (db: Db) => T): T {
  let byName = cache.get(db)
  if (!byName) {
    byName = new Map()
    cache.set(db, byName)
  }
  if (!byName.has(name)) byName.set(name, build(db))
  return byName.get(name) as T
}

const dialect = new PgDialect()

/**
 * `db.execute(query)` as a named prepared statement: PostgreSQL parses and plans it once per
 * connection instead of on every call (the queue's statement costs more to plan than to run).
 * The name is derived from the SQL text, so each shape of a dynamic query gets its own, and a name
 * never meets a different text (node-postgres refuses that).
 */
export async function executePrepared<T extends Record<string, unknown>>(db: DbOrTx, query: SQL) {
  return executePreparedText<T>(db, dialect.sqlToQuery(query))
}

/** A drizzle SQL object's text and parameters, as executePrepared sends them. */
export function queryOf(query: SQL): { sql: string; params: unknown[] } {
  return dialect.sqlToQuery(query)
}

// The statement name of each SQL text seen (bounded: the texts are the app's own shapes).
const names = new Map<string, string>()

function statementName(text: string) {
  let name = names.get(text)
  if (!name) {
    if (names.size >= 1_000) names.clear()
    name = `x_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`
    names.set(text, name)
  }
  return name
}

// The result types drizzle's own queries leave as text (dates, times, intervals and their arrays):
// the callers' row types were written against drizzle's results.
const TEXT_RESULTS = new Set<number>([
  pg.types.builtins.TIMESTAMPTZ,
  pg.types.builtins.TIMESTAMP,
  pg.types.builtins.DATE,
  pg.types.builtins.INTERVAL,
  1231, // numeric[]
  1115, // timestamp[]
  1185, // timestamptz[]
  1187, // interval[]
  1182, // date[]
])
const keepText = (value: string) => value
const resultTypes = {
  getTypeParser: ((typeId: number, format?: 'text' | 'binary') =>
    TEXT_RESULTS.has(typeId)
      ? keepText
      : pg.types.getTypeParser(typeId, format)) as typeof pg.types.getTypeParser,
}

/**
 * A SQL text with `$n` placeholders (one statement, written by us or by a library such as
 * pg-boss, never built from input) as a named prepared statement on the caller's connection.
 * Sent to node-postgres directly, with drizzle's result types and errors: drizzle's prepared
 * query object (two configs with closures, tracing spans, a cache lookup) was built for each
 * call and thrown away.
 */
export async function executePreparedText<T extends Record<string, unknown>>(
  db: DbOrTx,
  query: { sql: string; params: unknown[] },
): Promise<QueryResult<T>> {
  const client = (db._.session as unknown as { client: pg.Pool | pg.PoolClient }).client
  try {
    return await client.query<T>({
      name: statementName(query.sql),
      text: query.sql,
      values: query.params,
      types: resultTypes,
    })
  } catch (error) {
    throw new DrizzleQueryError(query.sql, query.params, error as Error)
  }
}
