import { createCookieSessionStorage, type SessionStorage } from '@remix-run/node'
import { and, eq, gt, lt, ne, sql } from 'drizzle-orm'
import { getDb, type DbOrTx } from '#db/client.ts'
import { prepared } from '#db/prepared.ts'
import { sessions } from '#db/schema.ts'
import { env } from '#app/env.server.ts'
import { memoizePerRequest } from '#app/http/request-scope.server.ts'
import { newToken } from './tokens.server.ts'

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000
// Rolling sessions: extend when less than this much is used, so most requests write nothing.
const RENEW_AFTER_MS = 24 * 60 * 60 * 1000
export const SESSION_COOKIE = '__sb_session'

type CookieData = { sid: string }
const store = globalThis as unknown as { __switchboardSessionStorage?: SessionStorage<CookieData> }

export function sessionStorage() {
  store.__switchboardSessionStorage ??= createCookieSessionStorage<CookieData>({
    cookie: {
      name: SESSION_COOKIE,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: env().isProduction || env().appUrl.startsWith('https:'),
      secrets: [env().sessionSecret],
      maxAge: SESSION_TTL_MS / 1000,
    },
  })
  return store.__switchboardSessionStorage
}

export type CurrentSession = { id: string; userId: string; expiresAt: Date }

/** Reads the signed cookie and returns the live session row it refers to, if any. */
export async function readSession(cookieHeader: string | null | undefined): Promise<CurrentSession | null> {
  if (!cookieHeader) return null
  return memoizePerRequest(`session:${cookieHeader}`, () => lookupSession(cookieHeader))
}

async function lookupSession(cookieHeader: string): Promise<CurrentSession | null> {
  const cookieSession = await sessionStorage().getSession(cookieHeader)
  const sid = cookieSession.get('sid')
  if (!sid) return null
  const query = prepared(getDb(), 'session_by_id', (db) =>
    db
      .select({ id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(and(eq(sessions.id, sql.placeholder('id')), gt(sessions.expiresAt, sql`now()`)))
      .prepare('session_by_id'),
  )
  const [row] = await query.execute({ id: sid })
  return row ?? null
}

export async function createSession(userId: string, request: Request, ip: string | null) {
  const id = newToken()
  await getDb()
    .insert(sessions)
    .values({
      id,
      userId,
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      ip,
      userAgent: request.headers.get('user-agent')?.slice(0, 300) ?? null,
    })
  const cookieSession = await sessionStorage().getSession()
  cookieSession.set('sid', id)
  return { id, setCookie: await sessionStorage().commitSession(cookieSession) }
}

/** The live session with this id, if any. */
export async function findSessionById(id: string): Promise<CurrentSession | null> {
  const [row] = await getDb()
    .select({ id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt })
    .from(sessions)
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, new Date())))
  return row ?? null
}

/** Extends a session that is more than a day old; returns a fresh Set-Cookie header when it did. */
export async function renewSession(session: CurrentSession): Promise<string | null> {
  const remaining = session.expiresAt.getTime() - Date.now()
  if (remaining > SESSION_TTL_MS - RENEW_AFTER_MS) return null
  await getDb()
    .update(sessions)
    .set({ expiresAt: new Date(Date.now() + SESSION_TTL_MS) })
    .where(eq(sessions.id, session.id))
  const cookieSession = await sessionStorage().getSession()
  cookieSession.set('sid', session.id)
  return sessionStorage().commitSession(cookieSession)
}

export async function destroySession(sessionId: string | undefined) {
  if (sessionId) await getDb().delete(sessions).where(eq(sessions.id, sessionId))
  const cookieSession = await sessionStorage().getSession()
  return sessionStorage().destroySession(cookieSession)
}

/** Revokes every session of the user except `keepId`; returns the revoked ids. */
export async function revokeOtherSessions(userId: string, keepId: string, tx?: DbOrTx) {
  const rows = await (tx ?? getDb())
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepId)))
    .returning({ id: sessions.id })
  return rows.map((r) => r.id)
}

export async function countSessions(userId: string) {
  const rows = await getDb()
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, new Date())))
  return rows.length
}

export async function deleteExpiredSessions() {
  const rows = await getDb()
    .delete(sessions)
    .where(lt(sessions.expiresAt, new Date()))
    .returning({ id: sessions.id })
  return rows.length
}
