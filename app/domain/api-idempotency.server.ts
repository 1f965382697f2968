import { createHash } from 'node:crypto'
import { getDb } from '#db/client.ts'
import {
  deleteIdempotencyKey,
  deleteIdempotencyKeysBefore,
  getIdempotencyKey,
  insertIdempotencyKey,
  setIdempotencyResponse,
} from '#db/queries/api-idempotency.ts'

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
    if (await insertIdempotencyKey(db, { tokenId, key, requestHash: fingerprint })) return { kind: 'claimed' }
    // Older than 24 h, or claimed over a minute ago and never finished (its process died).
    const row = await getIdempotencyKey(db, { tokenId, key, ttlMs: IDEMPOTENCY_TTL_MS })
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
  await setIdempotencyResponse(getDb(), { tokenId, key, response })
}

export async function releaseIdempotencyKey(tokenId: string, key: string) {
  await deleteIdempotencyKey(getDb(), { tokenId, key })
}

/** Run by the sessions.cleanup job: keys older than 24 hours are forgotten. */
export async function deleteOldIdempotencyKeys() {
  return deleteIdempotencyKeysBefore(getDb(), { before: new Date(Date.now() - IDEMPOTENCY_TTL_MS) })
}
