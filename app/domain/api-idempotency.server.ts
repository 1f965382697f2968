import { createHash } from 'node:crypto'
import { and, eq, lt, sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { apiIdempotencyKeys } from '#db/schema.ts'

/**
 * Idempotency-Key for API POSTs (draft-ietf-httpapi-idempotency-key-header). A key is claimed
 * by inserting its row first (no status: in progress), so of concurrent duplicates exactly one
 * inserts and does the work; the others find the row. The finished response (status, body, a
 * few headers) is stored and replayed for 24 hours. A 5xx releases the key; so does a claim left
 * unfinished for a minute (its process died).
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export type StoredResponse = { status: number; body: string; headers: Record<string, string> }

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' }

export function requestFingerprint(method: string, path: string, body: string) {
  return createHash('sha256').update(`${method}\n${path}\n${body}`).digest('hex')
}

/** Claims `key` for this request, or says what the earlier request with it became. */
export async function claimIdempotencyKey(tokenId: string, key: string, fingerprint: string): Promise<Claim> {
  const db = getDb()
  // One retry: a row older than 24 h is deleted and the key claimed afresh.
  for (let attempt = 0; attempt < 2; attempt++) {
    const inserted = await db
      .insert(apiIdempotencyKeys)
      .values({ tokenId, key, requestHash: fingerprint })
      .onConflictDoNothing()
      .returning({ key: apiIdempotencyKeys.key })
    if (inserted.length > 0) return { kind: 'claimed' }
    const [row] = await db
      .select({
        requestHash: apiIdempotencyKeys.requestHash,
        status: apiIdempotencyKeys.status,
        responseBody: apiIdempotencyKeys.responseBody,
        responseHeaders: apiIdempotencyKeys.responseHeaders,
        // Older than 24 h, or claimed over a minute ago and never finished (its process died).
        expired: sql<boolean>`${apiIdempotencyKeys.createdAt} < now() - make_interval(secs => ${IDEMPOTENCY_TTL_MS / 1000})
          or (${apiIdempotencyKeys.status} is null and ${apiIdempotencyKeys.createdAt} < now() - interval '1 minute')`,
      })
      .from(apiIdempotencyKeys)
      .where(and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key)))
    if (!row) continue // released in between: try to claim it again
    if (row.expired) {
      await releaseIdempotencyKey(tokenId, key)
      continue
    }
    if (row.requestHash !== fingerprint) return { kind: 'mismatch' }
    if (row.status === null) return { kind: 'in-progress' }
    return {
      kind: 'replay',
      response: { status: row.status, body: row.responseBody ?? '', headers: row.responseHeaders ?? {} },
    }
  }
  return { kind: 'in-progress' }
}

export async function completeIdempotencyKey(tokenId: string, key: string, response: StoredResponse) {
  await getDb()
    .update(apiIdempotencyKeys)
    .set({ status: response.status, responseBody: response.body, responseHeaders: response.headers })
    .where(and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key)))
}

export async function releaseIdempotencyKey(tokenId: string, key: string) {
  await getDb()
    .delete(apiIdempotencyKeys)
    .where(and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key)))
}

/** Run by the sessions.cleanup job: keys older than 24 hours are forgotten. */
export async function deleteOldIdempotencyKeys() {
  const deleted = await getDb()
    .delete(apiIdempotencyKeys)
    .where(lt(apiIdempotencyKeys.createdAt, new Date(Date.now() - IDEMPOTENCY_TTL_MS)))
    .returning({ key: apiIdempotencyKeys.key })
  return deleted.length
}
