import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import os from 'node:os'

// scrypt is memory-hard and built into Node: N=2^15, r=8 uses 32 MiB per hash.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32

/**
 * Hashes run one per CPU at a time (more would only share the same cores and add 32 MiB each),
 * leaving the rest of libuv's threadpool (app/threadpool.server.ts) free for file and DNS work.
 * Waiting hashes start by priority, lowest first, then in arrival order: a sign-in from an
 * address with no recent failures overtakes a flood of wrong passwords from elsewhere.
 */
const HASH_CONCURRENCY = os.availableParallelism()
let hashing = 0
let arrivals = 0
const waiting: Array<{ priority: number; order: number; start: () => void }> = []

async function inHashSlot<T>(priority: number, run: () => Promise<T>): Promise<T> {
  if (hashing < HASH_CONCURRENCY) hashing++
  else {
    await new Promise<void>((start) => {
      const entry = { priority, order: arrivals++, start }
      const at = waiting.findIndex((w) => w.priority > priority)
      waiting.splice(at === -1 ? waiting.length : at, 0, entry)
    })
  }
  try {
    return await run()
  } finally {
    // Hand the slot straight to the next waiting hash, or free it.
    const next = waiting.shift()
    if (next) next.start()
    else hashing--
  }
}

let derivations = 0

/** How many scrypt derivations this process has started: proves refused sign-ins cost no hash. */
export function hashCount() {
  return derivations
}

function derive(password: string, salt: Buffer, options: ScryptOptions, priority = 0) {
  derivations++
  return inHashSlot(
    priority,
    () =>
      new Promise<Buffer>((resolve, reject) => {
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

/** `priority`: lower runs first when hashes wait (see inHashSlot); 0 unless the caller knows better. */
export async function verifyPassword(password: string, stored: string, priority = 0) {
  const [scheme, n, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64')
  let actual: Buffer
  try {
    actual = await derive(
      password,
      Buffer.from(salt, 'base64'),
      { N: Number(n), r: Number(r), p: Number(p) },
      priority,
    )
  } catch {
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
