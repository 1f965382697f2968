import { and, count, eq, gt, lt } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { rateLimitHits } from '#db/schema.ts'

export type Limit = { max: number; windowMs: number }

export const LOGIN_LIMIT: Limit = { max: 10, windowMs: 15 * 60 * 1000 }

/** How many hits `key` has in its window. Stored in PostgreSQL so every instance shares it. */
export async function hitsInWindow(key: string, limit: Limit) {
  const since = new Date(Date.now() - limit.windowMs)
  const [row] = await getDb()
    .select({ n: count() })
    .from(rateLimitHits)
    .where(and(eq(rateLimitHits.key, key), gt(rateLimitHits.createdAt, since)))
  return row?.n ?? 0
}

export async function isLimited(key: string, limit: Limit) {
  return (await hitsInWindow(key, limit)) >= limit.max
}

export async function recordHit(key: string) {
  await getDb().insert(rateLimitHits).values({ key })
}

export async function clearHits(key: string) {
  await getDb().delete(rateLimitHits).where(eq(rateLimitHits.key, key))
}

export async function deleteOldHits(olderThanMs = 24 * 60 * 60 * 1000) {
  const result = await getDb()
    .delete(rateLimitHits)
    .where(lt(rateLimitHits.createdAt, new Date(Date.now() - olderThanMs)))
  return result.rowCount ?? 0
}
