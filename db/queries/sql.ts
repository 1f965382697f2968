import { sql, type SQL } from 'drizzle-orm'

/**
 * A timestamp as ISO 8601 in UTC with its microseconds ("2026-12-02T13:05:09.123456Z"): the form
 * keyset cursors carry, exact enough to compare with the column again.
 */
export function isoMicros(column: SQL) {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
}
