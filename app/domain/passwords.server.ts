import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import os from 'node:os'

// scrypt is memory-hard and built into Node: N=2^15, r=8 uses 32 MiB per hash.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32

/**
 * Hashes run one per CPU at a time (more would only share the same cores and add 32 MiB each),
 * leaving the rest of libuv's threadpool (app/threadpool.server.ts) free for file and DNS work.
 * Waiting hashes start by priority, lowest first, then in arrival order.
 *
 * Sign-in hashes are sheddable, and at most LOGIN_HASHES_WAITING of them wait: when that many
 * already do, the worst waiting one (highest priority number; among equals the latest to arrive)
 * is refused with HashQueueFull, before it is hashed, to make room for a newcomer that is no
 * worse, or else the newcomer is refused. So a sign-in from an address without recent failures
 * (priority 0) is never refused on arrival and waits at most for the hashes running and one more
 * round, however deep a flood of wrong passwords from elsewhere is: flood attempts are refused
 * instead of queueing. Other hashes (signup, password change, reset) have their own limits and
 * are never shed.
 */
const HASH_CONCURRENCY = os.availableParallelism()
export const LOGIN_HASHES_WAITING = HASH_CONCURRENCY

/** Where a hash waits: `priority` lower first; `sheddable` hashes may be refused (HashQueueFull). */
export type HashPlace = { priority: number; sheddable: boolean }

/** The sign-in's hash was refused before it ran: too many better or earlier ones were waiting. */
export class HashQueueFull extends Error {
  constructor() {
    super('Too many password hashes waiting')
  }
}

type Waiter = HashPlace & { order: number; start: () => void; refuse: () => void }

let hashing = 0
let arrivals = 0
const waiting: Waiter[] = []

async function inHashSlot<T>(place: HashPlace, run: () => Promise<T>): Promise<T> {
  if (hashing < HASH_CONCURRENCY) hashing++
  else await waitForSlot(place)
  try {
    return await run()
  } finally {
    // Hand the slot straight to the next waiting hash, or free it.
    const next = waiting.shift()
    if (next) next.start()
    else hashing--
  }
}

function waitForSlot(place: HashPlace) {
  return new Promise<void>((start, reject) => {
    const entry: Waiter = { ...place, order: arrivals++, start, refuse: () => reject(new HashQueueFull()) }
    if (place.sheddable) {
      const sheddable = waiting.filter((w) => w.sheddable)
      if (sheddable.length >= LOGIN_HASHES_WAITING) {
        // `waiting` is sorted by priority, then arrival: the last sheddable one is the worst.
        const worst = sheddable[sheddable.length - 1]!
        if (worst.priority < place.priority) {
          shed++
          return entry.refuse()
        }
        waiting.splice(waiting.indexOf(worst), 1)
        shed++
        worst.refuse()
      }
    }
    const at = waiting.findIndex((w) => w.priority > place.priority)
    waiting.splice(at === -1 ? waiting.length : at, 0, entry)
  })
}

let derivations = 0
let shed = 0

/**
 * Work counters of this process: scrypt derivations started, sign-in hashes refused before
 * running, and hashes waiting now. Tests use them to prove what was (not) hashed.
 */
export function hashStats() {
  return { derivations, shed, waiting: waiting.length }
}

const NOT_SHEDDABLE: HashPlace = { priority: 0, sheddable: false }

function derive(password: string, salt: Buffer, options: ScryptOptions, place = NOT_SHEDDABLE) {
  return inHashSlot(
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
 * `place`: where the hash waits (see inHashSlot); a sign-in passes its address's recent failures
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
