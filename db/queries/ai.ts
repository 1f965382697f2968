import { and, desc, eq, gte, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../client.ts'
import { aiBudgetHolds, aiRuns, workspaces } from '../schema.ts'
import { uuidv7 } from '../uuid.ts'
import { lockKeyForTransaction } from './locks.ts'

type AiRunRow = typeof aiRuns.$inferInsert

/** Records a call; with `holdId`, in one transaction with its hold's release (holdBudget). */
export async function insertAiRun(db: Db, row: AiRunRow, holdId: string | null = null) {
  if (!holdId) return void (await db.insert(aiRuns).values(row))
  // Together: no moment when both the hold and the run count, or neither.
  await db.transaction(async (tx) => {
    await tx.insert(aiRuns).values(row)
    await tx.delete(aiBudgetHolds).where(eq(aiBudgetHolds.id, holdId))
  })
}

/**
 * Holds `tokens` of the workspace's monthly budget for a call about to start, when the tokens
 * used since `since` and the holds of calls under way leave some of `budget`: the hold's id, or
 * null (no room). Serialized per workspace (an advisory lock), so of calls started at once only
 * those that fit get through; a hold past `expiresAt` (its process died) no longer counts.
 */
export async function holdBudget(
  db: Db,
  {
    workspaceId,
    since,
    budget,
    tokens,
    expiresAt,
  }: { workspaceId: string; since: Date; budget: number; tokens: number; expiresAt: Date },
): Promise<string | null> {
  return db.transaction(async (tx) => {
    await lockKeyForTransaction(tx, `ai-budget:${workspaceId}`)
    await tx
      .delete(aiBudgetHolds)
      .where(and(eq(aiBudgetHolds.workspaceId, workspaceId), sql`${aiBudgetHolds.expiresAt} < now()`))
    const id = uuidv7()
    // One statement, one snapshot: a run recorded (and its hold released) meanwhile counts once.
    const held = await tx.execute<{ id: string }>(sql`
      insert into ${aiBudgetHolds} (id, workspace_id, tokens, expires_at)
      select ${id}, ${workspaceId}, ${tokens}, ${expiresAt}
      where (select coalesce(sum(${aiRuns.tokensIn} + ${aiRuns.tokensOut}), 0) from ${aiRuns}
              where ${aiRuns.workspaceId} = ${workspaceId} and ${aiRuns.createdAt} >= ${since})
          + (select coalesce(sum(${aiBudgetHolds.tokens}), 0) from ${aiBudgetHolds}
              where ${aiBudgetHolds.workspaceId} = ${workspaceId}) < ${budget}
      returning id`)
    return held.rows[0]?.id ?? null
  })
}

/**
 * Raises a call's hold to `tokens` (what it spent so far and what its next request may cost), when
 * the tokens used since `since`, the other calls' holds and `tokens` fit in `budget` whole: true
 * when raised, false (unchanged) when they do not, or the hold is gone. A structured call asks for
 * a second answer after an invalid one only with its hold raised, so the retry cannot overshoot.
 */
export async function raiseBudgetHold(
  db: Db,
  {
    holdId,
    workspaceId,
    since,
    budget,
    tokens,
  }: { holdId: string; workspaceId: string; since: Date; budget: number; tokens: number },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockKeyForTransaction(tx, `ai-budget:${workspaceId}`)
    const raised = await tx.execute<{ id: string }>(sql`
      update ${aiBudgetHolds} set tokens = ${tokens}
      where ${aiBudgetHolds.id} = ${holdId} and ${aiBudgetHolds.expiresAt} >= now()
        and (select coalesce(sum(${aiRuns.tokensIn} + ${aiRuns.tokensOut}), 0) from ${aiRuns}
              where ${aiRuns.workspaceId} = ${workspaceId} and ${aiRuns.createdAt} >= ${since})
          + (select coalesce(sum(h.tokens), 0) from ${aiBudgetHolds} h
              where h.workspace_id = ${workspaceId} and h.id <> ${holdId} and h.expires_at >= now())
          + ${tokens} <= ${budget}
      returning id`)
    return raised.rows.length > 0
  })
}

/** Gives a hold back: its call made no request after all. */
export async function releaseBudgetHold(db: DbOrTx, { holdId }: { holdId: string }) {
  await db.delete(aiBudgetHolds).where(eq(aiBudgetHolds.id, holdId))
}

/**
 * The outcome and error class of the last `feature` call on the ticket recorded since `since`;
 * undefined when none.
 */
export async function lastAiRunOutcomeSince(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    feature,
    since,
  }: { workspaceId: string; ticketId: string; feature: AiRunRow['feature']; since: Date },
) {
  const [row] = await db
    .select({ outcome: aiRuns.outcome, errorClass: aiRuns.errorClass })
    .from(aiRuns)
    .where(
      and(
        eq(aiRuns.workspaceId, workspaceId),
        eq(aiRuns.ticketId, ticketId),
        eq(aiRuns.feature, feature),
        gte(aiRuns.createdAt, since),
      ),
    )
    .orderBy(desc(aiRuns.createdAt))
    .limit(1)
  return row
}

/** The workspace's `settings.ai` object as stored (validated by the caller). */
export async function getAiSettingsJson(
  db: DbOrTx,
  { workspaceId, forUpdate = false }: { workspaceId: string; forUpdate?: boolean },
): Promise<unknown> {
  const query = db
    .select({ ai: sql<unknown>`${workspaces.settings} -> 'ai'` })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
  const [row] = forUpdate ? await query.for('update') : await query
  return row?.ai ?? null
}

/** Replaces `settings.ai` only, so other keys of `settings` written concurrently survive. */
export async function setAiSettingsJson(
  db: DbOrTx,
  { workspaceId, ai }: { workspaceId: string; ai: object },
) {
  await db
    .update(workspaces)
    .set({
      settings: sql`jsonb_set(coalesce(${workspaces.settings}, '{}'::jsonb), '{ai}', ${JSON.stringify(ai)}::jsonb)`,
    })
    .where(eq(workspaces.id, workspaceId))
}

/** Tokens (in + out) the workspace's calls used since `since` (the start of the month). */
export async function tokensUsedSince(
  db: DbOrTx,
  { workspaceId, since }: { workspaceId: string; since: Date },
) {
  const [row] = await db
    .select({ used: sql<string>`coalesce(sum(${aiRuns.tokensIn} + ${aiRuns.tokensOut}), 0)` })
    .from(aiRuns)
    .where(and(eq(aiRuns.workspaceId, workspaceId), gte(aiRuns.createdAt, since)))
  return Number(row?.used ?? 0)
}

/**
 * The monthly budget as the next call's gate sees it (holdBudget): the tokens used since `since`,
 * how many of them are in runs whose tokens were estimated (the server reported no usage), and the
 * tokens held by calls under way (their holds not lapsed).
 */
export async function budgetStandingSince(
  db: DbOrTx,
  { workspaceId, since }: { workspaceId: string; since: Date },
) {
  const [row] = await db
    .execute<{ used: string; estimated: string; held: string }>(
      sql`
    select
      (select coalesce(sum(${aiRuns.tokensIn} + ${aiRuns.tokensOut}), 0) from ${aiRuns}
        where ${aiRuns.workspaceId} = ${workspaceId} and ${aiRuns.createdAt} >= ${since}) as used,
      (select coalesce(sum(${aiRuns.tokensIn} + ${aiRuns.tokensOut}), 0) from ${aiRuns}
        where ${aiRuns.workspaceId} = ${workspaceId} and ${aiRuns.createdAt} >= ${since}
          and ${aiRuns.tokensEstimated}) as estimated,
      (select coalesce(sum(${aiBudgetHolds.tokens}), 0) from ${aiBudgetHolds}
        where ${aiBudgetHolds.workspaceId} = ${workspaceId} and ${aiBudgetHolds.expiresAt} >= now()) as held`,
    )
    .then((result) => result.rows)
  return {
    used: Number(row?.used ?? 0),
    estimated: Number(row?.estimated ?? 0),
    held: Number(row?.held ?? 0),
  }
}

/** Per feature since `since`: calls, tokens, latency p50/p95 and failures. */
export async function aiUsageByFeature(
  db: DbOrTx,
  { workspaceId, since }: { workspaceId: string; since: Date },
) {
  const rows = await db
    .select({
      feature: aiRuns.feature,
      calls: sql<number>`count(*)::int`,
      tokensIn: sql<number>`coalesce(sum(${aiRuns.tokensIn}), 0)::int`,
      tokensOut: sql<number>`coalesce(sum(${aiRuns.tokensOut}), 0)::int`,
      p50: sql<number>`(percentile_cont(0.5) within group (order by ${aiRuns.latencyMs}))::int`,
      p95: sql<number>`(percentile_cont(0.95) within group (order by ${aiRuns.latencyMs}))::int`,
      failures: sql<number>`(count(*) filter (where ${aiRuns.outcome} not in ('ok', 'cancelled')))::int`,
    })
    .from(aiRuns)
    .where(and(eq(aiRuns.workspaceId, workspaceId), gte(aiRuns.createdAt, since)))
    .groupBy(aiRuns.feature)
    .orderBy(aiRuns.feature)
  return rows
}

/** Calls and tokens per UTC day since `since`, for the usage chart. */
export async function aiUsageByDay(db: DbOrTx, { workspaceId, since }: { workspaceId: string; since: Date }) {
  const rows = await db
    .select({
      day: sql<string>`to_char(date_trunc('day', ${aiRuns.createdAt} at time zone 'UTC'), 'YYYY-MM-DD')`,
      calls: sql<number>`count(*)::int`,
      tokens: sql<number>`coalesce(sum(${aiRuns.tokensIn} + ${aiRuns.tokensOut}), 0)::int`,
      failures: sql<number>`(count(*) filter (where ${aiRuns.outcome} not in ('ok', 'cancelled')))::int`,
    })
    .from(aiRuns)
    .where(and(eq(aiRuns.workspaceId, workspaceId), gte(aiRuns.createdAt, since)))
    .groupBy(sql`1`)
    .orderBy(sql`1`)
  return rows
}
