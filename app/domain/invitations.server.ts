import { TransactionRollbackError } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.ts'
import {
  claimInvitation,
  findOpenInvitationByTokenHash,
  findJoinedInvitationWorkspace,
  insertInvitation,
  lockOpenInvitation,
  lockOpenInvitationByEmail,
  renewOpenInvitation,
  revokeOpenInvitation,
} from '#db/queries/invitations.ts'
import { findUserByEmail } from '#db/queries/users.ts'
import { lockKeyForTransaction } from '#db/queries/locks.ts'
import { findMemberByEmail, insertMembership } from '#db/queries/workspaces.ts'
import { canAssignRole, type Role } from '#app/utils/roles.ts'
import { queueInvitationEmail, queueVerificationEmail } from './account-emails.server.ts'
import { insertUser } from './accounts.server.ts'
import { recordAudit } from './audit.server.ts'
import { forbidden, isUniqueViolation, notFound } from './errors.server.ts'
import { reserveSignup } from './hashing-limits.server.ts'
import { hashPassword } from './passwords.server.ts'
import { takeSlot, type Limit } from './rate-limit.server.ts'
import { hashToken } from './tokens.server.ts'
import { newEmailLink } from './email-link.server.ts'
import { lockedActorRole, type Member } from './workspaces.server.ts'

export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000

/**
 * Invitation emails to one address from one workspace: the first and 3 more an hour, however they
 * are sent again (Resend, inviting the address again, revoking and inviting it anew). Counted per
 * invitation before, inviting a pending address at once (30 in parallel: 30 emails) and revoking
 * and inviting again (5 rounds: 20 emails) passed it.
 */
export const INVITE_ADDRESS_LIMIT: Limit = { max: 4, windowMs: 60 * 60 * 1000 }

const addressKey = (workspaceId: string, email: string) =>
  `invite-address:${workspaceId}:${email.trim().toLowerCase()}`

/**
 * New invitations, per inviter across all their workspaces: each one emails an address the
 * inviter chose, with a workspace name they chose, from our domain. Without a limit, a fresh
 * (unverified) signup sent any number of them (a probe: 60 at once, all emailed).
 */
export const INVITE_NEW_LIMIT: Limit = { max: 50, windowMs: 60 * 60 * 1000 }

export type InviteOutcome =
  | { kind: 'invited'; token: string }
  | { kind: 'renewed'; token: string }
  | { kind: 'already-member'; email: string }
  /** The address got INVITE_ADDRESS_LIMIT invitation emails from this workspace in the last hour. */
  | { kind: 'rate-limited' }
  | { kind: 'too-many-new' }

/**
 * Invites an address to the workspace and emails the link (queued in the same transaction);
 * returns the one-time token for the copyable link (256 random bits; only the hash is stored).
 *
 * One pending invitation per address: inviting an address (any case) that already has one, used
 * or expired, is a resend of that one (a new link, 7 more days, the role now asked for; the
 * previous link stops working), within the same INVITE_ADDRESS_LIMIT. An address that is already a
 * member's is refused. Invitations to one address are serialized, so two admins inviting at once
 * make one.
 */
export async function inviteMember(actor: Member, email: string, role: Role): Promise<InviteOutcome> {
  if (!canAssignRole(actor.role, role)) throw forbidden('Only an owner can invite another owner')
  const address = { workspaceId: actor.workspaceId, email }
  // Every email to the address takes its slot, a renewal too (also one that finds the pending
  // invitation only inside the lock); a new invitation also takes the inviter's.
  const addressSlot = await takeSlot(addressKey(actor.workspaceId, email), INVITE_ADDRESS_LIMIT)
  if (!addressSlot.allowed) return { kind: 'rate-limited' }
  const pending = await lockOpenInvitationByEmail(getDb(), address)
  const newSlot = pending ? undefined : await takeSlot(`invite-new:${actor.userId}`, INVITE_NEW_LIMIT)
  if (newSlot && !newSlot.allowed) {
    await addressSlot.release()
    return { kind: 'too-many-new' }
  }
  const link = newEmailLink()
  const token = link.token
  let outcome: InviteOutcome | undefined
  try {
    outcome = await getDb().transaction(async (tx) => {
      await lockKeyForTransaction(tx, `invitation:${actor.workspaceId}:${email.toLowerCase()}`)
      // Judged again on the actor's role as it is now (a demotion that raced this request wins).
      if (!canAssignRole(await lockedActorRole(tx, actor), role)) {
        throw forbidden('Only an owner can invite another owner')
      }
      const member = await findMemberByEmail(tx, address)
      if (member) return { kind: 'already-member' as const, email: member.email }
      const open = await lockOpenInvitationByEmail(tx, address)
      if (open) {
        await renewLockedInvitation(tx, actor, { id: open.id, currentRole: open.role, role, link })
        return { kind: 'renewed' as const, token }
      }
      const invitationId = await insertInvitation(tx, {
        workspaceId: actor.workspaceId,
        email,
        role,
        tokenHash: hashToken(token),
        invitedById: actor.userId,
        expiresAt: new Date(Date.now() + INVITE_TTL_MS),
      })
      await recordAudit(tx, {
        workspaceId: actor.workspaceId,
        actorUserId: actor.userId,
        action: 'invitation.created',
        targetType: 'invitation',
        targetId: invitationId,
        data: { email, role },
      })
      await queueInvitationEmail(tx, { to: email, role, link, workspaceName: actor.workspaceName })
      return { kind: 'invited' as const, token }
    })
    return outcome
  } finally {
    // A slot counts only what happened: an email for the address's, a new invitation for the
    // inviter's (an address that turned out to have one, or to be a member's, gives it back).
    const emailed = outcome?.kind === 'invited' || outcome?.kind === 'renewed'
    await Promise.all([
      emailed ? undefined : addressSlot.release(),
      outcome?.kind === 'invited' ? undefined : newSlot?.release(),
    ])
  }
}

export type ResendInvitationOutcome =
  { kind: 'sent'; token: string; email: string } | { kind: 'rate-limited' }

/**
 * Emails a pending invitation again with a fresh link (7 more days; the previous link, copied or
 * emailed, stops working), within INVITE_ADDRESS_LIMIT for its address. Same role rule as revoking.
 */
export async function resendInvitation(
  actor: Member,
  invitationId: string,
): Promise<ResendInvitationOutcome> {
  // Its address, for the slot (the transaction reads it again under the lock).
  const open = await lockOpenInvitation(getDb(), { workspaceId: actor.workspaceId, id: invitationId })
  if (!open) throw notFound('No such invitation')
  const slot = await takeSlot(addressKey(actor.workspaceId, open.email), INVITE_ADDRESS_LIMIT)
  if (!slot.allowed) return { kind: 'rate-limited' }
  const link = newEmailLink()
  try {
    return await getDb().transaction(async (tx) => {
      const invitation = await lockOpenInvitation(tx, { workspaceId: actor.workspaceId, id: invitationId })
      if (!invitation) throw notFound('No such invitation')
      const renewed = await renewLockedInvitation(tx, actor, {
        id: invitationId,
        currentRole: invitation.role,
        link,
      })
      return { kind: 'sent' as const, token: link.token, email: renewed.email }
    })
  } catch (error) {
    await slot.release()
    throw error
  }
}

/**
 * A pending invitation (locked by the caller) gets a new link and 7 more days, and `role` when
 * given; audited and emailed again. Owner invitations are an owner's to resend.
 */
async function renewLockedInvitation(
  tx: Tx,
  actor: Member,
  {
    id,
    currentRole,
    role,
    link,
  }: { id: string; currentRole: Role; role?: Role; link: ReturnType<typeof newEmailLink> },
) {
  if (!canAssignRole(await lockedActorRole(tx, actor), currentRole)) {
    throw forbidden('Only an owner can resend an owner invitation')
  }
  const renewed = await renewOpenInvitation(tx, {
    workspaceId: actor.workspaceId,
    id,
    tokenHash: hashToken(link.token),
    expiresAt: new Date(Date.now() + INVITE_TTL_MS),
    role,
    issuedById: actor.userId,
  })
  await recordAudit(tx, {
    workspaceId: actor.workspaceId,
    actorUserId: actor.userId,
    action: 'invitation.resent',
    targetType: 'invitation',
    targetId: id,
    ...(role && role !== currentRole ? { data: { role } } : {}),
  })
  await queueInvitationEmail(tx, {
    to: renewed.email,
    role: renewed.role,
    link,
    workspaceName: actor.workspaceName,
  })
  return renewed
}

/** Revokes a pending invitation. Like inviting: admins revoke agent and admin invitations, only owners owner ones. */
export async function revokeInvitation(actor: Member, invitationId: string) {
  await getDb().transaction(async (tx) => {
    const which = { workspaceId: actor.workspaceId, id: invitationId }
    const invitation = await lockOpenInvitation(tx, which)
    if (!invitation) throw notFound('No such invitation')
    if (!canAssignRole(await lockedActorRole(tx, actor), invitation.role)) {
      throw forbidden('Only an owner can revoke an owner invitation')
    }
    await revokeOpenInvitation(tx, { ...which, at: new Date() })
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
  return findOpenInvitationByTokenHash(getDb(), { tokenHash: hashToken(token) })
}

/**
 * The workspace a used invitation link let this user join, when they are a member of it now (the
 * page says "You already joined" instead of "not valid").
 */
export async function joinedThroughInvitation(token: string, userId: string) {
  if (token.length < 20 || token.length > 100) return undefined
  return findJoinedInvitationWorkspace(getDb(), { tokenHash: hashToken(token), userId })
}

/**
 * The open invitation as its page shows it, with whether its address already has an account: the
 * page then offers to sign in as that address, never a signup that can only fail. Whoever holds
 * the link learns that much; the signup through it told them the same.
 */
export async function invitationForPage(token: string) {
  const invitation = await findOpenInvitation(token)
  if (!invitation) return undefined
  const account = await findUserByEmail(getDb(), invitation.email)
  return { ...invitation, hasAccount: account !== undefined }
}

export type InvitationOutcome =
  | { kind: 'joined'; workspaceId: string; workspaceSlug: string; userId: string }
  | { kind: 'invalid' }
  | { kind: 'email-mismatch'; invitedEmail: string }
  | { kind: 'email-taken' }
  | { kind: 'rate-limited' }

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
  clientIp: string,
): Promise<InvitationOutcome> {
  const open = await findOpenInvitation(token)
  if (!open) return { kind: 'invalid' }
  if (await findUserByEmail(getDb(), open.email)) return { kind: 'email-taken' }
  // A new account: the signup limit per client address, before the password is hashed.
  if (!(await reserveSignup(clientIp))) return { kind: 'rate-limited' }
  const passwordHash = await hashPassword(password)
  try {
    return await getDb().transaction(async (tx) => {
      const claimed = await claim(tx, token)
      if (!claimed) return { kind: 'invalid' as const }
      const userId = await insertUser(tx, name, claimed.email, passwordHash)
      await join(tx, claimed, userId)
      // An invitation link can be copied and forwarded: the address is confirmed by its own link.
      await queueVerificationEmail(tx, { id: userId, email: claimed.email, name })
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
  return claimInvitation(tx, { tokenHash: hashToken(token), at: new Date() })
}

async function join(tx: Tx, invitation: Claimed, userId: string) {
  // Already a member (e.g. invited twice): keep the existing role rather than fail.
  await insertMembership(tx, {
    workspaceId: invitation.workspaceId,
    userId,
    role: invitation.role,
    ifAbsent: true,
  })
  await recordAudit(tx, {
    workspaceId: invitation.workspaceId,
    actorUserId: userId,
    action: 'invitation.accepted',
    targetType: 'invitation',
    targetId: invitation.id,
    data: { role: invitation.role },
  })
}
