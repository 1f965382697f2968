import { and, asc, count, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../client.ts'
import { prepared } from '../prepared.ts'
import { invitations, memberships, users, workspaces, type MembershipRole } from '../schema.ts'

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

/** The member of the workspace whose account has this email (any case), if any. */
export async function findMemberByEmail(
  db: DbOrTx,
  { workspaceId, email }: { workspaceId: string; email: string },
) {
  const [row] = await db
    .select({ membershipId: memberships.id, email: users.email, userId: users.id })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, workspaceId), eq(sql`lower(${users.email})`, email.toLowerCase())))
  return row
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

export async function insertWorkspace(db: DbOrTx, values: { name: string; slug: string }) {
  const [row] = await db.insert(workspaces).values(values).returning({ id: workspaces.id })
  return row.id
}

/** The workspace's name, its row locked FOR UPDATE until the transaction ends (a rename's "before"). */
export async function lockWorkspaceName(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const [row] = await db
    .select({ name: workspaces.name })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
    .for('update')
  return row?.name
}

export async function setWorkspaceName(
  db: DbOrTx,
  { workspaceId, name }: { workspaceId: string; name: string },
) {
  await db.update(workspaces).set({ name }).where(eq(workspaces.id, workspaceId))
}

/** Adds the membership; with `ifAbsent`, an existing membership of the user is kept as it is. */
export async function insertMembership(
  db: DbOrTx,
  values: { workspaceId: string; userId: string; role: MembershipRole; ifAbsent?: boolean },
) {
  const { ifAbsent, ...row } = values
  const insert = db.insert(memberships).values(row)
  await (ifAbsent ? insert.onConflictDoNothing() : insert)
}

/**
 * The workspace's memberships, locked (FOR UPDATE) so concurrent role changes see each other. In id
 * order, as lockMembershipsOf takes its locks: a removal and a note mentioning several members
 * queue behind each other instead of deadlocking.
 */
export async function lockMemberships(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  return db
    .select({ id: memberships.id, userId: memberships.userId, role: memberships.role })
    .from(memberships)
    .where(eq(memberships.workspaceId, workspaceId))
    .orderBy(asc(memberships.id))
    .for('update')
}

/**
 * One member's role, locked FOR SHARE: a concurrent role change or removal of that member waits
 * for this transaction, and this one waits for one already under way (and reads its result).
 */
export async function lockRoleOf(
  db: DbOrTx,
  { workspaceId, userId, joinedBy }: { workspaceId: string; userId: string; joinedBy?: Date },
) {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(
      and(
        eq(memberships.workspaceId, workspaceId),
        eq(memberships.userId, userId),
        // Only a membership that began by then (a token's creator: the membership it was made under).
        joinedBy ? lte(memberships.createdAt, joinedBy) : undefined,
      ),
    )
    .for('share')
  return row?.role
}

export async function setMembershipRole(
  db: DbOrTx,
  { workspaceId, membershipId, role }: { workspaceId: string; membershipId: string; role: MembershipRole },
) {
  await db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.id, membershipId), eq(memberships.workspaceId, workspaceId)))
}

export async function deleteMembership(
  db: DbOrTx,
  { workspaceId, membershipId }: { workspaceId: string; membershipId: string },
) {
  await db
    .delete(memberships)
    .where(and(eq(memberships.id, membershipId), eq(memberships.workspaceId, workspaceId)))
}

export async function countMembers(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const [row] = await db
    .select({ n: count() })
    .from(memberships)
    .where(eq(memberships.workspaceId, workspaceId))
  return row?.n ?? 0
}

/**
 * Whether the user is a member of the workspace, their membership locked FOR KEY SHARE until the
 * transaction ends, for a write that names them (an assignment): their removal deletes the row
 * after locking every membership FOR UPDATE, so it waits for this transaction and then sees what
 * it wrote (and hands those tickets back), and a removal that committed first leaves no row here.
 * KEY SHARE, the weakest lock: concurrent assignments to one member do not wait for each other.
 */
export async function lockMembershipOf(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  const [row] = await db
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
    .for('key share')
  return Boolean(row)
}

/**
 * lockMembershipOf for several users at once, in id order (as lockMemberships): the ids of those
 * still members, their memberships locked FOR KEY SHARE until the transaction ends.
 */
export async function lockMembershipsOf(
  db: DbOrTx,
  { workspaceId, userIds }: { workspaceId: string; userIds: string[] },
) {
  if (userIds.length === 0) return []
  const rows = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), inArray(memberships.userId, userIds)))
    .orderBy(asc(memberships.id))
    .for('key share')
  return rows.map((row) => row.userId)
}

/** The workspace's owners and admins with their email addresses. */
export async function listOwnersAndAdmins(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  return db
    .select({ userId: users.id, email: users.email, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, workspaceId), inArray(memberships.role, ['owner', 'admin'])))
}
