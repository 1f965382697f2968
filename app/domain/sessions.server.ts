import { getDb, type DbOrTx } from '#db/client.ts'
import {
  countLiveSessions,
  deleteOtherSessions,
  deleteSession,
  deleteSessionsExpiredBefore,
  getLiveSession,
  insertSession,
  setSessionExpiry,
} from '#db/queries/sessions.ts'
import { newToken } from './tokens.server.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

// Sessions as rows. The cookie that carries a session's id is the http layer's
// (app/http/auth.server.ts): nothing here sees a Request or a cookie.

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000
// Rolling sessions: extend when less than this much is used, so most requests write nothing.
const RENEW_AFTER_MS = 24 * 60 * 60 * 1000

export type CurrentSession = { id: string; userId: string; expiresAt: Date }

/**
 * Opens a session for the user; returns its id (256 random bits). `replaces`: the session the
 * browser's cookie named until now (whoever's it was), ended in the same transaction, since the
 * new cookie takes its place and nothing could use it after.
 */
export async function openSession(
  userId: string,
  client: { ip: string | null; userAgent: string | null },
  replaces: string | null = null,
) {
  const id = newToken()
  await getDb().transaction(async (tx) => {
    await insertSession(tx, {
      id,
      userId,
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      ip: client.ip,
      userAgent: client.userAgent === null ? null : sliceWhole(client.userAgent, 300),
    })
    if (replaces) await deleteSession(tx, { id: replaces })
  })
  return id
}

/** The live session with this id, if any. */
export async function findSessionById(id: string): Promise<CurrentSession | null> {
  return (await getLiveSession(getDb(), { id })) ?? null
}

/** Extends a session that is more than a day old; true when it did (the cookie must be sent again). */
export async function extendSessionIfDue(session: CurrentSession): Promise<boolean> {
  const remaining = session.expiresAt.getTime() - Date.now()
  if (remaining > SESSION_TTL_MS - RENEW_AFTER_MS) return false
  // A session signed out (or revoked) after this request read it is not renewed: the answer's
  // cookie would name a session that no longer exists, and could land after the sign-out's.
  return setSessionExpiry(getDb(), { id: session.id, expiresAt: new Date(Date.now() + SESSION_TTL_MS) })
}

export async function closeSession(id: string) {
  await deleteSession(getDb(), { id })
}

/** Revokes every session of the user except `keepId`; returns the revoked ids. */
export async function revokeOtherSessions(userId: string, keepId: string, tx?: DbOrTx) {
  return deleteOtherSessions(tx ?? getDb(), { userId, keepId })
}

export async function countSessions(userId: string) {
  return countLiveSessions(getDb(), { userId })
}

export async function deleteExpiredSessions() {
  return deleteSessionsExpiredBefore(getDb(), { now: new Date() })
}
