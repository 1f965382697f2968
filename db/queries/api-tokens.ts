import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../client.ts'
import { prepared } from '../prepared.ts'
import { apiTokens, memberships, users, workspaces } from '../schema.ts'

export async function insertApiToken(
  db: DbOrTx,
  values: {
    workspaceId: string
    createdById: string
    name: string
    prefix: string
    tokenHash: string
    scopes: (typeof apiTokens.$inferInsert)['scopes']
    expiresAt: Date | null
  },
) {
  const [row] = await db.insert(apiTokens).values(values).returning({ id: apiTokens.id })
  return row.id
}

/** The workspace's tokens, newest first, with their creator and whether the creator is still a member. */
export async function listApiTokenRows(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      scopes: apiTokens.scopes,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      lastUsedIp: apiTokens.lastUsedIp,
      revokedAt: apiTokens.revokedAt,
      createdByName: users.name,
      creatorIsMember: sql<boolean>`exists (select 1 from memberships m
        where m.workspace_id = ${apiTokens.workspaceId} and m.user_id = ${apiTokens.createdById})`,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.createdById))
    .where(eq(apiTokens.workspaceId, workspaceId))
    .orderBy(desc(apiTokens.createdAt))
}

/** Revokes the workspace's token if it is not revoked yet; returns it, or undefined. */
export async function revokeApiTokenRow(
  db: DbOrTx,
  { workspaceId, id, at }: { workspaceId: string; id: string; at: Date },
) {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, name: apiTokens.name })
  return row
}

/**
 * The token with this hash, its creator, workspace and the creator's membership (role null when
 * gone). Prepared: every API request reads it.
 */
export async function findApiTokenByHash(db: Db, { tokenHash }: { tokenHash: string }) {
  const query = prepared(db, 'api_token_by_hash', (d) =>
    d
      .select({
        id: apiTokens.id,
        workspaceId: apiTokens.workspaceId,
        scopes: apiTokens.scopes,
        expiresAt: apiTokens.expiresAt,
        revokedAt: apiTokens.revokedAt,
        lastUsedAt: apiTokens.lastUsedAt,
        userId: users.id,
        userName: users.name,
        userEmail: users.email,
        role: memberships.role,
        workspaceSlug: workspaces.slug,
        workspaceName: workspaces.name,
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.createdById))
      .innerJoin(workspaces, eq(workspaces.id, apiTokens.workspaceId))
      .leftJoin(
        memberships,
        and(
          eq(memberships.workspaceId, apiTokens.workspaceId),
          eq(memberships.userId, apiTokens.createdById),
        ),
      )
      .where(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')))
      .prepare('api_token_by_hash'),
  )
  const [row] = await query.execute({ tokenHash })
  return row
}

/** Records the last use unless one was recorded after `unlessSince`, so parallel requests write about once. */
export async function recordApiTokenUse(
  db: DbOrTx,
  { id, ip, at, unlessSince }: { id: string; ip: string; at: Date; unlessSince: Date },
) {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: at, lastUsedIp: ip })
    .where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, unlessSince))))
}
