import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../client.ts'
import { prepared } from '../prepared.ts'
import { users } from '../schema.ts'

export async function findUserByEmail(db: DbOrTx, email: string) {
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      passwordHash: users.passwordHash,
      emailVerifiedAt: users.emailVerifiedAt,
    })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
  return row
}

export async function getUserById(db: DbOrTx, id: string) {
  const query = prepared(db as Db, 'user_by_id', (d) =>
    d
      .select({ id: users.id, email: users.email, name: users.name })
      .from(users)
      .where(eq(users.id, sql.placeholder('id')))
      .prepare('user_by_id'),
  )
  const [row] = await query.execute({ id })
  return row
}

export async function getPasswordHash(db: DbOrTx, id: string) {
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, id))
  return row?.passwordHash
}

export async function insertUser(db: DbOrTx, values: { name: string; email: string; passwordHash: string }) {
  const [row] = await db.insert(users).values(values).returning({ id: users.id })
  return row.id
}

/** The user's name, their row locked FOR UPDATE until the transaction ends (a rename's "before"). */
export async function lockUserName(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db.select({ name: users.name }).from(users).where(eq(users.id, userId)).for('update')
  return row?.name
}

export async function setUserName(
  db: DbOrTx,
  { userId, name, at }: { userId: string; name: string; at: Date },
) {
  await db.update(users).set({ name, updatedAt: at }).where(eq(users.id, userId))
}

export async function setPasswordHash(
  db: DbOrTx,
  { userId, passwordHash, at }: { userId: string; passwordHash: string; at: Date },
) {
  await db.update(users).set({ passwordHash, updatedAt: at }).where(eq(users.id, userId))
}

/** Who gets "Your password was changed", in which zone, and the database's time of the change. */
export async function getPasswordChangedNoticeTarget(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db
    .select({
      email: users.email,
      name: users.name,
      emailVerifiedAt: users.emailVerifiedAt,
      timeZone: users.timeZone,
      now: sql<Date>`now()`.mapWith((value: string | Date) => new Date(value)),
    })
    .from(users)
    .where(eq(users.id, userId))
  return row
}

/** The personal settings the account page edits (time zone, reply signature). */
export async function getPersonalSettings(db: DbOrTx, userId: string) {
  const [row] = await db
    .select({ timeZone: users.timeZone, signature: users.signature })
    .from(users)
    .where(eq(users.id, userId))
  return row
}

export async function setUserTimeZone(
  db: DbOrTx,
  { userId, timeZone, onlyIfUnset, at }: { userId: string; timeZone: string; onlyIfUnset: boolean; at: Date },
) {
  await db
    .update(users)
    .set({ timeZone, updatedAt: at })
    .where(and(eq(users.id, userId), onlyIfUnset ? isNull(users.timeZone) : undefined))
}

export async function setUserSignature(
  db: DbOrTx,
  { userId, signature, at }: { userId: string; signature: string; at: Date },
) {
  await db.update(users).set({ signature, updatedAt: at }).where(eq(users.id, userId))
}
