import { eq, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../client.ts'
import { prepared } from '../prepared.ts'
import { users } from '../schema.ts'

export async function findUserByEmail(db: DbOrTx, email: string) {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash })
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
