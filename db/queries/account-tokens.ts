import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { accountTokens, sessions, users } from '../schema.ts'

// Account emails' one-time links (account_tokens, by the token's sha256) and the writes using one
// makes to the user's row and sessions (app/domain/account-emails.server.ts).

type Purpose = 'verify-email' | 'password-reset'

export async function insertAccountToken(
  db: DbOrTx,
  values: { userId: string; purpose: Purpose; tokenHash: string; email: string; expiresAt: Date },
) {
  await db.insert(accountTokens).values(values)
}

/** The user's address and whether it is confirmed. */
export async function getUserVerification(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, verifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, userId))
  return row
}

export async function getEmailVerifiedAt(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db.select({ verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, userId))
  return row
}

/** A live (unexpired) verify-email link's address and account. */
export async function findLiveVerificationToken(db: DbOrTx, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
    .select({ email: accountTokens.email, userId: accountTokens.userId })
    .from(accountTokens)
    .where(
      and(
        eq(accountTokens.tokenHash, tokenHash),
        eq(accountTokens.purpose, 'verify-email'),
        gt(accountTokens.expiresAt, sql`now()`),
      ),
    )
  return row
}

/** Marks a live verify-email link used (the first use's time stays); undefined when not live. */
export async function useVerificationToken(db: DbOrTx, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
    .update(accountTokens)
    .set({ usedAt: sql`coalesce(${accountTokens.usedAt}, now())` })
    .where(
      and(
        eq(accountTokens.tokenHash, tokenHash),
        eq(accountTokens.purpose, 'verify-email'),
        gt(accountTokens.expiresAt, sql`now()`),
      ),
    )
    .returning({ userId: accountTokens.userId, email: accountTokens.email })
  return row
}

/** Confirms the user's address if it is still `email`; undefined when it changed. */
export async function markEmailVerified(db: DbOrTx, { userId, email }: { userId: string; email: string }) {
  const [row] = await db
    .update(users)
    .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
    .where(and(eq(users.id, userId), sql`lower(${users.email}) = lower(${email})`))
    .returning({ id: users.id })
  return row
}

const liveReset = (tokenHash: string) =>
  and(
    eq(accountTokens.tokenHash, tokenHash),
    eq(accountTokens.purpose, 'password-reset'),
    isNull(accountTokens.usedAt),
    gt(accountTokens.expiresAt, sql`now()`),
  )

/** An unused, unexpired reset link, with the address it was sent to and its account. */
export async function findLiveResetToken(db: DbOrTx, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
    .select({ id: accountTokens.id, email: accountTokens.email, userId: accountTokens.userId })
    .from(accountTokens)
    .where(liveReset(tokenHash))
  return row
}

/** Claims a live reset link in one UPDATE (single use); undefined when it was not live. */
export async function useResetToken(db: DbOrTx, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
    .update(accountTokens)
    .set({ usedAt: sql`now()` })
    .where(liveReset(tokenHash))
    .returning({ userId: accountTokens.userId, email: accountTokens.email })
  return row
}

/** Every other unused reset link of the user dies. */
export async function expireResetTokens(db: DbOrTx, { userId }: { userId: string }) {
  await db
    .update(accountTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(accountTokens.userId, userId),
        eq(accountTokens.purpose, 'password-reset'),
        isNull(accountTokens.usedAt),
      ),
    )
}

/** The new password; the address counts as confirmed if it is the one the link went to. */
export async function setPasswordAfterReset(
  db: DbOrTx,
  { userId, email, passwordHash }: { userId: string; email: string; passwordHash: string },
) {
  await db
    .update(users)
    .set({
      passwordHash,
      updatedAt: new Date(),
      emailVerifiedAt: sql`case when lower(${users.email}) = lower(${email})
          then coalesce(${users.emailVerifiedAt}, now()) else ${users.emailVerifiedAt} end`,
    })
    .where(eq(users.id, userId))
}

/** Deletes every session of the user; returns their ids. */
export async function deleteUserSessions(db: DbOrTx, { userId }: { userId: string }) {
  const rows = await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id })
  return rows.map((r) => r.id)
}
