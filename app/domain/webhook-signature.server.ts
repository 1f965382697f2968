import { createPublicKey, createVerify, timingSafeEqual, type KeyObject } from 'node:crypto'

/** SendGrid's signed webhooks (Event Webhook, Inbound Parse): the signature and timestamp headers. */
export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature'
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp'

/** Older signed posts are refused: a captured request cannot be replayed later. */
export const MAX_SIGNATURE_AGE_SECONDS = 5 * 60

const keys = new Map<string, KeyObject>()

/**
 * SendGrid shows the verification key as base64 DER (SubjectPublicKeyInfo, ECDSA P-256); a PEM
 * is accepted too. Parsed once per process.
 */
export function webhookPublicKey(configured: string) {
  let key = keys.get(configured)
  if (!key) {
    key = configured.includes('BEGIN PUBLIC KEY')
      ? createPublicKey(configured)
      : createPublicKey({
          key: Buffer.from(configured.replace(/\s+/g, ''), 'base64'),
          format: 'der',
          type: 'spki',
        })
    keys.set(configured, key)
  }
  return key
}

export type SignatureCheck =
  { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'bad-signature' }

/**
 * An ECDSA P-256 signature in DER is 8 to 72 bytes; base64 of that, with room to spare. Anything
 * else cannot verify, so it is refused with the headers, before the body is read.
 */
const SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{8,200}={0,2}$/

export type SignatureVerifier =
  | { ok: true; update: (chunk: Buffer) => void; check: () => SignatureCheck }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' }

/**
 * Verifies SendGrid's ECDSA signature (SHA-256, DER-encoded, base64) over timestamp + raw body,
 * with node:crypto: @sendgrid/eventwebhook verifies over `payload.toString()`, which garbles
 * binary multipart bodies, and is pure-JS slow. See SendGrid's "Event Webhook security features".
 * Fed the body chunk by chunk: the headers are checked before any byte is read
 * (missing, malformed or stale: refused at once, so a post that cannot be genuine costs no body),
 * the signature once the last chunk has passed.
 */
export function sendgridSignatureVerifier(
  publicKey: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  nowMs = Date.now(),
): SignatureVerifier {
  const { signature, timestamp } = headers
  if (!signature || !timestamp) return { ok: false, reason: 'missing' }
  if (!/^\d{1,12}$/.test(timestamp) || !SIGNATURE_SHAPE.test(signature)) {
    return { ok: false, reason: 'malformed' }
  }
  const ageSeconds = nowMs / 1000 - Number(timestamp)
  // A little clock skew forward is tolerated; anything older than five minutes is a replay.
  if (ageSeconds > MAX_SIGNATURE_AGE_SECONDS || ageSeconds < -60) return { ok: false, reason: 'stale' }
  const verifier = createVerify('sha256').update(timestamp, 'utf8')
  return {
    ok: true,
    update: (chunk) => void verifier.update(chunk),
    check: () => {
      let valid = false
      try {
        valid = verifier.verify(webhookPublicKey(publicKey), Buffer.from(signature, 'base64'))
      } catch {
        valid = false
      }
      return valid ? { ok: true } : { ok: false, reason: 'bad-signature' }
    },
  }
}

/** Compares a presented secret with the configured one in constant time (lengths hashed away). */
export function secretMatches(presented: string | undefined, expected: string) {
  if (presented === undefined) return false
  const a = Buffer.from(presented, 'utf8')
  const b = Buffer.from(expected, 'utf8')
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time the same.
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length
}

/** The password of an HTTP Basic Authorization header, if any (the user name is ignored). */
export function basicAuthPassword(header: string | undefined) {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')
  if (!match) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : decoded.slice(colon + 1)
}
