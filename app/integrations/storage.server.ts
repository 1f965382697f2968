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
 * The disk refused the file (full, read-only, missing permissions, a path that is not a
 * directory…). Kept apart from errors of the source stream, which are the uploader's doing.
 */
export class StorageError extends Error {
  readonly code: string | undefined
  constructor(cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code
    super(`Could not store the file${code ? ` (${code})` : ''}`, { cause })
    this.name = 'StorageError'
    this.code = code
  }
}

export type StoreStreamOptions = {
  /**
   * Flush the file to disk (fsync) before it takes its content address, for callers that answer
   * "safe" right after (the Inbound Parse webhook).
   */
  durable?: boolean
  /** Sees each chunk as it passes (an incremental signature check). */
  onChunk?: (chunk: Buffer) => void
  /**
   * Runs once the whole source is on disk, before the file takes its content address; a throw
   * removes the temporary file and is rethrown (a signature that turned out bad).
   */
  beforeCommit?: (sha256: string) => void
  /**
   * Runs just before the file takes its content address, with the copy it will be there: an
   * upload marks its use of the address first (a pending marker), so that another instance
   * removing the same bytes at that moment sees it (removeStoredCopy's `inUseElsewhere`). A throw
   * removes the temporary file and is rethrown.
   */
  beforeAddress?: (sha256: string, copy: StoredCopy) => Promise<void>
}

/**
 * Streams `source` to disk while hashing it, giving up past `maxBytes`. The file lands at its
 * content address only when complete, so a failed upload leaves nothing behind: the temporary
 * file is removed whatever failed. `created` is false when the same content was stored already.
 * Throws TooLargeError past `maxBytes`, StorageError when the
 * disk fails, and the source's own error when the source fails (a truncated upload).
 */
export async function storeStream(
  source: Readable | AsyncIterable<Uint8Array>,
  maxBytes: number,
  options: StoreStreamOptions = {},
) {
  const tmpDir = path.join(filesDir(), 'tmp')
  try {
    await fs.promises.mkdir(tmpDir, { recursive: true })
  } catch (error) {
    throw new StorageError(error)
  }
  const tmp = path.join(tmpDir, randomBytes(12).toString('hex'))
  const hash = createHash('sha256')
  let size = 0
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > maxBytes) return callback(new TooLargeError('File too large'))
      hash.update(chunk)
      options.onChunk?.(chunk)
      callback(null, chunk)
    },
  })
  // `flush` fsyncs the descriptor before it closes; the pipeline ends after the close.
  const out = fs.createWriteStream(tmp, { flush: options.durable === true })
  // A failure anywhere destroys every stream of the pipeline with the same error: the stream
  // that reports first is where it happened.
  let failedFirst: 'disk' | 'source' | undefined
  out.once('error', () => (failedFirst ??= 'disk'))
  meter.once('error', () => (failedFirst ??= 'source'))
  try {
    await pipeline(source, meter, out)
  } catch (error) {
    await removeQuietly(tmp)
    if (failedFirst === 'disk') throw new StorageError(error)
    throw error
  }
  const sha256 = hash.digest('hex')
  const target = pathFor(sha256)
  try {
    options.beforeCommit?.(sha256)
  } catch (error) {
    await removeQuietly(tmp)
    throw error
  }
  let created: boolean
  let copy: StoredCopy
  try {
    // Taken before the rename, which keeps the inode: the copy this call put at the address, even
    // if another storer renames its own over it a moment later.
    copy = copyOf(await fs.promises.stat(tmp, { bigint: true }))
    await options.beforeAddress?.(sha256, copy)
    await fs.promises.mkdir(path.dirname(target), { recursive: true })
    created = !(await exists(target))
    await fs.promises.rename(tmp, target)
  } catch (error) {
    await removeQuietly(tmp)
    throw new StorageError(error)
  }
  return { sha256, size, created, copy }
}

/**
 * Which copy of a content's bytes sits at its address: every storer writes a temporary file and
 * renames it into place, so a later storer of the same bytes replaces the inode. Two copies never
 * share one while either exists.
 */
export type StoredCopy = { dev: bigint; ino: bigint }

export function copyOf(stat: fs.BigIntStats): StoredCopy {
  return { dev: stat.dev, ino: stat.ino }
}

export function sameCopy(stat: fs.BigIntStats, copy: StoredCopy) {
  return stat.dev === copy.dev && stat.ino === copy.ino
}

/**
 * Removes the file at `sha256`'s address only if the copy there is the one the caller judged
 * unused (`isJudgedCopy`): it is moved aside first (one atomic rename), looked at, and deleted,
 * or put back when it is another storer's (the same bytes stored again since the caller judged:
 * that storer may be about to commit a row naming it). A storer renaming after the move recreates
 * the file itself. No unlink-if-same-inode exists, and a stat followed by an unlink would delete
 * a copy renamed in between. False when nothing was removed. Callers serialize per address
 * (upload-holds.server.ts: an advisory lock), so put-backs never meet another remover's move.
 */
export async function removeStoredCopy(
  sha256: string,
  isJudgedCopy: (stat: fs.BigIntStats) => boolean,
  /**
   * Asked once the file is off its address: whether a storer elsewhere (another instance) marked
   * its use of these bytes. It marks before its own rename or link, so either it is seen here,
   * or its copy lands on the address emptied by the move and stays.
   */
  inUseElsewhere: () => Promise<boolean> = async () => false,
) {
  const target = pathFor(sha256)
  const aside = path.join(filesDir(), 'tmp', `${randomBytes(12).toString('hex')}.removing`)
  await fs.promises.mkdir(path.dirname(aside), { recursive: true })
  try {
    await fs.promises.rename(target, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
  const stat = await fs.promises.stat(aside, { bigint: true }).catch(() => undefined)
  if (stat && isJudgedCopy(stat) && !(await inUseElsewhere())) {
    await fs.promises.rm(aside, { force: true })
    return true
  }
  // Someone else's copy: back to its address; one stored there meanwhile has the same bytes.
  try {
    await fs.promises.link(aside, target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      await fs.promises.rename(aside, target)
      return false
    }
  }
  await removeQuietly(aside)
  return false
}

async function exists(file: string) {
  try {
    await fs.promises.access(file)
    return true
  } catch {
    return false
  }
}

/**
 * Stores `bytes` at their content address and flushes them to disk (fsync) before returning, for
 * callers that answer "safe" right after (the Inbound Parse webhook). Identical content is
 * stored once. `knownSha256` must be the bytes' sha256 when given. Throws StorageError when the
 * disk fails.
 */
export async function storeBytesDurably(bytes: Buffer, knownSha256?: string) {
  // A caller that already hashed the bytes passes the hash: ~2-3 ms per MB of event-loop time.
  const sha256 = knownSha256 ?? createHash('sha256').update(bytes).digest('hex')
  const target = pathFor(sha256)
  const tmp = path.join(filesDir(), 'tmp', randomBytes(12).toString('hex'))
  try {
    await fs.promises.mkdir(path.dirname(tmp), { recursive: true })
    const file = await fs.promises.open(tmp, 'w')
    try {
      await file.writeFile(bytes)
      await file.sync()
    } finally {
      await file.close()
    }
    await fs.promises.mkdir(path.dirname(target), { recursive: true })
    await fs.promises.rename(tmp, target)
  } catch (error) {
    await removeQuietly(tmp)
    throw new StorageError(error)
  }
  return { sha256, size: bytes.length }
}

export function readStored(sha256: string) {
  return fs.promises.readFile(pathFor(sha256))
}

/** Best effort: the disk that just failed may refuse this too; files.cleanup retries later. */
async function removeQuietly(file: string) {
  await fs.promises.rm(file, { force: true }).catch(() => undefined)
}

export function openStored(sha256: string) {
  return fs.createReadStream(pathFor(sha256))
}
