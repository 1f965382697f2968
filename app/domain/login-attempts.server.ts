import { clearSlots, takeSlot, type Limit } from './rate-limit.server.ts'

const FIFTEEN_MINUTES = 15 * 60 * 1000

/** Failed sign-ins per (lower-cased email, client IP): guessing one account's password. */
export const LOGIN_LIMIT: Limit = { max: 10, windowMs: FIFTEEN_MINUTES }

/**
 * Failed sign-ins per client IP across ALL emails: password spraying (one common password tried
 * on many accounts). 50 leaves room for an office behind one NAT address; raise it if yours is
 * bigger. There is deliberately no per-email cap across IPs: anyone could then lock a user out.
 */
export const LOGIN_IP_LIMIT: Limit = { max: 50, windowMs: FIFTEEN_MINUTES }

export type LoginAttempt =
  | { allowed: false }
  | {
      allowed: true
      /** Failures counted for the client address before this attempt: its hash's priority. */
      priority: number
      /** The password was right: that email's failures from this IP are forgotten. */
      succeeded: () => Promise<void>
      /** Something other than a wrong password went wrong: the attempt does not count. */
      abandoned: () => Promise<void>
      /**
       * The hash was refused under load (HashQueueFull): no password was tried, so the account's
       * count is given back, but the address keeps the failure. A flood's addresses thereby rank
       * behind clean ones at once, and reach the per-IP cap (refused in SQL, no queue) sooner.
       */
      shed: () => Promise<void>
    }

/**
 * Reserves a failure slot in both limits BEFORE the password is hashed, so a burst can never
 * hash more than the limits allow, and an address over its cap costs one SQL statement per
 * attempt. A wrong password keeps the slots (that is the counted failure).
 */
export async function reserveLoginAttempt(email: string, clientIp: string): Promise<LoginAttempt> {
  const ip = await takeSlot(`login-ip:${clientIp}`, LOGIN_IP_LIMIT)
  if (!ip.allowed) return { allowed: false }
  const pairKey = `login:${email.toLowerCase()}:${clientIp}`
  const pair = await takeSlot(pairKey, LOGIN_LIMIT)
  if (!pair.allowed) {
    await ip.release()
    return { allowed: false }
  }
  return {
    allowed: true,
    priority: LOGIN_IP_LIMIT.max - ip.remaining - 1,
    succeeded: async () => {
      await Promise.all([clearSlots(pairKey), ip.release()])
    },
    abandoned: async () => {
      await Promise.all([pair.release(), ip.release()])
    },
    shed: async () => {
      await pair.release()
    },
  }
}
