import { randomInt } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { database, getDb } from '#db/client.ts'
import {
  findApiTokenByHash,
  insertApiToken,
  listApiTokenRows,
  lockApiToken,
  recordApiTokenUse,
  revokeApiTokenRow,
  takeApiTokenSlotByHash,
} from '#db/queries/api-tokens.ts'
import type { ApiScope } from '#app/utils/api-scopes.ts'
import { canAssignRole, type Role } from '#app/utils/roles.ts'
import { lockRoleOf } from '#db/queries/workspaces.ts'
import { recordAudit } from './audit.server.ts'
import { forbidden, notFound } from './errors.server.ts'
import { takeSlotWith, type Limit, type Slot } from './rate-limit.server.ts'
import { hashToken } from './tokens.server.ts'
import { lockedActorRole, type Member } from './workspaces.server.ts'

/**
 * Personal access tokens for the REST API (webhook management included) and the MCP server.
 * Format, like GitHub's: `sb_pat_` + 30 random base62 characters (178 bits) + 6 base62
 * characters of the CRC32 of those 30, so a mistyped or made-up token is refused without a
 * database lookup and secret scanners can recognise ours. Only the sha256 is stored.
 */
export const API_TOKEN_PREFIX = 'sb_pat_'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const RANDOM_CHARS = 30
const CHECKSUM_CHARS = 6
const TOKEN_PATTERN = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_CHARS + CHECKSUM_CHARS}}$`)
/** How much of the token the list shows: the prefix and 4 random characters. */
const SHOWN_CHARS = API_TOKEN_PREFIX.length + 4
/** Last use is written at most this often per token, so authenticating is usually one read. */
const LAST_USED_EVERY_MS = 60_000

function base62(value: number, width: number) {
  let out = ''
  let rest = value
  while (rest > 0) {
    out = BASE62[rest % 62] + out
    rest = Math.floor(rest / 62)
  }
  return out.padStart(width, '0')
}

function checksum(random: string) {
  return base62(crc32(random), CHECKSUM_CHARS)
}

/** A new token (shown once). */
export function generateApiToken() {
  let random = ''
  for (let i = 0; i < RANDOM_CHARS; i++) random += BASE62[randomInt(62)]
  return `${API_TOKEN_PREFIX}${random}${checksum(random)}`
}

/** Shape and checksum only: true for every token we could have made, false for typos and guesses. */
export function isWellFormedApiToken(token: string) {
  if (!TOKEN_PATTERN.test(token)) return false
  const body = token.slice(API_TOKEN_PREFIX.length)
  return checksum(body.slice(0, RANDOM_CHARS)) === body.slice(RANDOM_CHARS)
}

export type CreateApiTokenInput = { name: string; scopes: ApiScope[]; expiresInDays?: number }

/** Creates a token acting as `member` (owners and admins; the route checks the role). */
export async function createApiToken(member: Member, input: CreateApiTokenInput) {
  const token = generateApiToken()
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null
  const scopes = [...new Set(input.scopes)]
  const id = await getDb().transaction(async (tx) => {
    const tokenId = await insertApiToken(tx, {
      workspaceId: member.workspaceId,
      createdById: member.userId,
      name: input.name,
      prefix: token.slice(0, SHOWN_CHARS),
      tokenHash: hashToken(token),
      scopes,
      expiresAt,
    })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'api-token.created',
      targetType: 'api_token',
      targetId: tokenId,
      data: { name: input.name, scopes, expiresAt: expiresAt?.toISOString() ?? null },
    })
    return tokenId
  })
  return { id, token, expiresAt }
}

export const OWNER_TOKEN_REFUSED = 'Only an owner can revoke a token an owner created.'

/**
 * May `actor` revoke a token whose creator has `creatorRole` (null: they left the workspace)? The
 * members page's rule: an admin acts on agents' and admins' tokens, never on an owner's.
 */
export function canRevokeTokenOf(actor: Role, creatorRole: Role | null) {
  return canAssignRole(actor, creatorRole ?? 'agent')
}

/**
 * The workspace's tokens, newest first, with their creator (and the creator's role now), whether
 * they still work, and whether `member` may revoke them.
 */
export async function listApiTokens(member: Member) {
  const rows = await listApiTokenRows(getDb(), { workspaceId: member.workspaceId })
  const now = Date.now()
  return rows.map((row) => ({
    ...row,
    revocable: canRevokeTokenOf(member.role, row.creatorRole),
    state: row.revokedAt
      ? ('revoked' as const)
      : row.expiresAt && row.expiresAt.getTime() <= now
        ? ('expired' as const)
        : !row.creatorIsMember
          ? ('disabled' as const)
          : ('active' as const),
  }))
}

/**
 * Revokes a token of the member's workspace; the next request with it is refused. An owner's
 * token is for owners only (403): judged on the actor's and the creator's memberships as this
 * transaction locks them, so a promotion or demotion that raced the revoke wins.
 */
export async function revokeApiToken(member: Member, tokenId: string) {
  await getDb().transaction(async (tx) => {
    const token = await lockApiToken(tx, { workspaceId: member.workspaceId, id: tokenId })
    if (!token) throw notFound('No such token')
    const actorRole = await lockedActorRole(tx, member)
    // The role of the membership the token was made under, as the list shows it: a creator who
    // left and came back (in any role) left this token dead for good, revocable as a leaver's.
    const creatorRole = await lockRoleOf(tx, {
      workspaceId: member.workspaceId,
      userId: token.createdById,
      joinedBy: token.createdAt,
    })
    if (!canRevokeTokenOf(actorRole, creatorRole ?? null)) throw forbidden(OWNER_TOKEN_REFUSED)
    const row = await revokeApiTokenRow(tx, { workspaceId: member.workspaceId, id: tokenId, at: new Date() })
    if (!row) throw notFound('No such token')
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'api-token.revoked',
      targetType: 'api_token',
      targetId: row.id,
      data: { name: row.name },
    })
  })
}

/**
 * Who a request's token acts as: a member of the token's workspace, with the creator's current
 * role (so a demoted creator's tokens lose rights with them) and the token's scopes.
 */
export type ApiPrincipal = Member & {
  tokenId: string
  scopes: ApiScope[]
  user: { id: string; name: string; email: string }
}

export type TokenCheck =
  | { kind: 'ok'; principal: ApiPrincipal }
  | { kind: 'malformed' }
  | { kind: 'unknown' }
  | { kind: 'revoked' }
  | { kind: 'expired' }
  | { kind: 'creator-removed' }

/**
 * Checks a presented token: shape and checksum first (no query for garbage), then one read
 * joining the creator's membership. Records the last use (time and IP) at most once a minute.
 */
export async function verifyApiToken(token: string, clientIp: string): Promise<TokenCheck> {
  if (!isWellFormedApiToken(token)) return { kind: 'malformed' }
  const row = await findApiTokenByHash(getDb(), { tokenHash: hashToken(token) })
  if (!row) return { kind: 'unknown' }
  if (row.revokedAt) return { kind: 'revoked' }
  const now = new Date()
  if (row.expiresAt && row.expiresAt <= now) return { kind: 'expired' }
  if (!row.role) return { kind: 'creator-removed' }
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
    await recordLastUse(row.id, clientIp, now)
  }
  return { kind: 'ok', principal: principalOf(row, row.role) }
}

/** The member a usable token acts as (its creator, with the creator's current role). */
function principalOf(
  row: {
    id: string
    scopes: ApiPrincipal['scopes']
    userId: string
    workspaceId: string
    workspaceSlug: string
    workspaceName: string
    userName: string
    userEmail: string
  },
  role: string,
): ApiPrincipal {
  return {
    tokenId: row.id,
    scopes: row.scopes,
    userId: row.userId,
    role: role as Role,
    workspaceId: row.workspaceId,
    workspaceSlug: row.workspaceSlug,
    workspaceName: row.workspaceName,
    user: { id: row.userId, name: row.userName, email: row.userEmail },
  }
}

/**
 * verifyApiToken and the token's rate-limit slot (takeSlot's `api:token:<id>` counter) in one
 * statement (db/queries/api-tokens.ts): what every API request does first. Concurrent requests
 * with the same token share one statement, as takeSlot's callers of one key do; each gets its own
 * slot, counted in PostgreSQL before it is handed out. `slot` is null when the token is not usable
 * (nothing was counted). The last use is written by the statement at most once a minute, with the
 * address of the first request of its batch.
 */
export async function verifyApiTokenAndTakeSlot(
  token: string,
  clientIp: string,
  limit: Limit,
): Promise<{ check: TokenCheck; slot: Slot | null; expiresAt: Date | null }> {
  if (!isWellFormedApiToken(token)) return { check: { kind: 'malformed' }, slot: null, expiresAt: null }
  const tokenHash = hashToken(token)
  const { slot, extra: row } = await takeSlotWith(`api-token:${tokenHash}`, limit, async (count) => {
    const taken = await takeApiTokenSlotByHash(database().pool, { tokenHash, ip: clientIp, count, ...limit })
    return { row: taken.slot, key: taken.key, extra: taken.token }
  })
  if (!row) return { check: { kind: 'unknown' }, slot: null, expiresAt: null }
  const refused = (kind: 'revoked' | 'expired' | 'creator-removed') => ({
    check: { kind },
    slot: null,
    expiresAt: row.expiresAt,
  })
  if (row.revokedAt) return refused('revoked')
  if (row.expired) return refused('expired')
  if (!row.role || !slot) return refused('creator-removed')
  return { check: { kind: 'ok', principal: principalOf(row, row.role) }, slot, expiresAt: row.expiresAt }
}

/** Conditional, so parallel requests of one token write the row about once a minute. */
async function recordLastUse(tokenId: string, ip: string, at: Date) {
  await recordApiTokenUse(getDb(), {
    id: tokenId,
    ip,
    at,
    unlessSince: new Date(at.getTime() - LAST_USED_EVERY_MS),
  })
}
