import { getDb } from '#db/client.ts'
import {
  countMembers,
  deleteMembership,
  listMembers,
  listPendingInvitations,
  listUserWorkspaces,
  lockMemberships,
  setMembershipRole,
  setWorkspaceName,
} from '#db/queries/workspaces.ts'
import type { Role } from '#app/utils/roles.ts'
import { canAssignRole } from '#app/utils/roles.ts'
import { createWorkspaceFor } from './accounts.server.ts'
import { recordAudit } from './audit.server.ts'
import { forbidden, isUniqueViolation, notFound } from './errors.server.ts'

export type Member = {
  userId: string
  role: Role
  workspaceId: string
  workspaceSlug: string
  workspaceName: string
}

export async function createWorkspace(userId: string, name: string, slug: string) {
  try {
    const workspaceId = await getDb().transaction((tx) => createWorkspaceFor(tx, userId, name, slug))
    return { kind: 'created' as const, slug, workspaceId }
  } catch (error) {
    if (isUniqueViolation(error, 'workspaces_slug_unique')) return { kind: 'slug-taken' as const }
    throw error
  }
}

export async function renameWorkspace(member: Member, name: string) {
  await getDb().transaction(async (tx) => {
    await setWorkspaceName(tx, { workspaceId: member.workspaceId, name })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'workspace.renamed',
      targetType: 'workspace',
      targetId: member.workspaceId,
      data: { before: member.workspaceName, after: name },
    })
  })
}

export type MemberChange = { kind: 'ok'; userId: string } | { kind: 'last-owner' }

/**
 * Changes a member's role. The workspace's memberships are locked first so two concurrent
 * demotions cannot leave it without an owner.
 */
export async function changeMemberRole(
  actor: Member,
  membershipId: string,
  role: Role,
): Promise<MemberChange> {
  return getDb().transaction(async (tx) => {
    const rows = await lockMemberships(tx, { workspaceId: actor.workspaceId })
    const target = rows.find((r) => r.id === membershipId)
    if (!target) throw notFound('No such member')
    if (!canAssignRole(actor.role, role) || !canAssignRole(actor.role, target.role)) {
      throw forbidden('Only an owner can change an owner or make someone an owner')
    }
    const owners = rows.filter((r) => r.role === 'owner').length
    if (target.role === 'owner' && role !== 'owner' && owners <= 1) return { kind: 'last-owner' as const }
    await setMembershipRole(tx, { workspaceId: actor.workspaceId, membershipId, role })
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'member.role-changed',
      targetType: 'membership',
      targetId: membershipId,
      data: { userId: target.userId, before: target.role, after: role },
    })
    return { kind: 'ok' as const, userId: target.userId }
  })
}

export async function removeMember(actor: Member, membershipId: string): Promise<MemberChange> {
  return getDb().transaction(async (tx) => {
    const rows = await lockMemberships(tx, { workspaceId: actor.workspaceId })
    const target = rows.find((r) => r.id === membershipId)
    if (!target) throw notFound('No such member')
    if (!canAssignRole(actor.role, target.role)) throw forbidden('Only an owner can remove an owner')
    const owners = rows.filter((r) => r.role === 'owner').length
    if (target.role === 'owner' && owners <= 1) return { kind: 'last-owner' as const }
    await deleteMembership(tx, { workspaceId: actor.workspaceId, membershipId })
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'member.removed',
      targetType: 'membership',
      targetId: membershipId,
      data: { userId: target.userId, role: target.role },
    })
    return { kind: 'ok' as const, userId: target.userId }
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
