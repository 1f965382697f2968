import { fillFromRandomPool } from './random-pool.ts'

const bytes = Buffer.alloc(16)
let lastMs = -1
/** 18 bits after the version and variant (RFC 9562 method 1's counter): 12 of rand_a, 6 of rand_b. */
let counter = 0
const COUNTER_MAX = 0x3ffff

/**
 * RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits. Time-ordered, so B-tree friendly,
 * and in generation order within a process: ids of one millisecond count up from a random start
 * (the 18 bits after the version), so rows one transaction inserts sort as it inserted them
 * (webhook deliveries are sent in that order). A clock that moves back starts a new count.
 */
export function uuidv7(): string {
  const ms = Date.now()
  fillFromRandomPool(bytes, 6, 10)
  if (ms === lastMs && counter < COUNTER_MAX) counter++
  else {
    // A random start in the lower half, so a millisecond has room for 131,072 more.
    counter = (((bytes[6]! & 0x07) << 14) | (bytes[7]! << 6) | (bytes[8]! & 0x3f)) >>> 0
    lastMs = ms
  }
  // The 48-bit timestamp as 32 + 16 bits (a Number holds it exactly; no BigInt per call).
  bytes.writeUInt32BE(Math.floor(ms / 0x10000), 0)
  bytes.writeUInt16BE(ms % 0x10000, 4)
  bytes[6] = 0x70 | (counter >>> 14)
  bytes[7] = (counter >>> 6) & 0xff
  bytes[8] = 0x80 | (counter & 0x3f)
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
