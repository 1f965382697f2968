import { getDb, type Tx } from '#db/client.ts'
import { deleteMemberDrafts } from '#db/queries/drafts.ts'
import { failQueuedNotificationEmailsTo } from '#db/queries/emails.ts'
import { deleteUnreadNotificationsOf } from '#db/queries/notifications.ts'
import { listUnclosedTicketIdsAssignedTo } from '#db/queries/tickets.ts'
import { revokeInvitationsIssuedBy } from '#db/queries/invitations.ts'
import { countActiveEndpointsAddedBy } from '#db/queries/webhooks.ts'
import {
  countMembers,
  deleteMembership,
  listMembers,
  listPendingInvitations,
  listUserWorkspaces,
  lockMemberships,
  lockRoleOf,
  lockWorkspaceName,
  setMembershipRole,
  setWorkspaceName,
} from '#db/queries/workspaces.ts'
import type { Role } from '#app/utils/roles.ts'
import { canAssignRole } from '#app/utils/roles.ts'
import { ROLES } from '#app/utils/vocabulary.ts'
import { createWorkspaceFor } from './accounts.server.ts'
import { recordAudit } from './audit.server.ts'
import { updateTickets } from './tickets.server.ts'
import { forbidden, isUniqueViolation, notFound } from './errors.server.ts'
import { secondsUntilReset, takeSlot, type Limit } from './rate-limit.server.ts'
import { env } from '#app/env.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'

export type Member = {
  userId: string
  role: Role
  workspaceId: string
  workspaceSlug: string
  workspaceName: string
}

/**
 * New workspaces per person (besides the one their signup made), per 24 hours: each is a fresh
 * outbound email allowance and a fresh set of invitations (both limited per workspace or per
 * inviter), so without a limit one account could make any number (WORKSPACES_PER_USER_PER_DAY).
 */
export function workspaceCreationLimit(): Limit {
  return { max: env().limits.workspacesPerUserPerDay, windowMs: 24 * 60 * 60 * 1000 }
}

export type CreateWorkspaceOutcome =
  | { kind: 'created'; slug: string; workspaceId: string }
  | { kind: 'slug-taken' }
  | { kind: 'too-many'; max: number; retryAfterSeconds: number }

/**
 * A workspace the user creates (Create a workspace), with them as its owner. Its slot is taken
 * before the transaction (parallel requests cannot pass the limit) and given back when no
 * workspace was made (a slug taken, an error).
 */
export async function createWorkspace(
  userId: string,
  name: string,
  slug: string,
): Promise<CreateWorkspaceOutcome> {
  const limit = workspaceCreationLimit()
  const slot = await takeSlot(`workspace-new:${userId}`, limit)
  if (!slot.allowed) {
    return { kind: 'too-many', max: limit.max, retryAfterSeconds: Math.max(1, secondsUntilReset(slot)) }
  }
  let created = false
  try {
    const workspaceId = await getDb().transaction((tx) => createWorkspaceFor(tx, userId, name, slug))
    created = true
    return { kind: 'created', slug, workspaceId }
  } catch (error) {
    if (isUniqueViolation(error, 'workspaces_slug_unique')) return { kind: 'slug-taken' }
    throw error
  } finally {
    if (!created) await slot.release()
  }
}

/**
 * Renames the workspace. The name before is read from the row it locks, not from the request (a
 * teammate's rename may have committed since): the same name again writes and records nothing.
 */
export async function renameWorkspace(member: Member, name: string) {
  await getDb().transaction(async (tx) => {
    const before = await lockWorkspaceName(tx, { workspaceId: member.workspaceId })
    if (before === undefined) throw notFound('No such workspace')
    if (before === name) return
    await setWorkspaceName(tx, { workspaceId: member.workspaceId, name })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'workspace.renamed',
      targetType: 'workspace',
      targetId: member.workspaceId,
      data: { before, after: name },
    })
  })
}

/**
 * `before`: the member's role until this change, as locked. The same as the new one when nothing
 * changed: then nothing was written or audited, and the route tells no tab.
 */
export type MemberChange = { kind: 'ok'; userId: string; before: Role } | { kind: 'last-owner' }

/**
 * The actor's role as the locked memberships have it, not as their request read it: a demotion or
 * removal of the actor that committed while their request was on its way wins, so a member
 * demoted to agent can no longer promote someone (or remove an owner) with a request that raced
 * the demotion.
 */
function roleNow(rows: Array<{ userId: string; role: Role }>, actor: Member): Role {
  const me = rows.find((r) => r.userId === actor.userId)
  if (!me) throw forbidden('You are no longer a member of this workspace')
  return me.role
}

/**
 * Changes a member's role. The workspace's memberships are locked first so two concurrent
 * demotions cannot leave it without an owner, and the actor's rights are judged on their role
 * as locked (roleNow).
 */
/**
 * roleNow for a transaction that does not lock every membership (invitations): the actor's own
 * membership, locked FOR SHARE, so their demotion or removal either committed before (and is
 * seen) or waits for this transaction.
 */
export async function lockedActorRole(tx: Tx, actor: Member): Promise<Role> {
  const role = await lockRoleOf(tx, { workspaceId: actor.workspaceId, userId: actor.userId })
  if (!role) throw forbidden('You are no longer a member of this workspace')
  return role
}

/** The audit's note of the invitations a removal or demotion revoked (none: nothing to note). */
function revoked(invitationIds: string[]) {
  return invitationIds.length > 0 ? { revokedInvitations: invitationIds } : {}
}

export async function changeMemberRole(
  actor: Member,
  membershipId: string,
  role: Role,
): Promise<MemberChange> {
  return getDb().transaction(async (tx) => {
    const rows = await lockMemberships(tx, { workspaceId: actor.workspaceId })
    const actorRole = roleNow(rows, actor)
    const target = rows.find((r) => r.id === membershipId)
    if (!target) throw notFound('No such member')
    if (!canAssignRole(actorRole, role) || !canAssignRole(actorRole, target.role)) {
      throw forbidden('Only an owner can change an owner or make someone an owner')
    }
    // Already that role (as locked: a teammate's same change may have committed while this one
    // waited): nothing changes, so nothing is written, audited or told to their tabs.
    if (target.role === role) return { kind: 'ok' as const, userId: target.userId, before: target.role }
    const owners = rows.filter((r) => r.role === 'owner').length
    if (target.role === 'owner' && role !== 'owner' && owners <= 1) return { kind: 'last-owner' as const }
    await setMembershipRole(tx, { workspaceId: actor.workspaceId, membershipId, role })
    const revokedInvitations = await revokeInvitationsIssuedBy(tx, {
      workspaceId: actor.workspaceId,
      userId: target.userId,
      roles: ROLES.filter((r) => !canAssignRole(role, r)),
      at: new Date(),
    })
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'member.role-changed',
      targetType: 'membership',
      targetId: membershipId,
      data: { userId: target.userId, before: target.role, after: role, ...revoked(revokedInvitations) },
    })
    return { kind: 'ok' as const, userId: target.userId, before: target.role }
  })
}

/**
 * A removal also says how many webhook endpoints the removed member added that still deliver:
 * they belong to the workspace and keep delivering (an integration does not stop because the
 * admin who set it up left), but the URL is one the removed member chose, so whoever removes them
 * is told, and Settings → Webhooks names each endpoint's adder.
 */
export async function removeMember(
  actor: Member,
  membershipId: string,
): Promise<
  | {
      kind: 'ok'
      userId: string
      webhookEndpointsAdded: number
      /** Their tickets not closed, now unassigned, and the live events of that. */
      ticketsUnassigned: number
      events: TicketEvent[]
    }
  | { kind: 'last-owner' }
> {
  return getDb().transaction(async (tx) => {
    const rows = await lockMemberships(tx, { workspaceId: actor.workspaceId })
    const actorRole = roleNow(rows, actor)
    const target = rows.find((r) => r.id === membershipId)
    if (!target) throw notFound('No such member')
    if (!canAssignRole(actorRole, target.role)) throw forbidden('Only an owner can remove an owner')
    const owners = rows.filter((r) => r.role === 'owner').length
    if (target.role === 'owner' && owners <= 1) return { kind: 'last-owner' as const }
    return removeLocked(tx, actor, target, 'member.removed')
  })
}

type LockedMembership = Awaited<ReturnType<typeof lockMemberships>>[number]

/**
 * What a removal and a departure do once the memberships are locked and the target is judged:
 * the membership goes, with everything of it that would outlive it.
 */
async function removeLocked(
  tx: Tx,
  actor: Member,
  target: LockedMembership,
  action: 'member.removed' | 'member.left',
) {
  const membershipId = target.id
  await deleteMembership(tx, { workspaceId: actor.workspaceId, membershipId })
  // Their tickets not closed go back to Unassigned (each audited as the remover's change): kept
  // on someone who cannot see them, they were in no one's Mine and not in Unassigned, and the
  // ticket page's assignee field, which lists members only, showed them as unassigned. Closed
  // tickets keep who handled them.
  const handedBack = await listUnclosedTicketIdsAssignedTo(tx, {
    workspaceId: actor.workspaceId,
    userId: target.userId,
  })
  const unassigned =
    handedBack.length > 0
      ? await updateTickets(actor, handedBack, { assigneeId: null }, tx, { notifyAssignee: false })
      : undefined
  // Their unsent text is theirs: not left for the teammates to read, nor for a later return.
  await deleteMemberDrafts(tx, { workspaceId: actor.workspaceId, userId: target.userId })
  // Nothing more to tell them about the workspace: its unread notifications go, and the emails of
  // those still queued are not sent (failed, saying why). One a mention or customer reply queues
  // after this, racing the removal, is refused by the send itself (claimEmail).
  const member = { workspaceId: actor.workspaceId, userId: target.userId }
  await deleteUnreadNotificationsOf(tx, member)
  await failQueuedNotificationEmailsTo(tx, member)
  // Nor a way back: the invitation links they issued (and saw) stop working.
  const revokedInvitations = await revokeInvitationsIssuedBy(tx, {
    workspaceId: actor.workspaceId,
    userId: target.userId,
    roles: [...ROLES],
    at: new Date(),
  })
  await recordAudit(tx, {
    workspaceId: actor.workspaceId,
    actorUserId: actor.userId,
    action,
    targetType: 'membership',
    targetId: membershipId,
    data: {
      userId: target.userId,
      role: target.role,
      ...revoked(revokedInvitations),
      ...(handedBack.length > 0 ? { ticketsUnassigned: handedBack.length } : {}),
    },
  })
  const webhookEndpointsAdded = await countActiveEndpointsAddedBy(tx, {
    workspaceId: actor.workspaceId,
    userId: target.userId,
  })
  return {
    kind: 'ok' as const,
    userId: target.userId,
    webhookEndpointsAdded,
    ticketsUnassigned: handedBack.length,
    events: unassigned?.kind === 'updated' ? unassigned.events : [],
  }
}

export type LeaveOutcome =
  | {
      kind: 'left'
      /** Where to go next: the first of their other workspaces, none when this was their last. */
      nextSlug: string | null
      ticketsUnassigned: number
      events: TicketEvent[]
    }
  | { kind: 'last-owner' }

/**
 * The member leaves the workspace (any role may): as a removal of their own membership, audited as
 * `member.left`, except that the last owner cannot leave (the workspace would have nobody to
 * manage it). Judged on the memberships as locked, so two owners leaving at once leave one.
 */
export async function leaveWorkspace(actor: Member): Promise<LeaveOutcome> {
  return getDb().transaction(async (tx) => {
    const rows = await lockMemberships(tx, { workspaceId: actor.workspaceId })
    roleNow(rows, actor)
    const own = rows.find((r) => r.userId === actor.userId)!
    const owners = rows.filter((r) => r.role === 'owner').length
    if (own.role === 'owner' && owners <= 1) return { kind: 'last-owner' as const }
    const removed = await removeLocked(tx, actor, own, 'member.left')
    const [next] = await listUserWorkspaces(tx, actor.userId)
    return {
      kind: 'left' as const,
      nextSlug: next?.slug ?? null,
      ticketsUnassigned: removed.ticketsUnassigned,
      events: removed.events,
    }
  })
}

export function workspacesOf(userId: string) {
  return listUserWorkspaces(getDb(), userId)
}

export async function memberCount(workspaceId: string) {
  return countMembers(getDb(), { workspaceId })
}

export function membersOf(workspaceId: string) {
  return listMembers(getDb(), workspaceId)
}

export function pendingInvitationsOf(workspaceId: string) {
  return listPendingInvitations(getDb(), workspaceId)
}
