import { and, desc, eq, gt, inArray, isNotNull, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { invitations, memberships, workspaces, type MembershipRole } from '../schema.ts'

export async function insertInvitation(
  db: DbOrTx,
  values: {
    workspaceId: string
    email: string
    role: MembershipRole
    tokenHash: string
    invitedById: string
    expiresAt: Date
  },
) {
  const [row] = await db.insert(invitations).values(values).returning({ id: invitations.id })
  return row.id
}

const isOpen = (workspaceId: string, id: string) =>
  and(
    eq(invitations.id, id),
    eq(invitations.workspaceId, workspaceId),
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
  )

/** The pending invitation's role, locked (FOR UPDATE) until the transaction ends; undefined if none. */
export async function lockOpenInvitation(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  const [row] = await db
    .select({ role: invitations.role, email: invitations.email })
    .from(invitations)
    .where(isOpen(workspaceId, id))
    .for('update')
  return row
}

/**
 * The newest invitation to this address (any case) that is neither accepted nor revoked, expired
 * or not, locked (FOR UPDATE) until the transaction ends; undefined if none.
 */
export async function lockOpenInvitationByEmail(
  db: DbOrTx,
  { workspaceId, email }: { workspaceId: string; email: string },
) {
  const [row] = await db
    .select({ id: invitations.id, role: invitations.role })
    .from(invitations)
    .where(
      and(
        eq(invitations.workspaceId, workspaceId),
        eq(sql`lower(${invitations.email})`, email.toLowerCase()),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .orderBy(desc(invitations.createdAt))
    .limit(1)
    .for('update')
  return row
}

/**
 * Gives a pending invitation a new token hash and expiry (a resend: the old link stops working),
 * and a new role when one is given; returns its email, or undefined when it is not pending in
 * this workspace.
 */
export async function renewOpenInvitation(
  db: DbOrTx,
  {
    workspaceId,
    id,
    tokenHash,
    expiresAt,
    role,
    issuedById,
  }: {
    workspaceId: string
    id: string
    tokenHash: string
    expiresAt: Date
    role?: MembershipRole
    /** Who issued the new link: the one whose removal or demotion revokes it. */
    issuedById: string
  },
) {
  const [row] = await db
    .update(invitations)
    .set({ tokenHash, expiresAt, invitedById: issuedById, ...(role ? { role } : {}) })
    .where(isOpen(workspaceId, id))
    .returning({ email: invitations.email, role: invitations.role })
  return row
}

export async function revokeOpenInvitation(
  db: DbOrTx,
  { workspaceId, id, at }: { workspaceId: string; id: string; at: Date },
) {
  await db.update(invitations).set({ revokedAt: at }).where(isOpen(workspaceId, id))
}

/**
 * Revokes the workspace's pending invitations whose working link `userId` issued (created or
 * last re-sent) with one of `roles`; returns their ids.
 */
export async function revokeInvitationsIssuedBy(
  db: DbOrTx,
  {
    workspaceId,
    userId,
    roles,
    at,
  }: { workspaceId: string; userId: string; roles: MembershipRole[]; at: Date },
) {
  if (roles.length === 0) return []
  const rows = await db
    .update(invitations)
    .set({ revokedAt: at })
    .where(
      and(
        eq(invitations.workspaceId, workspaceId),
        eq(invitations.invitedById, userId),
        inArray(invitations.role, roles),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .returning({ id: invitations.id })
  return rows.map((r) => r.id)
}

/** The invitation whose link has this token hash, while the link works (not used, revoked or expired). */
const isLiveLink = (tokenHash: string) =>
  and(
    eq(invitations.tokenHash, tokenHash),
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
    gt(invitations.expiresAt, sql`now()`),
  )

/** The pending (not used, revoked or expired) invitation with this token hash, with its workspace. */
export async function findOpenInvitationByTokenHash(db: DbOrTx, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
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
    .where(isLiveLink(tokenHash))
  return row
}

/**
 * The workspace of the used invitation with this token hash, when `userId` is a member of it now:
 * the member who opens their invitation again is told they joined (nobody else learns anything).
 */
export async function findJoinedInvitationWorkspace(
  db: DbOrTx,
  { tokenHash, userId }: { tokenHash: string; userId: string },
) {
  const [row] = await db
    .select({ name: workspaces.name, slug: workspaces.slug })
    .from(invitations)
    .innerJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
    .innerJoin(
      memberships,
      and(eq(memberships.workspaceId, invitations.workspaceId), eq(memberships.userId, userId)),
    )
    .where(and(eq(invitations.tokenHash, tokenHash), isNotNull(invitations.acceptedAt)))
  return row
}

/**
 * Marks the pending invitation with this token hash accepted, in one statement (so two
 * simultaneous acceptances cannot both succeed), and returns it with its workspace's slug.
 */
export async function claimInvitation(db: DbOrTx, { tokenHash, at }: { tokenHash: string; at: Date }) {
  const [row] = await db.update(invitations).set({ acceptedAt: at }).where(isLiveLink(tokenHash)).returning({
    id: invitations.id,
    email: invitations.email,
    role: invitations.role,
    workspaceId: invitations.workspaceId,
  })
  if (!row) return undefined
  const [workspace] = await db
    .select({ slug: workspaces.slug })
    .from(workspaces)
    .where(eq(workspaces.id, row.workspaceId))
  return { ...row, workspaceSlug: workspace.slug }
}
