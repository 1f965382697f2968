import fs from 'node:fs'
import path from 'node:path'
import { getDb } from '#db/client.ts'
import { referencedSha256s } from '#db/queries/stored-files.ts'
import { filesDir } from '#app/integrations/storage.server.ts'
import { removeIfUnreferenced, sweepPendingUploads } from '#app/http/upload-holds.server.ts'
import { logger } from '#app/logger.server.ts'

/** Files younger than this are left alone: their message may still be committing. */
const GRACE_MS = 24 * 60 * 60 * 1000

/**
 * Deletes stored files no attachment and no stored inbound post (inbound_emails.raw_sha256)
 * refers to: uploads of forms that were then refused (validation, rate limit, collision) and
 * interrupted uploads in tmp/. Files are shared by content hash, so a file is only removed when
 * no row anywhere names its sha256.
 */
export async function cleanupOrphanFiles(now = Date.now()) {
  const root = filesDir()
  // Uploads whose request ended without deciding (its process died) go after an hour, not a day.
  let removed = (await sweepPendingUploads(now)).removed
  // A file another run (or instance) removed meanwhile is simply gone: running twice is safe.
  const old = (file: string) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false })
    return stat !== undefined && now - stat.mtimeMs > GRACE_MS
  }
  const tmp = path.join(root, 'tmp')
  if (fs.existsSync(tmp)) {
    for (const name of fs.readdirSync(tmp)) {
      const file = path.join(tmp, name)
      if (old(file)) {
        fs.rmSync(file, { force: true })
        removed++
      }
    }
  }
  if (!fs.existsSync(root)) return { removed }
  for (const prefix of fs.readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue
    const dir = path.join(root, prefix)
    const candidates = fs
      .readdirSync(dir)
      .filter((name) => /^[0-9a-f]{64}$/.test(name) && old(path.join(dir, name)))
    for (let i = 0; i < candidates.length; i += 500) {
      const batch = candidates.slice(i, i + 500)
      const keep = await referencedSha256s(getDb(), batch)
      for (const sha of batch) {
        if (keep.has(sha)) continue
        // Checked again under the address's lock, and kept if the bytes were stored again since
        // (another request's copy, younger than the grace): it may be about to be named.
        if (await removeIfUnreferenced(sha, (stat) => now - Number(stat.mtimeMs) > GRACE_MS)) removed++
      }
    }
  }
  logger().info({ job: 'files.cleanup', removed }, 'orphan files removed')
  return { removed }
}
