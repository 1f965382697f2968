import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { filesDir, removeStoredCopy, sameCopy, type StoredCopy } from '#app/integrations/storage.server.ts'
import { logger } from '#app/logger.server.ts'
import { getDb } from '#db/client.ts'
import { lockKeyForTransaction } from '#db/queries/locks.ts'
import { referencedSha256s } from '#db/queries/stored-files.ts'
import { atEndOfRequest } from './request-scope.server.ts'

/**
 * A file an upload stored is kept only if the request's action names it in a row. This module
 * decides, once the request has ended, and leaves a trace on disk (`files/pending/`) while the
 * decision is open, so a process that dies in between (killed, crashed, restarted) has its files
 * found and removed on the next start (`sweepPendingUploads`) instead of staying on disk.
 */

/** Per content address: how many requests in flight in this process stored it. */
const store = globalThis as unknown as { __switchboardUploadHolds?: Map<string, number> }
// server.ts and the Remix build each load this module: one map for both (the sweep and the routes).
const holders = (store.__switchboardUploadHolds ??= new Map<string, number>())

/**
 * How long a pending marker of a process that may still live (another host on a shared volume)
 * is left alone, and how old an interrupted upload in `files/tmp` must be to go. A request
 * stores its files while its body arrives, and the body deadline (app/http/body-deadline.server.ts:
 * 30 s plus 1 s per 16 KiB) ends a 27 MB body within about 30 minutes: an hour is past any
 * request that could still name the file.
 */
export const PENDING_GRACE_MS = 60 * 60 * 1000

const pendingDir = () => path.join(filesDir(), 'pending')

/** Who stored the file, and which copy (markers written before the copy was recorded lack it). */
type Marker = { host: string; pid: number; dev?: string; ino?: string }

/**
 * Test hooks, to force an interleaving with another instance: `beforeRemoving` runs once a remover
 * holds the address's lock and found no row naming it, just before the file is removed. On
 * globalThis: the tests and the server build each load this module.
 */
type RemovalHooks = { beforeRemoving?: (sha256: string) => Promise<void> }
const hookStore = globalThis as unknown as { __switchboardFileRemovalHooks?: RemovalHooks }
export const fileRemovalHooks: RemovalHooks = (hookStore.__switchboardFileRemovalHooks ??= {})

/**
 * Removes a stored file that no row names and no request of this process holds, if the copy at
 * its address is the one `isJudgedCopy` accepts (the one the caller stored, or one old enough):
 * another instance that stored the same bytes since renamed its own copy there, and may be about
 * to commit a row naming it, so that copy stays (removeStoredCopy). Every remover of an address
 * (a request's end, the start-up sweep, the nightly files.cleanup, on any instance) takes the
 * address's advisory lock in PostgreSQL and reads the committed rows under it: removers never
 * interleave, and a row committed before the lock was granted is seen. Nor while another
 * process's live pending marker names the address (pendingElsewhere): two instances can store the
 * same bytes at once, the later rename replacing the earlier storer's copy, and the earlier one,
 * not committed yet, must find the file when it commits. True when removed.
 */
export async function removeIfUnreferenced(
  sha256: string,
  isJudgedCopy: Parameters<typeof removeStoredCopy>[1],
  /** The remover's own pending marker (a request's end, the sweep's): not another's use. */
  ownMarker?: string,
) {
  // The file work is inside the transaction, to hold the lock; a deadlock retry (none is
  // possible with one advisory lock and a read) would find the file gone or not ours.
  return getDb().transaction(async (tx) => {
    await lockKeyForTransaction(tx, `stored-file:${sha256}`)
    if (holders.has(sha256) || (await referencedSha256s(tx, [sha256])).has(sha256)) return false
    await fileRemovalHooks.beforeRemoving?.(sha256)
    // Another instance uploading the same bytes (its marker is written before its copy takes the
    // address) may commit a row naming them once its request is judged: the file stays for it.
    return removeStoredCopy(sha256, isJudgedCopy, () => pendingElsewhere(sha256, ownMarker))
  })
}

/** A stored upload's use of its address: its pending marker, and the copy it stored. */
export type UploadMark = { sha256: string; marker: string | null; copy: StoredCopy }

/**
 * Marks a request's use of a content address before its copy takes it (storeStream's
 * `beforeAddress`): held in this process, and a pending marker on disk that removers on every
 * instance respect (pendingElsewhere), whether this request's copy ends up at the address, was
 * replaced there, or found the bytes already stored. Then holdUpload, or dropUpload if storing
 * failed.
 */
export async function markUpload(sha256: string, copy: StoredCopy): Promise<UploadMark> {
  holders.set(sha256, (holders.get(sha256) ?? 0) + 1)
  return { sha256, marker: await writeMarker(sha256, copy), copy }
}

/** A marked upload that did not take its address (storing failed after the mark). */
export async function dropUpload(mark: UploadMark) {
  unhold(mark.sha256)
  if (mark.marker) await removeQuietly(mark.marker)
}

/**
 * Files a form stored that no row names once its request has ended (the form was refused: a
 * field error, the rate limit, a collision, a client gone) are removed then, not left on disk
 * for the nightly cleanup: a client sending refused forms with 25 MB of files each filled the
 * disk at line speed (a probe: 480 MB in 15 s, all answered 429). Only a file this request wrote
 * first (`created`) is removed, and only when no other request of this process holding the same
 * content is still running, and only while the copy at its address is still the one this request
 * wrote (another instance that stored the same bytes since keeps its copy: removeIfUnreferenced).
 * The mark (markUpload) is given up at the end either way.
 */
export async function holdUpload(mark: UploadMark, created: boolean) {
  const copy = created ? mark.copy : null
  // Outside a request (tests, scripts) the file is left as before, for files.cleanup.
  if (!atEndOfRequest(() => void releaseUpload(mark.sha256, mark.marker, copy))) await dropUpload(mark)
}

/** Gives up one hold on the content address; true when nobody holds it any more. */
function unhold(sha256: string) {
  const left = (holders.get(sha256) ?? 1) - 1
  if (left > 0) holders.set(sha256, left)
  else holders.delete(sha256)
  return left <= 0
}

/** `copy` is null when the file existed before this request stored it: not ours to remove. */
async function releaseUpload(sha256: string, marker: string | null, copy: StoredCopy | null) {
  const last = unhold(sha256)
  if (!marker) return
  try {
    // Named by a row, or stored again by a request that started meanwhile (its own end decides).
    if (
      copy &&
      last &&
      !holders.has(sha256) &&
      (await removeIfUnreferenced(sha256, (s) => sameCopy(s, copy), marker))
    ) {
      logger().info({ sha256 }, 'unused upload removed')
    }
  } catch (error) {
    // The marker stays: the next start (or the nightly files.cleanup) removes the file instead.
    logger().warn({ err: error, sha256 }, 'unused upload could not be removed')
    return
  }
  await removeQuietly(marker)
}

/**
 * A marker per file a request created, named by the content address, holding who wrote it. When
 * it cannot be written (the disk that just took the file refuses a few bytes), the upload goes
 * on: the end of the request still decides, only a crash before then leaves the file to the
 * nightly cleanup.
 */
async function writeMarker(sha256: string, copy: StoredCopy) {
  const file = path.join(pendingDir(), `${sha256}.${randomBytes(6).toString('hex')}`)
  const marker: Marker = {
    host: os.hostname(),
    pid: process.pid,
    dev: String(copy.dev),
    ino: String(copy.ino),
  }
  try {
    await fs.promises.mkdir(pendingDir(), { recursive: true })
    await fs.promises.writeFile(file, JSON.stringify(marker))
    return file
  } catch (error) {
    logger().warn({ err: error, sha256 }, 'upload marker could not be written')
    return null
  }
}

/** Whether a process with this id runs on this host (EPERM: it does, as another user). */
function processAlive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the files of requests that ended without deciding: a marker in `files/pending/` whose
 * process is gone (this host, another pid that no longer runs, or this very pid reused after a
 * restart with no request of ours holding the content), or that is older than PENDING_GRACE_MS
 * (another host on a shared volume). The file goes unless a row names it, a request of this
 * process holds it, or it was stored again after the marker (another request's rename: its own
 * end decides). Also interrupted uploads in `files/tmp` untouched for PENDING_GRACE_MS. Runs at
 * start-up (server.ts) and in the nightly files.cleanup; safe to run twice or at once.
 */
export async function sweepPendingUploads(now = Date.now()) {
  let removed = 0
  const names = await fs.promises.readdir(pendingDir()).catch(() => [] as string[])
  for (const name of names) {
    const file = path.join(pendingDir(), name)
    const sha256 = name.split('.')[0] ?? ''
    if (!/^[0-9a-f]{64}$/.test(sha256)) continue
    const stat = await fs.promises.stat(file).catch(() => undefined)
    if (!stat) continue
    const marker = await readMarker(file)
    if (!isAbandoned(sha256, marker, stat, now)) continue
    // Renamed over by a later upload of the same bytes: not this marker's file any more. Markers
    // that name no copy (written before they did) go by time: not stored again after the marker.
    const copy = marker?.ino !== undefined && marker.dev !== undefined ? markerCopy(marker) : null
    const markedAt = BigInt(Math.floor(stat.mtimeMs))
    const isMarkersCopy = (s: fs.BigIntStats) => (copy ? sameCopy(s, copy) : s.mtimeMs <= markedAt)
    if (await removeIfUnreferenced(sha256, isMarkersCopy, file)) removed++
    await removeQuietly(file)
  }
  const tmp = path.join(filesDir(), 'tmp')
  for (const name of await fs.promises.readdir(tmp).catch(() => [] as string[])) {
    const file = path.join(tmp, name)
    const stat = await fs.promises.stat(file).catch(() => undefined)
    if (stat && now - stat.mtimeMs > PENDING_GRACE_MS) {
      await removeQuietly(file)
      removed++
    }
  }
  if (removed > 0) logger().info({ removed }, 'files of ended uploads removed')
  return { removed }
}

/**
 * Whether a pending marker's request has ended without deciding: its process is gone (this host,
 * another pid that no longer runs, or this very pid with no request of ours holding the content),
 * or it is older than PENDING_GRACE_MS (another host on a shared volume). An unreadable marker may
 * be one being written this moment: only its age decides.
 */
function isAbandoned(sha256: string, marker: Marker | null, stat: fs.Stats, now: number) {
  return (
    now - stat.mtimeMs > PENDING_GRACE_MS ||
    (marker !== null &&
      marker.host === os.hostname() &&
      (marker.pid === process.pid ? !holders.has(sha256) : !processAlive(marker.pid)))
  )
}

/** Whether a request still in flight, here or on another instance, marked `sha256` (not `except`). */
async function pendingElsewhere(sha256: string, except: string | undefined) {
  const now = Date.now()
  const names = await fs.promises.readdir(pendingDir()).catch(() => [] as string[])
  for (const name of names) {
    const file = path.join(pendingDir(), name)
    if (!name.startsWith(`${sha256}.`) || file === except) continue
    const stat = await fs.promises.stat(file).catch(() => undefined)
    if (stat && !isAbandoned(sha256, await readMarker(file), stat, now)) return true
  }
  return false
}

async function readMarker(file: string): Promise<Marker | null> {
  try {
    const value = JSON.parse(await fs.promises.readFile(file, 'utf8')) as Partial<Marker>
    if (typeof value.host === 'string' && typeof value.pid === 'number') {
      const copy =
        typeof value.dev === 'string' && typeof value.ino === 'string'
          ? { dev: value.dev, ino: value.ino }
          : {}
      return { host: value.host, pid: value.pid, ...copy }
    }
  } catch {
    // Cut short by the crash it outlived: nobody is waiting on it.
  }
  return null
}

function markerCopy(marker: Marker): StoredCopy | null {
  try {
    return { dev: BigInt(marker.dev!), ino: BigInt(marker.ino!) }
  } catch {
    return null
  }
}

async function removeQuietly(file: string) {
  await fs.promises.rm(file, { force: true }).catch(() => undefined)
}
