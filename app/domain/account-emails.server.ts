import { getDb, type DbOrTx, type Tx } from '#db/client.ts'
import {
  deleteUserSessions,
  expireResetTokens,
  findLiveResetToken,
  findLiveVerificationToken,
  getEmailVerifiedAt,
  getUserVerification,
  insertAccountToken,
  markEmailVerified,
  setPasswordAfterReset,
  useResetToken,
  useVerificationToken,
} from '#db/queries/account-tokens.ts'
import { findUserByEmail, getPasswordChangedNoticeTarget } from '#db/queries/users.ts'
import { env } from '#app/env.server.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import { recordAudit } from './audit.server.ts'
import { queueEmail } from './email.server.ts'
import { renderAccountLink } from './email-templates.server.ts'
import { formatDateTimeWithZone } from '#app/utils/format.ts'
import { hashPassword } from './passwords.server.ts'
import { reserveVerificationEmail } from './hashing-limits.server.ts'
import { takeSlot, type Limit } from './rate-limit.server.ts'
import { hashToken } from './tokens.server.ts'
import { newEmailLink } from './email-link.server.ts'

// Account emails: confirm the address after signup, reset a forgotten password. Each carries a
// one-time link with a 256-bit token (email-link.server.ts); only its sha256 is stored
// (account_tokens), and the email is stored with a placeholder in its place. And the notice that
// the password was changed, whose only link is the public "Forgot password?" page.

const MINUTE = 60 * 1000
const HOUR = 60 * MINUTE

export const VERIFY_EMAIL_TTL_MS = 48 * HOUR
export const PASSWORD_RESET_TTL_MS = HOUR

/** "Resend" on the banner: per user. */
export const VERIFY_RESEND_LIMIT: Limit = { max: 3, windowMs: HOUR }
/** "Forgot password?" posts per client address, whatever the email. */
export const RESET_IP_LIMIT: Limit = { max: 10, windowMs: 15 * MINUTE }
/** …and per email address, from anywhere: nobody floods an inbox with reset links. */
export const RESET_EMAIL_LIMIT: Limit = { max: 3, windowMs: HOUR }
/** Setting a new password through a reset link hashes a password: per client address. */
export const RESET_SUBMIT_IP_LIMIT: Limit = { max: 10, windowMs: 15 * MINUTE }

/** The sender of account and notification emails. */
export function systemSender() {
  return { fromAddress: env().emailFrom, fromName: 'Switchboard' }
}

/**
 * Queues one account email (a one-time link: confirm, reset, invitation) on `tx`: rendered from
 * `content`, from the system sender, in no workspace, marked automatic so nobody auto-replies.
 */
async function queueAccountLinkEmail(
  tx: DbOrTx,
  kind: 'verify-email' | 'password-reset' | 'invitation',
  to: string,
  /** The email's link: its path holds the token's placeholder, filled in when sent. */
  link: { linkId: string; placeholder: string; path: string },
  content: Omit<Parameters<typeof renderAccountLink>[0], 'link'>,
) {
  await queueEmail(tx, {
    ...(await renderAccountLink({ ...content, link: `${env().appUrl}${link.path}${link.placeholder}` })),
    ...systemSender(),
    workspaceId: null,
    kind,
    linkId: link.linkId,
    toAddress: to,
    headers: { 'Auto-Submitted': 'auto-generated' },
  })
}

/** Links carry a 43-character token (email-link.server.ts); anything far off is not worth a query. */
function plausible(token: string) {
  return token.length >= 20 && token.length <= 100
}

async function issueToken(
  tx: DbOrTx,
  user: { id: string; email: string },
  purpose: 'verify-email' | 'password-reset',
  ttlMs: number,
) {
  const link = newEmailLink()
  await insertAccountToken(tx, {
    userId: user.id,
    purpose,
    tokenHash: hashToken(link.token),
    email: user.email,
    expiresAt: new Date(Date.now() + ttlMs),
  })
  return link
}

// ——— Verify the address ———

/**
 * Records a verify-email link for the user's current address and queues its email on `tx`.
 *
 * No greeting by name: whoever signs up types the address and the name, and the address is not
 * theirs until confirmed, so a name would be a stranger's text in someone else's inbox (a signup
 * with a sales pitch as its name and a victim's address is spam sent by us). Only our own words.
 */
export async function queueVerificationEmail(tx: DbOrTx, user: { id: string; email: string; name: string }) {
  const link = await issueToken(tx, user, 'verify-email', VERIFY_EMAIL_TTL_MS)
  await queueAccountLinkEmail(
    tx,
    'verify-email',
    user.email,
    { ...link, path: '/verify-email/' },
    {
      subject: 'Confirm your email address',
      name: '',
      intro: 'Confirm that this is your email address, so Switchboard can send you notifications.',
      linkLabel: 'Confirm your email',
      footnote:
        'The link works for 48 hours. If you did not create a Switchboard account, ignore this email.',
    },
  )
}

export type ResendOutcome =
  | { kind: 'sent' }
  | { kind: 'already-verified' }
  | { kind: 'rate-limited' }
  /** The address had its verification emails for the day: nothing sent. */
  | { kind: 'address-limited' }
  /** The server had its hour's (SIGNUP_EMAILS_PER_HOUR): nothing sent. */
  | { kind: 'server-limited' }

/**
 * The banner's "resend": a fresh link, at most VERIFY_RESEND_LIMIT per user, and within the
 * verification emails an address may get (reserveVerificationEmail, as signup).
 */
export async function resendVerificationEmail(userId: string): Promise<ResendOutcome> {
  const slot = await takeSlot(`verify-resend:${userId}`, VERIFY_RESEND_LIMIT)
  if (!slot.allowed) return { kind: 'rate-limited' }
  const outcome = await getDb().transaction(async (tx) => {
    const user = await getUserVerification(tx, { userId })
    if (!user || user.verifiedAt) return { kind: 'already-verified' as const }
    const full = await reserveVerificationEmail(tx, user.email)
    if (full) return { kind: full === 'address' ? ('address-limited' as const) : ('server-limited' as const) }
    await queueVerificationEmail(tx, user)
    return { kind: 'sent' as const }
  })
  if (outcome.kind !== 'sent') await slot.release()
  return outcome
}

/** Is the user's address confirmed? (Unconfirmed users get no notification emails.) */
export async function isEmailVerified(userId: string) {
  const row = await getEmailVerifiedAt(getDb(), { userId })
  return Boolean(row?.verifiedAt)
}

export type VerifyOutcome = { kind: 'verified'; email: string } | { kind: 'invalid' }

/** Is this a live verify-email link? (The GET of the page; it changes nothing.) */
export async function findVerificationLink(token: string) {
  if (!plausible(token)) return undefined
  return findLiveVerificationToken(getDb(), { tokenHash: hashToken(token) })
}

/**
 * Confirms the address the link was sent to, if it is still the account's address (a changed
 * email needs a new link). Clicking a live link again says "confirmed" again; it changes nothing.
 */
export async function verifyEmailAddress(token: string): Promise<VerifyOutcome> {
  if (!plausible(token)) return { kind: 'invalid' }
  return getDb().transaction(async (tx) => {
    const link = await useVerificationToken(tx, { tokenHash: hashToken(token) })
    if (!link) return { kind: 'invalid' as const }
    const user = await markEmailVerified(tx, { userId: link.userId, email: link.email })
    if (!user) return { kind: 'invalid' as const }
    await recordAudit(tx, {
      workspaceId: null,
      actorUserId: user.id,
      action: 'user.email-verified',
      targetType: 'user',
      targetId: user.id,
    })
    return { kind: 'verified' as const, email: link.email }
  })
}

// ——— Password reset ———

export type ResetRequestOutcome = { kind: 'accepted' } | { kind: 'rate-limited'; limit: Limit }

/**
 * "Forgot password?": reserves the per-IP and per-email slots before anything else, then
 * enqueues a job that looks the address up and emails a link if an account has it. The request
 * itself does the same two statements and one insert whether or not the account exists, so
 * neither its answer nor its timing tells them apart.
 */
export async function requestPasswordReset(email: string, clientIp: string): Promise<ResetRequestOutcome> {
  const ip = await takeSlot(`reset-ip:${clientIp}`, RESET_IP_LIMIT)
  if (!ip.allowed) return { kind: 'rate-limited', limit: RESET_IP_LIMIT }
  const address = await takeSlot(`reset-email:${email.trim().toLowerCase()}`, RESET_EMAIL_LIMIT)
  if (!address.allowed) return { kind: 'rate-limited', limit: RESET_EMAIL_LIMIT }
  await enqueue(getDb(), 'account.password-reset', { email: email.trim() })
  return { kind: 'accepted' }
}

/** The `account.password-reset` job: a link for the account with this email, if there is one. */
export async function sendPasswordResetEmail(email: string) {
  const user = await findUserByEmail(getDb(), email)
  if (!user) return 'no-account' as const
  await getDb().transaction(async (tx) => {
    const link = await issueToken(tx, user, 'password-reset', PASSWORD_RESET_TTL_MS)
    await queueAccountLinkEmail(
      tx,
      'password-reset',
      user.email,
      { ...link, path: '/reset-password/' },
      {
        subject: 'Reset your Switchboard password',
        // By name only once the address is confirmed: before, the name was typed by whoever signed
        // up with it (see queueVerificationEmail).
        name: user.emailVerifiedAt ? user.name : '',
        intro: 'Someone (hopefully you) asked to reset the password of your Switchboard account.',
        linkLabel: 'Choose a new password',
        footnote:
          'The link works once, for 1 hour. If you did not ask for it, ignore this email: your password stays as it is.',
      },
    )
  })
  return 'sent' as const
}

/** Is this an unused, unexpired reset link? (The GET of the reset page; it changes nothing.) */
export async function findPasswordResetLink(token: string) {
  if (!plausible(token)) return undefined
  return findLiveResetToken(getDb(), { tokenHash: hashToken(token) })
}

export type PasswordResetOutcome =
  | { kind: 'reset'; userId: string; revokedSessionIds: string[] }
  | { kind: 'invalid' }
  | { kind: 'rate-limited' }

/**
 * Sets the new password through a reset link: single use (the link is claimed by one UPDATE,
 * so two parallel posts cannot both use it), every other reset link of the user dies with it,
 * the address counts as confirmed (the link reached it), and EVERY session of the user is
 * revoked, the one that asked included. The caller signs the person in afresh.
 */
export async function resetPassword(
  token: string,
  newPassword: string,
  clientIp: string,
): Promise<PasswordResetOutcome> {
  // Reserved before anything is looked up or hashed.
  const slot = await takeSlot(`reset-submit-ip:${clientIp}`, RESET_SUBMIT_IP_LIMIT)
  if (!slot.allowed) return { kind: 'rate-limited' }
  // Checked before hashing, so a dead link costs no scrypt; claimed again atomically below.
  if (!(await findPasswordResetLink(token))) return { kind: 'invalid' }
  const passwordHash = await hashPassword(newPassword)
  return getDb().transaction(async (tx) => {
    const link = await useResetToken(tx, { tokenHash: hashToken(token) })
    if (!link) return { kind: 'invalid' as const }
    await expireResetTokens(tx, { userId: link.userId })
    await setPasswordAfterReset(tx, { userId: link.userId, email: link.email, passwordHash })
    const revokedSessionIds = await revokeAllSessions(tx, link.userId)
    await recordAudit(tx, {
      workspaceId: null,
      actorUserId: link.userId,
      action: 'user.password-reset',
      targetType: 'user',
      targetId: link.userId,
      data: { revokedSessions: revokedSessionIds.length },
    })
    await queuePasswordChangedEmail(tx, link.userId, 'reset')
    return { kind: 'reset' as const, userId: link.userId, revokedSessionIds }
  })
}

async function revokeAllSessions(tx: Tx, userId: string) {
  return deleteUserSessions(tx, { userId })
}

/**
 * Ends every open reset link of the user (marked used): called by whatever changes the account's
 * password or ends others' access to it (a password change, a used reset link, "Sign out of all
 * other devices"), so a link mailed before it cannot set a password after it.
 */
export async function endOpenResetLinks(tx: DbOrTx, userId: string) {
  await expireResetTokens(tx, { userId })
}

/**
 * "Your password was changed", to the account's address, on `tx` (sent once the change commits):
 * when, in the user's time zone, and what to do if it was not them. No private link: its one link
 * is the public "Forgot password?" page, since a reset signs out every session.
 */
export async function queuePasswordChangedEmail(tx: DbOrTx, userId: string, how: 'changed' | 'reset') {
  const user = await getPasswordChangedNoticeTarget(tx, { userId })
  if (!user) return
  const when = formatDateTimeWithZone(user.now, user.timeZone ?? 'UTC')
  await queueEmail(tx, {
    ...(await renderAccountLink({
      subject: 'Your password was changed',
      // By name only once the address is confirmed, as the reset email (queueVerificationEmail).
      name: user.emailVerifiedAt ? user.name : '',
      intro:
        how === 'reset'
          ? `The password of your Switchboard account (${user.email}) was changed on ${when}, through a password reset link.`
          : `The password of your Switchboard account (${user.email}) was changed on ${when}, on your account page.`,
      link: `${env().appUrl}/forgot-password`,
      linkLabel: 'If this was not you, reset your password now',
      footnote:
        'Resetting it signs out every device signed in to your account. Then tell an admin of your workspace. If you changed it yourself, there is nothing to do.',
    })),
    ...systemSender(),
    workspaceId: null,
    kind: 'password-changed',
    toAddress: user.email,
    headers: { 'Auto-Submitted': 'auto-generated' },
  })
}

// ——— Invitations ———

/**
 * Emails an invitation's link (the same link the members page shows to copy; the email is
 * stored with its placeholder: email-link.server.ts).
 */
export async function queueInvitationEmail(
  tx: DbOrTx,
  input: { to: string; role: string; link: { linkId: string; placeholder: string }; workspaceName: string },
) {
  await queueAccountLinkEmail(
    tx,
    'invitation',
    input.to,
    { ...input.link, path: '/invite/' },
    {
      subject: `You are invited to ${input.workspaceName} on Switchboard`,
      name: '',
      intro: `You are invited to join ${input.workspaceName} on Switchboard as ${input.role === 'agent' ? 'an agent' : `an ${input.role}`}.`,
      linkLabel: 'Accept the invitation',
      footnote: 'The link works once, for 7 days. If you did not expect this invitation, ignore this email.',
    },
  )
}
