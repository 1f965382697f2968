import { and, eq, gt, isNull, sql, TransactionRollbackError } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.ts'
import { findUserByEmail } from '#db/queries/users.ts'
import { invitations, memberships, workspaces } from '#db/schema.ts'
import { canAssignRole, type Role } from '#app/utils/roles.ts'
import { insertUser } from './accounts.server.ts'
import { recordAudit } from './audit.server.ts'
import { forbidden, isUniqueViolation, notFound } from './errors.server.ts'
import { hashPassword } from './passwords.server.ts'
import { hashToken, newToken } from './tokens.server.ts'
import type { Member } from './workspaces.server.ts'

export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000

/** Creates an invitation and returns its one-time token (256 random bits; only the hash is stored). */
export async function inviteMember(actor: Member, email: string, role: Role) {
  if (!canAssignRole(actor.role, role)) throw forbidden('Only an owner can invite another owner')
  const token = newToken()
  await getDb().transaction(async (tx) => {
    const [invitation] = await tx
      .insert(invitations)
      .values({
        workspaceId: actor.workspaceId,
        email,
        role,
        tokenHash: hashToken(token),
        invitedById: actor.userId,
        expiresAt: new Date(Date.now() + INVITE_TTL_MS),
      })
      .returning({ id: invitations.id })
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'invitation.created',
      targetType: 'invitation',
      targetId: invitation.id,
      data: { email, role },
    })
  })
  return token
}

/** Revokes a pending invitation. Like inviting: admins revoke agent and admin invitations, only owners owner ones. */
export async function revokeInvitation(actor: Member, invitationId: string) {
  await getDb().transaction(async (tx) => {
    const open = and(
      eq(invitations.id, invitationId),
      eq(invitations.workspaceId, actor.workspaceId),
      isNull(invitations.acceptedAt),
      isNull(invitations.revokedAt),
    )
    const [invitation] = await tx
      .select({ role: invitations.role })
      .from(invitations)
      .where(open)
      .for('update')
    if (!invitation) throw notFound('No such invitation')
    if (!canAssignRole(actor.role, invitation.role)) {
      throw forbidden('Only an owner can revoke an owner invitation')
    }
    await tx.update(invitations).set({ revokedAt: new Date() }).where(open)
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'invitation.revoked',
      targetType: 'invitation',
      targetId: invitationId,
    })
  })
}

/** The pending invitation behind a token, or undefined when unknown, used, revoked or expired. */
export async function findOpenInvitation(token: string) {
  if (token.length < 20 || token.length > 100) return undefined
  const [row] = await getDb()
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      workspaceId: invitations.workspaceId,
      workspaceName: workspaces.name,
      workspaceSlug: workspaces.slug,
    })
    .from(invitations)
    .innerJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
    .where(
      and(
        eq(invitations.tokenHash, hashToken(token)),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, new Date()),
      ),
    )
  return row
}

export type InvitationOutcome =
  | { kind: 'joined'; workspaceId: string; workspaceSlug: string; userId: string }
  | { kind: 'invalid' }
  | { kind: 'email-mismatch'; invitedEmail: string }
  | { kind: 'email-taken' }

/** A signed-in user accepts; the invitation's email must be theirs. Single use, even under races. */
export async function acceptInvitation(
  token: string,
  user: { id: string; email: string },
): Promise<InvitationOutcome> {
  return getDb()
    .transaction(async (tx) => {
      const claimed = await claim(tx, token)
      if (!claimed) return { kind: 'invalid' as const }
      if (claimed.email.toLowerCase() !== user.email.toLowerCase()) {
        tx.rollback()
      }
      await join(tx, claimed, user.id)
      return {
        kind: 'joined' as const,
        workspaceId: claimed.workspaceId,
        workspaceSlug: claimed.workspaceSlug,
        userId: user.id,
      }
    })
    .catch(async (error: unknown) => {
      if (error instanceof TransactionRollbackError) {
        const open = await findOpenInvitation(token)
        return open
          ? { kind: 'email-mismatch' as const, invitedEmail: open.email }
          : { kind: 'invalid' as const }
      }
      throw error
    })
}

/** A new person signs up through the invitation: account + membership in one transaction. */
export async function signUpWithInvitation(
  token: string,
  name: string,
  password: string,
): Promise<InvitationOutcome> {
  const open = await findOpenInvitation(token)
  if (!open) return { kind: 'invalid' }
  if (await findUserByEmail(getDb(), open.email)) return { kind: 'email-taken' }
  const passwordHash = await hashPassword(password)
  try {
    return await getDb().transaction(async (tx) => {
      const claimed = await claim(tx, token)
      if (!claimed) return { kind: 'invalid' as const }
      const userId = await insertUser(tx, name, claimed.email, passwordHash)
      await join(tx, claimed, userId)
      return {
        kind: 'joined' as const,
        workspaceId: claimed.workspaceId,
        workspaceSlug: claimed.workspaceSlug,
        userId,
      }
    })
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_lower_key')) return { kind: 'email-taken' }
    throw error
  }
}

type Claimed = { id: string; email: string; role: Role; workspaceId: string; workspaceSlug: string }

async function claim(tx: Tx, token: string): Promise<Claimed | undefined> {
  const [row] = await tx
    .update(invitations)
    .set({ acceptedAt: new Date() })
    .where(
      and(
        eq(invitations.tokenHash, hashToken(token)),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, sql`now()`),
      ),
    )
    .returning({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      workspaceId: invitations.workspaceId,
    })
  if (!row) return undefined
  const [workspace] = await tx
    .select({ slug: workspaces.slug })
    .from(workspaces)
    .where(eq(workspaces.id, row.workspaceId))
  return { ...row, workspaceSlug: workspace.slug }
}

async function join(tx: Tx, invitation: Claimed, userId: string) {
  // Already a member (e.g. invited twice): keep the existing role rather than fail.
  await tx
    .insert(memberships)
    .values({ workspaceId: invitation.workspaceId, userId, role: invitation.role })
    .onConflictDoNothing()
  await recordAudit(tx, {
    workspaceId: invitation.workspaceId,
    actorUserId: userId,
    action: 'invitation.accepted',
    targetType: 'invitation',
    targetId: invitation.id,
    data: { role: invitation.role },
  })
}
