import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../client.ts'
import { prepared } from '../prepared.ts'
import { invitations, memberships, users, workspaces } from '../schema.ts'

export async function getWorkspaceBySlug(db: DbOrTx, slug: string) {
  const [row] = await db
    .select({ id: workspaces.id, name: workspaces.name, slug: workspaces.slug })
    .from(workspaces)
    .where(eq(workspaces.slug, slug))
  return row
}

/** The user's membership in the workspace with this slug; undefined when either does not exist. */
export async function getMembershipBySlug(db: DbOrTx, { userId, slug }: { userId: string; slug: string }) {
  const query = prepared(db as Db, 'membership_by_slug', (d) =>
    d
      .select({
        membershipId: memberships.id,
        role: memberships.role,
        workspaceId: workspaces.id,
        workspaceName: workspaces.name,
        workspaceSlug: workspaces.slug,
      })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(
        and(eq(memberships.userId, sql.placeholder('userId')), eq(workspaces.slug, sql.placeholder('slug'))),
      )
      .prepare('membership_by_slug'),
  )
  const [row] = await query.execute({ userId, slug })
  return row
}

export async function listUserWorkspaces(db: DbOrTx, userId: string) {
  return db
    .select({ id: workspaces.id, name: workspaces.name, slug: workspaces.slug, role: memberships.role })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(workspaces.name))
}

export async function listMembers(db: DbOrTx, workspaceId: string) {
  return db
    .select({
      membershipId: memberships.id,
      userId: users.id,
      name: users.name,
      email: users.email,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.workspaceId, workspaceId))
    .orderBy(asc(users.name))
}

export async function listPendingInvitations(db: DbOrTx, workspaceId: string) {
  return db
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      expiresAt: invitations.expiresAt,
      createdAt: invitations.createdAt,
    })
    .from(invitations)
    .where(
      and(
        eq(invitations.workspaceId, workspaceId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, new Date()),
      ),
    )
    .orderBy(asc(invitations.createdAt))
}
