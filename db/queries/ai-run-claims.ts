import { and, eq, gt, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { aiRunClaims } from '../schema.ts'

type ClaimKey = { workspaceId: string; key: string }

/**
 * Claims `key` for `claim` in one statement: inserted when nobody holds it, taken over when the
 * holder's lease has passed. Of parallel callers exactly one wins (the others' inserts wait on
 * the winner's key and then find its lease running). No lock is held afterwards. False when not won.
 */
export async function claimAiRun(
  db: DbOrTx,
  { workspaceId, key, claim, leaseSeconds }: ClaimKey & { claim: string; leaseSeconds: number },
) {
  const claimed = await db
    .insert(aiRunClaims)
    .values({
      workspaceId,
      key,
      claim,
      claimedUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
    })
    .onConflictDoUpdate({
      target: [aiRunClaims.workspaceId, aiRunClaims.key],
      set: { claim, claimedUntil: sql`excluded.claimed_until` },
      setWhere: sql`${aiRunClaims.claimedUntil} < now()`,
    })
    .returning({ claim: aiRunClaims.claim })
  return claimed.length > 0
}

/** Ends the claim, if it is still this one (a lapsed claim may have been taken over). */
export async function releaseAiRun(db: DbOrTx, { workspaceId, key, claim }: ClaimKey & { claim: string }) {
  await db
    .delete(aiRunClaims)
    .where(
      and(eq(aiRunClaims.workspaceId, workspaceId), eq(aiRunClaims.key, key), eq(aiRunClaims.claim, claim)),
    )
}

/** Whether someone holds `key` under a lease that is still running. */
export async function aiRunHeld(db: DbOrTx, { workspaceId, key }: ClaimKey) {
  const [row] = await db
    .select({ claim: aiRunClaims.claim })
    .from(aiRunClaims)
    .where(
      and(
        eq(aiRunClaims.workspaceId, workspaceId),
        eq(aiRunClaims.key, key),
        gt(aiRunClaims.claimedUntil, sql`now()`),
      ),
    )
  return row !== undefined
}

/** Whether someone holds `key` under a running lease, and the database's time of the answer. */
export async function aiRunHolder(db: DbOrTx, { workspaceId, key }: ClaimKey) {
  const result = await db.execute<{ held: boolean; at: Date | string }>(sql`
    select now() as at, exists (
      select 1 from ${aiRunClaims}
      where ${aiRunClaims.workspaceId} = ${workspaceId} and ${aiRunClaims.key} = ${key}
        and ${aiRunClaims.claimedUntil} > now()
    ) as held`)
  const row = result.rows[0]!
  return { held: row.held, at: new Date(row.at) }
}

/**
 * Deletes up to `batch` claims whose lease ended more than `marginSeconds` ago (left by a process
 * that died during its call); returns how many went. Any workspace's: the cleanup's sweep. The
 * lease is checked again on the row deleted, so a claim taken over meanwhile stays.
 */
export async function deleteLapsedAiRunClaims(
  db: DbOrTx,
  { marginSeconds, batch }: { marginSeconds: number; batch: number },
) {
  const result = await db.execute(sql`
    delete from ai_run_claims
    where claimed_until < now() - make_interval(secs => ${marginSeconds})
      and (workspace_id, key) in (
        select workspace_id, key from ai_run_claims
        where claimed_until < now() - make_interval(secs => ${marginSeconds})
        limit ${batch})`)
  return result.rowCount ?? 0
}
