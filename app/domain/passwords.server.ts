import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import os from 'node:os'
import { createHashQueue, HashQueueFull, type HashPlace } from './hash-queue.server.ts'

// scrypt is memory-hard and built into Node: N=2^15, r=8 uses 32 MiB per hash.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32

/**
 * Hashes run one per CPU at a time (more would only share the same cores and add 32 MiB each),
 * leaving the rest of libuv's threadpool (app/threadpool.server.ts) free for file and DNS work.
 * Waiting ones start by priority, then newest first (see hash-queue.server.ts). Sign-in hashes
 * are sheddable: at most LOGIN_HASHES_WAITING wait, beyond that the one that would start last is
 * refused (HashQueueFull) before it is hashed. Other hashes (signup, password change, reset) have
 * their own limits and are never refused.
 */
const HASH_CONCURRENCY = os.availableParallelism()
export const LOGIN_HASHES_WAITING = 200
const queue = createHashQueue({ concurrency: HASH_CONCURRENCY, maxWaiting: LOGIN_HASHES_WAITING })

let derivations = 0

/**
 * Work counters of this process: scrypt derivations started, sign-in hashes refused before
 * running, and hashes waiting now. Tests use them to prove what was (not) hashed.
 */
export function hashStats() {
  const { refused, waiting } = queue.stats()
  return { derivations, shed: refused, waiting }
}

const NOT_SHEDDABLE: HashPlace = { priority: 0, sheddable: false }

function derive(password: string, salt: Buffer, options: ScryptOptions, place = NOT_SHEDDABLE) {
  return queue.run(
    place,
    () =>
      new Promise<Buffer>((resolve, reject) => {
        derivations++
        scrypt(
          password.normalize('NFKC'),
          salt,
          KEY_LENGTH,
          { ...options, maxmem: 128 * 1024 * 1024 },
          (err, key) => (err ? reject(err) : resolve(key)),
        )
      }),
  )
}

export async function hashPassword(password: string) {
  const salt = randomBytes(16)
  const key = await derive(password, salt, PARAMS)
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

/**
 * `place`: where the hash waits (see hash-queue.server.ts); a sign-in passes its address's recent failures
 * as the priority and may be refused with HashQueueFull. Others wait at priority 0, unrefused.
 */
export async function verifyPassword(password: string, stored: string, place = NOT_SHEDDABLE) {
  const [scheme, n, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64')
  let actual: Buffer
  try {
    actual = await derive(
      password,
      Buffer.from(salt, 'base64'),
      { N: Number(n), r: Number(r), p: Number(p) },
      place,
    )
  } catch (error) {
    if (error instanceof HashQueueFull) throw error
    // A stored hash whose parameters scrypt refuses (corrupt, or over the memory cap) matches nothing,
    // like any other malformed stored string; tests/unit/passwords.test.ts pins this down.
    return false
  }
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

// Verified against when the email is unknown, so both cases take the same time.
let dummyHash: Promise<string> | undefined
export function timingDummyHash() {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'))
  return dummyHash
}
