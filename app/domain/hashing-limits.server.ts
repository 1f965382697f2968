import { takeSlot, type Limit } from './rate-limit.server.ts'

// Limits of the endpoints that hash a password, besides login (login-attempts.server.ts) and
// the reset form (account-emails.server.ts). Each slot is reserved BEFORE the hash: a refused
// request costs one SQL statement and no scrypt, however many arrive at once.

const MINUTE = 60 * 1000

/** New accounts from one client address (signup, and signup through an invitation link). */
export const SIGNUP_IP_LIMIT: Limit = { max: 10, windowMs: 60 * MINUTE }

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
