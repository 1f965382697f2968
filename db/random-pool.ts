import { randomFillSync } from 'node:crypto'

/**
 * Random bytes for identifiers that are not secrets (UUIDv7's random bits, a response's CSP
 * nonce), taken from a pool the CSPRNG fills 4 KB at a time, each byte used once. A synchronous
 * `randomBytes(16)` costs ~5 µs here (a buffer, and a call into OpenSSL), which made `uuidv7`
 * 7 µs and about 1% of a reply's CPU; Node's own `randomUUID` keeps such a pool for the same
 * reason. Secrets (session and API tokens, password salts, signing secrets) keep calling
 * `randomBytes`, so none of theirs sits in memory before it is used.
 */
const pool = Buffer.allocUnsafe(4096)
let used = pool.length

/** Copies `length` (at most 256) fresh random bytes into `target` at `offset`. */
export function fillFromRandomPool(target: Uint8Array, offset: number, length: number) {
  if (length > 256) throw new RangeError('fillFromRandomPool: at most 256 bytes at a time')
  if (used + length > pool.length) {
    randomFillSync(pool)
    used = 0
  }
  pool.copy(target, offset, used, used + length)
  // Each byte once: what was handed out is overwritten at the next refill.
  used += length
}

/** `length` fresh random bytes as a new Buffer. */
export function randomFromPool(length: number) {
  const bytes = Buffer.allocUnsafe(length)
  fillFromRandomPool(bytes, 0, length)
  return bytes
}
