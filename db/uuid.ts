import { fillFromRandomPool } from './random-pool.ts'

const bytes = Buffer.alloc(16)

/** RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits. Time-ordered, so B-tree friendly. */
export function uuidv7(): string {
  const ms = Date.now()
  // The 48-bit timestamp as 32 + 16 bits (a Number holds it exactly; no BigInt per call).
  bytes.writeUInt32BE(Math.floor(ms / 0x10000), 0)
  bytes.writeUInt16BE(ms % 0x10000, 4)
  fillFromRandomPool(bytes, 6, 10)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
