import { createHash, randomBytes } from 'node:crypto'

/**
 * Secret random tokens (session ids): 256 random bits, base64url. The links our emails carry
 * are made from the server's secret instead (email-link.server.ts). Only `hashToken(token)` is
 * stored where a database leak must not hand out working links or sessions.
 */
export function newToken() {
  return randomBytes(32).toString('base64url')
}

/** sha256, hex. Tokens are long and random, so a fast unsalted hash is enough to look them up. */
export function hashToken(token: string) {
  return createHash('sha256').update(token).digest('hex')
}
