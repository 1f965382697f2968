import type { Tx } from '#db/client.ts'
import { env } from '#app/env.server.ts'
import { takeSlot, takeSlotIn, type Limit } from './rate-limit.server.ts'

// Limits of the endpoints that hash a password, besides login (login-attempts.server.ts) and
// the reset form (account-emails.server.ts). Each slot is reserved BEFORE the hash: a refused
// request costs one SQL statement and no scrypt, however many arrive at once.

const MINUTE = 60 * 1000

/** New accounts from one client address (signup, and signup through an invitation link). */
export const SIGNUP_IP_LIMIT: Limit = { max: 10, windowMs: 60 * MINUTE }

/**
 * Signup's verification emails (it emails whatever address was typed): per address, whatever
 * the client's address, so nobody mail-bombs an inbox from many networks; and for the whole
 * server, so many addresses cannot be flooded at once either. Counted with the signup's own
 * transaction (reserveVerificationEmail), so a signup that emails nothing takes none; the
 * account page's Resend counts too (else one signup with someone's address, then 3 resends an
 * hour, would mail them 72 a day).
 */
export const SIGNUP_EMAIL_ADDRESS_LIMIT: Limit = { max: 3, windowMs: 24 * 60 * MINUTE }
/** What signup and Resend say when the server's hourly cap is spent (it is no one address's doing). */
export const SERVER_VERIFICATION_EMAILS_SPENT =
  'Switchboard cannot send more confirmation emails right now. Try again in an hour.'

/** The server's hourly cap: SIGNUP_EMAILS_PER_HOUR (100 unless set). */
export function signupEmailServerLimit(): Limit {
  return { max: env().limits.signupEmailsPerHour, windowMs: 60 * MINUTE }
}

/**
 * The inbox an address reaches, for SIGNUP_EMAIL_ADDRESS_LIMIT: lower-cased, without a `+tag`
 * (most providers deliver `ada+1@` to `ada@`), and without dots at Gmail (which ignores them),
 * so variants of one address share its limit.
 */
export function inboxKey(email: string) {
  const address = email.trim().toLowerCase()
  const at = address.lastIndexOf('@')
  if (at < 0) return address
  let local = address.slice(0, at).split('+')[0]
  const domain = address.slice(at + 1)
  if (domain === 'gmail.com' || domain === 'googlemail.com') local = local.replaceAll('.', '')
  return `${local}@${domain === 'googlemail.com' ? 'gmail.com' : domain}`
}

/**
 * Reserves a verification email to `email` (signup, Resend) on the caller's transaction: the slots
 * go back with its rollback (the address or the workspace URL was taken). Which limit is full, or null.
 */
export async function reserveVerificationEmail(tx: Tx, email: string) {
  const address = await takeSlotIn(tx, `signup-email:${inboxKey(email)}`, SIGNUP_EMAIL_ADDRESS_LIMIT)
  if (!address.allowed) return 'address' as const
  const server = await takeSlotIn(tx, 'signup-email-server', signupEmailServerLimit())
  if (!server.allowed) {
    await address.release()
    return 'server' as const
  }
  return null
}

/** Password changes per client address, and per user: a wrong current password is a guessing oracle. */
export const PASSWORD_CHANGE_IP_LIMIT: Limit = { max: 20, windowMs: 15 * MINUTE }
export const PASSWORD_CHANGE_USER_LIMIT: Limit = { max: 5, windowMs: 15 * MINUTE }

/** Reserves a signup slot for the client address; false when over the limit. */
export async function reserveSignup(clientIp: string) {
  return (await takeSlot(`signup-ip:${clientIp}`, SIGNUP_IP_LIMIT)).allowed
}

/** Reserves a password-change slot for both the address and the user; false when either is full. */
export async function reservePasswordChange(userId: string, clientIp: string) {
  const ip = await takeSlot(`password-change-ip:${clientIp}`, PASSWORD_CHANGE_IP_LIMIT)
  if (!ip.allowed) return false
  const user = await takeSlot(`password-change-user:${userId}`, PASSWORD_CHANGE_USER_LIMIT)
  if (!user.allowed) {
    await ip.release()
    return false
  }
  return true
}
