import { and, eq, lt, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { apiIdempotencyKeys } from '../schema.ts'

type KeyOf = { tokenId: string; key: string }
const byKey = ({ tokenId, key }: KeyOf) =>
  and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key))

/** Inserts the key's row unless it exists; true when this call inserted it (claimed the key). */
export async function insertIdempotencyKey(
  db: DbOrTx,
  { tokenId, key, requestHash }: KeyOf & { requestHash: string },
) {
  const inserted = await db
    .insert(apiIdempotencyKeys)
    .values({ tokenId, key, requestHash })
    .onConflictDoNothing()
    .returning({ key: apiIdempotencyKeys.key })
  return inserted.length > 0
}

/**
 * The key's row, with `expired`: older than `ttlMs`, or claimed over a minute ago and never
 * finished (its process died).
 */
export async function getIdempotencyKey(db: DbOrTx, { tokenId, key, ttlMs }: KeyOf & { ttlMs: number }) {
  const [row] = await db
    .select({
      requestHash: apiIdempotencyKeys.requestHash,
      status: apiIdempotencyKeys.status,
      responseBody: apiIdempotencyKeys.responseBody,
      responseHeaders: apiIdempotencyKeys.responseHeaders,
      expired: sql<boolean>`${apiIdempotencyKeys.createdAt} < now() - make_interval(secs => ${ttlMs / 1000})
          or (${apiIdempotencyKeys.status} is null and ${apiIdempotencyKeys.createdAt} < now() - interval '1 minute')`,
    })
    .from(apiIdempotencyKeys)
    .where(byKey({ tokenId, key }))
  return row
}

export async function setIdempotencyResponse(
  db: DbOrTx,
  {
    tokenId,
    key,
    response,
  }: KeyOf & { response: { status: number; body: string; headers: Record<string, string> } },
) {
  await db
    .update(apiIdempotencyKeys)
    .set({ status: response.status, responseBody: response.body, responseHeaders: response.headers })
    .where(byKey({ tokenId, key }))
}

export async function deleteIdempotencyKey(db: DbOrTx, which: KeyOf) {
  await db.delete(apiIdempotencyKeys).where(byKey(which))
}

/** Deletes keys created before `before`; returns how many. */
export async function deleteIdempotencyKeysBefore(db: DbOrTx, { before }: { before: Date }) {
  const deleted = await db
    .delete(apiIdempotencyKeys)
    .where(lt(apiIdempotencyKeys.createdAt, before))
    .returning({ key: apiIdempotencyKeys.key })
  return deleted.length
}
