import { and, count, eq } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { listMembers, listPendingInvitations, listUserWorkspaces } from '#db/queries/workspaces.ts'
import { memberships, workspaces } from '#db/schema.ts'
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
    await tx.update(workspaces).set({ name }).where(eq(workspaces.id, member.workspaceId))
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
    const rows = await tx
      .select({ id: memberships.id, userId: memberships.userId, role: memberships.role })
      .from(memberships)
      .where(eq(memberships.workspaceId, actor.workspaceId))
      .for('update')
    const target = rows.find((r) => r.id === membershipId)
    if (!target) throw notFound('No such member')
    if (!canAssignRole(actor.role, role) || !canAssignRole(actor.role, target.role)) {
      throw forbidden('Only an owner can change an owner or make someone an owner')
    }
    const owners = rows.filter((r) => r.role === 'owner').length
    if (target.role === 'owner' && role !== 'owner' && owners <= 1) return { kind: 'last-owner' as const }
    await tx.update(memberships).set({ role }).where(eq(memberships.id, membershipId))
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
    const rows = await tx
      .select({ id: memberships.id, userId: memberships.userId, role: memberships.role })
      .from(memberships)
      .where(eq(memberships.workspaceId, actor.workspaceId))
      .for('update')
    const target = rows.find((r) => r.id === membershipId)
    if (!target) throw notFound('No such member')
    if (!canAssignRole(actor.role, target.role)) throw forbidden('Only an owner can remove an owner')
    const owners = rows.filter((r) => r.role === 'owner').length
    if (target.role === 'owner' && owners <= 1) return { kind: 'last-owner' as const }
    await tx
      .delete(memberships)
      .where(and(eq(memberships.id, membershipId), eq(memberships.workspaceId, actor.workspaceId)))
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
  const [row] = await getDb()
    .select({ n: count() })
    .from(memberships)
    .where(eq(memberships.workspaceId, workspaceId))
  return row?.n ?? 0
}

export function membersOf(workspaceId: string) {
  return listMembers(getDb(), workspaceId)
}

export function pendingInvitationsOf(workspaceId: string) {
  return listPendingInvitations(getDb(), workspaceId)
}
