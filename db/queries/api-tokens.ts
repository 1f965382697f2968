import { and, desc, eq, isNull, lt, lte, or, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import type { Db, DbOrTx } from '../client.ts'
import { prepared } from '../prepared.ts'
import { apiTokens, memberships, users, workspaces, type MembershipRole } from '../schema.ts'
import { slotRowOf, slotSteps, type SlotColumns } from './rate-limits.ts'

const dialect = new PgDialect()

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
      // The membership the token was made under (see tokenMembership): a creator who left and
      // came back is a member again, but their earlier tokens stay disabled.
      creatorIsMember: sql<boolean>`exists (select 1 from memberships m
        where m.workspace_id = ${apiTokens.workspaceId} and m.user_id = ${apiTokens.createdById}
          and m.created_at <= ${apiTokens.createdAt})`,
      creatorRole: sql<MembershipRole | null>`(select m.role from memberships m
        where m.workspace_id = ${apiTokens.workspaceId} and m.user_id = ${apiTokens.createdById}
          and m.created_at <= ${apiTokens.createdAt})`,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.createdById))
    .where(eq(apiTokens.workspaceId, workspaceId))
    .orderBy(desc(apiTokens.createdAt))
}

/**
 * The workspace's token, locked FOR UPDATE, with its creator: what a revoke decides on. The
 * creator's role is locked separately (lockRoleOf), their membership may be gone.
 */
export async function lockApiToken(db: DbOrTx, { workspaceId, id }: { workspaceId: string; id: string }) {
  const [row] = await db
    .select({ id: apiTokens.id, createdById: apiTokens.createdById, createdAt: apiTokens.createdAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.id, id)))
    .for('update')
  return row
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
          lte(memberships.createdAt, apiTokens.createdAt),
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

/**
 * The API's per-request statement: the token with this hash (as findApiTokenByHash reads it),
 * `count` rate-limit slots of the token's counter (`api:token:<id>`, the key takeApiTokenSlot
 * counts too) taken only when the token is usable (not revoked, not expired, its creator still a
 * member), and its last use (time and IP) written when the last one is older than a minute. One
 * round trip instead of two or three; the counting is the one of db/queries/rate-limits.ts. Takes
 * the pool: a named prepared statement, parsed and planned once per connection.
 */
export async function takeApiTokenSlotByHash(
  client: Pick<pg.Pool, 'query'>,
  params: { tokenHash: string; ip: string; max: number; windowMs: number; count: number },
) {
  const query = dialect.sqlToQuery(sql`
    with token as (
      select t.id, t.workspace_id, t.scopes::text[] as scopes, t.expires_at, t.revoked_at, t.last_used_at,
        u.id as user_id, u.name as user_name, u.email as user_email, m.role,
        w.slug as workspace_slug, w.name as workspace_name,
        t.expires_at is not null and t.expires_at <= now() as expired,
        t.revoked_at is null and (t.expires_at is null or t.expires_at > now()) and m.role is not null as usable
      from api_tokens t
      join users u on u.id = t.created_by_id
      join workspaces w on w.id = t.workspace_id
      left join memberships m on m.workspace_id = t.workspace_id and m.user_id = t.created_by_id
        and m.created_at <= t.created_at
      where t.token_hash = ${params.tokenHash}
    ), used as (
      update api_tokens set last_used_at = now(), last_used_ip = ${params.ip}
      where id = (select id from token where usable)
        and (last_used_at is null or last_used_at < now() - interval '1 minute')
    ), ${slotSteps({
      key: sql`(select 'api:token:' || token.id from token where usable)`,
      max: params.max,
      windowMs: params.windowMs,
      count: params.count,
    })}
    select token.id, token.workspace_id, token.scopes, token.expires_at, token.revoked_at,
      token.user_id, token.user_name, token.user_email, token.role, token.workspace_slug,
      token.workspace_name, token.expired, token.usable, slot.*
    from slot left join token on true`)
  // Named: PostgreSQL parses and plans it once per connection (its text never varies).
  const result = await client.query<
    SlotColumns & {
      id: string | null
      workspace_id: string
      scopes: (typeof apiTokens.$inferSelect)['scopes']
      expires_at: string | null
      revoked_at: string | null
      user_id: string
      user_name: string
      user_email: string
      role: string | null
      workspace_slug: string
      workspace_name: string
      expired: boolean
      usable: boolean
    }
  >({ name: 'api_token_slot', text: query.sql, values: query.params })
  const row = result.rows[0]!
  return {
    token:
      row.id === null
        ? undefined
        : {
            id: row.id,
            workspaceId: row.workspace_id,
            scopes: row.scopes,
            expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
            revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
            userId: row.user_id,
            userName: row.user_name,
            userEmail: row.user_email,
            role: row.role,
            workspaceSlug: row.workspace_slug,
            workspaceName: row.workspace_name,
            /** Judged by the database clock, as the slot was. */
            expired: row.expired,
          },
    slot: slotRowOf(row),
    /** The counter's key when the token is usable (slots were counted under it), else null. */
    key: row.usable ? `api:token:${row.id}` : null,
  }
}
