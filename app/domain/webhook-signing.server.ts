import { createHmac, randomBytes } from 'node:crypto'

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"):
 * `webhook-signature: v1,<base64 HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>">`,
 * keyed with the base64-decoded part of a `whsec_` secret. Several signatures are separated by
 * spaces: during a rotation's overlap we sign with the new and the previous secret, so receivers
 * still holding the old one keep verifying.
 */
export const SECRET_PREFIX = 'whsec_'

/** A new signing secret: 24 random bytes (the spec asks for 24 to 64), base64. */
export function newWebhookSecret() {
  return SECRET_PREFIX + randomBytes(24).toString('base64')
}

export function signPayload(secret: string, id: string, timestamp: number, body: string) {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')
}

/** The three headers of one attempt, signed with every secret given (newest first). */
export function webhookHeaders(secrets: string[], id: string, body: string, at: Date = new Date()) {
  const timestamp = Math.floor(at.getTime() / 1000)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => signPayload(s, id, timestamp, body)).join(' '),
  }
}
