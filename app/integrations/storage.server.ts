import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform, type Readable } from 'node:stream'
import { env } from '#app/env.server.ts'

/** Attachments live under DATA_DIR/files, addressed by their sha256: identical files are stored once. */
export function filesDir() {
  return path.join(env().dataDir, 'files')
}

export function pathFor(sha256: string) {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('Invalid content address')
  return path.join(filesDir(), sha256.slice(0, 2), sha256)
}

export class TooLargeError extends Error {}

/**
 * Streams `source` to disk while hashing it, giving up past `maxBytes`. The file lands at its
 * content address only when complete, so a failed upload leaves nothing behind.
 */
export async function storeStream(source: Readable | AsyncIterable<Uint8Array>, maxBytes: number) {
  const tmpDir = path.join(filesDir(), 'tmp')
  await fs.promises.mkdir(tmpDir, { recursive: true })
  const tmp = path.join(tmpDir, randomBytes(12).toString('hex'))
  const hash = createHash('sha256')
  let size = 0
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > maxBytes) return callback(new TooLargeError('File too large'))
      hash.update(chunk)
      callback(null, chunk)
    },
  })
  try {
    await pipeline(source, meter, fs.createWriteStream(tmp))
  } catch (error) {
    await fs.promises.rm(tmp, { force: true })
    throw error
  }
  const sha256 = hash.digest('hex')
  const target = pathFor(sha256)
  await fs.promises.mkdir(path.dirname(target), { recursive: true })
  await fs.promises.rename(tmp, target)
  return { sha256, size }
}

export function openStored(sha256: string) {
  return fs.createReadStream(pathFor(sha256))
}
