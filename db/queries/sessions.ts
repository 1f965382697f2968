import { and, eq, gt, lt, ne, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../client.ts'
import { prepared } from '../prepared.ts'
import { memberships, sessions, users, workspaces } from '../schema.ts'

/**
 * Who is asking, in one round trip: the live session with this id, its user (with whether the
 * address is confirmed, which the workspace layout shows on every page), and (when `slug` is
 * given) the user's membership of that workspace (nulls when not a member or no such workspace).
 * Prepared: every signed-in request reads it once (app/http/auth.server.ts).
 */
export async function getIdentity(db: Db, { sessionId, slug }: { sessionId: string; slug: string | null }) {
  const query = prepared(db, 'identity_by_session', (d) =>
    d
      .select({
        sessionId: sessions.id,
        userId: sessions.userId,
        expiresAt: sessions.expiresAt,
        email: users.email,
        name: users.name,
        timeZone: users.timeZone,
        emailVerifiedAt: users.emailVerifiedAt,
        role: memberships.role,
        workspaceId: memberships.workspaceId,
        workspaceName: workspaces.name,
        workspaceSlug: workspaces.slug,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .leftJoin(workspaces, eq(workspaces.slug, sql.placeholder('slug')))
      .leftJoin(
        memberships,
        and(eq(memberships.workspaceId, workspaces.id), eq(memberships.userId, sessions.userId)),
      )
      .where(and(eq(sessions.id, sql.placeholder('id')), gt(sessions.expiresAt, sql`now()`)))
      .prepare('identity_by_session'),
  )
  const [row] = await query.execute({ id: sessionId, slug })
  return row
}

/** The session with this id if it has not expired. Prepared: every signed-in request reads it. */
export async function getLiveSession(db: Db, { id }: { id: string }) {
  const query = prepared(db, 'session_by_id', (d) =>
    d
      .select({ id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(and(eq(sessions.id, sql.placeholder('id')), gt(sessions.expiresAt, sql`now()`)))
      .prepare('session_by_id'),
  )
  const [row] = await query.execute({ id })
  return row
}

export async function insertSession(
  db: DbOrTx,
  values: { id: string; userId: string; expiresAt: Date; ip: string | null; userAgent: string | null },
) {
  await db.insert(sessions).values(values)
}

/** Whether the session was still there (signed out or revoked since it was read: not). */
export async function setSessionExpiry(db: DbOrTx, { id, expiresAt }: { id: string; expiresAt: Date }) {
  const updated = await db
    .update(sessions)
    .set({ expiresAt })
    .where(eq(sessions.id, id))
    .returning({ id: sessions.id })
  return updated.length > 0
}

export async function deleteSession(db: DbOrTx, { id }: { id: string }) {
  await db.delete(sessions).where(eq(sessions.id, id))
}

/** Deletes every session of the user except `keepId`; returns the deleted ids. */
export async function deleteOtherSessions(
  db: DbOrTx,
  { userId, keepId }: { userId: string; keepId: string },
) {
  const rows = await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepId)))
    .returning({ id: sessions.id })
  return rows.map((r) => r.id)
}

export async function countLiveSessions(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`)))
  return row?.count ?? 0
}

/** Deletes sessions that expired before `now`; returns how many. */
export async function deleteSessionsExpiredBefore(db: DbOrTx, { now }: { now: Date }) {
  const rows = await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id })
  return rows.length
}
