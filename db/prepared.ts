import type { Db } from './client.ts'

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
