import { getDb, type Tx } from '#db/client.ts'
import { insertMailbox } from '#db/queries/mailboxes.ts'
import {
  findUserByEmail,
  getPasswordHash,
  insertUser as insertUserRow,
  setPasswordHash,
  lockUserName,
  setUserName,
} from '#db/queries/users.ts'
import { insertMembership, insertWorkspace } from '#db/queries/workspaces.ts'
import { env } from '#app/env.server.ts'
import {
  endOpenResetLinks,
  queuePasswordChangedEmail,
  queueVerificationEmail,
} from './account-emails.server.ts'
import { reservePasswordChange, reserveSignup, reserveVerificationEmail } from './hashing-limits.server.ts'
import { recordAudit } from './audit.server.ts'
import { markRenamedTickets } from './renamed-tickets.server.ts'
import { isUniqueViolation } from './errors.server.ts'
import { hashPassword, timingDummyHash, verifyPassword } from './passwords.server.ts'
import { revokeOtherSessions } from './sessions.server.ts'

export type SignupInput = {
  name: string
  email: string
  password: string
  workspaceName: string
  workspaceSlug: string
}

export type SignupOutcome =
  | { kind: 'created'; userId: string; workspaceSlug: string }
  | { kind: 'email-taken' }
  | { kind: 'slug-taken' }
  | { kind: 'rate-limited' }
  /** The verification email would go over its per-address or server-wide limit: nothing written. */
  | { kind: 'email-limited'; limit: 'address' | 'server' }

/** Creates the account, its first workspace and the owner membership, all or nothing. */
export async function signUp(
  input: SignupInput,
  /** The client address, limited by SIGNUP_IP_LIMIT before the hash (scripts pass none). */
  clientIp?: string,
): Promise<SignupOutcome> {
  if (clientIp !== undefined && !(await reserveSignup(clientIp))) return { kind: 'rate-limited' }
  const passwordHash = await hashPassword(input.password)
  try {
    return await getDb().transaction(async (tx) => {
      // First, so a refused signup writes nothing; the slots go back if the address or URL is taken.
      const full = await reserveVerificationEmail(tx, input.email)
      if (full) return { kind: 'email-limited' as const, limit: full }
      const userId = await insertUser(tx, input.name, input.email, passwordHash)
      await createWorkspaceFor(tx, userId, input.workspaceName, input.workspaceSlug)
      // The address is unconfirmed until the link in this email is opened (no notification emails till then).
      await queueVerificationEmail(tx, { id: userId, email: input.email, name: input.name })
      return { kind: 'created' as const, userId, workspaceSlug: input.workspaceSlug }
    })
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_lower_key')) return { kind: 'email-taken' }
    if (isUniqueViolation(error, 'workspaces_slug_unique')) return { kind: 'slug-taken' }
    throw error
  }
}

export async function insertUser(tx: Tx, name: string, email: string, passwordHash: string) {
  const userId = await insertUserRow(tx, { name, email, passwordHash })
  await recordAudit(tx, {
    workspaceId: null,
    actorUserId: userId,
    action: 'user.created',
    targetType: 'user',
    targetId: userId,
  })
  return userId
}

export async function createWorkspaceFor(tx: Tx, userId: string, name: string, slug: string) {
  const workspaceId = await insertWorkspace(tx, { name, slug })
  await insertMembership(tx, { workspaceId, userId, role: 'owner' })
  // Every workspace starts with one mailbox; its public address defaults to the forwarding address.
  await insertMailbox(tx, {
    workspaceId,
    values: {
      name: 'Support',
      key: 'support',
      address: `${slug}.support@${env().inboundDomain}`,
      fromName: name,
      signature: '',
    },
  })
  await recordAudit(tx, {
    workspaceId,
    actorUserId: userId,
    action: 'workspace.created',
    targetType: 'workspace',
    targetId: workspaceId,
    data: { name, slug },
  })
  return workspaceId
}

/**
 * Checks an email and password. Unknown emails are verified against a dummy hash so both
 * failures take the same time and give the same answer. `priority`: the hash's place among
 * waiting hashes, lower first; under a flood the hash may be refused before it runs (throws
 * HashQueueFull, see passwords.server.ts), whether or not the email exists.
 */
export async function verifyLogin(email: string, password: string, priority = 0) {
  const user = await findUserByEmail(getDb(), email)
  const stored = user?.passwordHash ?? (await timingDummyHash())
  const ok = await verifyPassword(password, stored, { priority, sheddable: true })
  return user && ok ? { id: user.id, email: user.email, name: user.name } : null
}

/**
 * Renames the user; their name as it is already (under the row's lock) writes and records nothing.
 * The API shows it on tickets (`assignee.name`, their messages' `author.name`), in every
 * workspace: those tickets are marked updated (markRenamedTickets, the rest in batches).
 */
export async function updateName(userId: string, name: string) {
  await getDb().transaction(async (tx) => {
    if ((await lockUserName(tx, { userId })) === name) return
    await setUserName(tx, { userId, name, at: new Date() })
    await markRenamedTickets(tx, { kind: 'member', userId })
    await recordAudit(tx, {
      workspaceId: null,
      actorUserId: userId,
      action: 'user.renamed',
      targetType: 'user',
      targetId: userId,
      data: { name },
    })
  })
}

export type PasswordChange =
  { kind: 'changed'; revokedSessionIds: string[] } | { kind: 'wrong-password' } | { kind: 'rate-limited' }

/**
 * Changes the password, signs out every other session of the user, ends their open reset links
 * (one mailed before the change would set a password after it) and emails them that it changed.
 */
export async function changePassword(
  userId: string,
  currentSessionId: string,
  currentPassword: string,
  newPassword: string,
  clientIp: string,
): Promise<PasswordChange> {
  // Per address and per user, before the current password is hashed.
  if (!(await reservePasswordChange(userId, clientIp))) return { kind: 'rate-limited' }
  const stored = await getPasswordHash(getDb(), userId)
  if (!stored || !(await verifyPassword(currentPassword, stored))) return { kind: 'wrong-password' }
  const passwordHash = await hashPassword(newPassword)
  // The new password, the sign-out of every other session, the end of open reset links and the
  // email saying so commit together.
  const revokedSessionIds = await getDb().transaction(async (tx) => {
    await setPasswordHash(tx, { userId, passwordHash, at: new Date() })
    await endOpenResetLinks(tx, userId)
    await recordAudit(tx, {
      workspaceId: null,
      actorUserId: userId,
      action: 'user.password-changed',
      targetType: 'user',
      targetId: userId,
    })
    await queuePasswordChangedEmail(tx, userId, 'changed')
    return revokeOtherSessions(userId, currentSessionId, tx)
  })
  return { kind: 'changed', revokedSessionIds }
}

/**
 * "Sign out of all other devices": every other session of the user ends, and so do their open
 * reset links (whoever they reached, they are another way in). Returns the revoked session ids.
 */
export async function signOutOtherDevices(userId: string, currentSessionId: string) {
  return getDb().transaction(async (tx) => {
    await endOpenResetLinks(tx, userId)
    return revokeOtherSessions(userId, currentSessionId, tx)
  })
}
