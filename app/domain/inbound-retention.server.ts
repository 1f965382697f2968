import fs from 'node:fs'
import { getDb } from '#db/client.ts'
import { forgetInboundRaw } from '#db/queries/inbound-emails.ts'
import { referencedSha256s } from '#db/queries/stored-files.ts'
import { env } from '#app/env.server.ts'
import { pathFor } from '#app/integrations/storage.server.ts'
import { logger } from '#app/logger.server.ts'

const DAY_MS = 24 * 60 * 60 * 1000
/** Posts forgotten per statement: short transactions, however large the backlog. */
const BATCH = 500

/**
 * The email.inbound-retention job: a filed email lives on as its message (text, sanitized HTML,
 * attachments), so the raw post it came from (the whole MIME, with every address and the
 * unsanitized HTML) is deleted INBOUND_RAW_RETENTION_DAYS after it was processed. Posts that
 * were not filed (unrouted, failed) are kept INBOUND_FAILED_RETENTION_DAYS (longer) for an
 * operator to look into; posts still waiting to be filed are never deleted. The row stays
 * without its bytes. Safe to run twice, or on two instances at once.
 */
export async function deleteOldInboundPosts(now = new Date()) {
  const { rawRetentionDays, failedRetentionDays } = env().inbound
  const processedBefore = new Date(now.getTime() - rawRetentionDays * DAY_MS)
  const failedBefore = new Date(now.getTime() - Math.max(failedRetentionDays, rawRetentionDays) * DAY_MS)
  let posts = 0
  let files = 0
  for (;;) {
    const sha256s = await forgetInboundRaw(getDb(), { processedBefore, failedBefore, limit: BATCH })
    posts += sha256s.length
    files += await deleteUnusedFiles(sha256s.filter((s): s is string => s !== null))
    if (sha256s.length < BATCH) break
  }
  logger().info({ job: 'email.inbound-retention', posts, files }, 'old inbound posts deleted')
  return { posts, files }
}

/**
 * Files are shared by content address: one is removed only when no attachment, no other post
 * and no draft's kept file names it. A post whose bytes are stored again meanwhile (a very late SendGrid retry) is
 * a duplicate by its dedup key and never names the file; files.cleanup sweeps any leftover.
 */
async function deleteUnusedFiles(sha256s: string[]) {
  const unique = [...new Set(sha256s)]
  const inUse = await referencedSha256s(getDb(), unique)
  let removed = 0
  for (const sha256 of unique) {
    if (inUse.has(sha256)) continue
    await fs.promises.rm(pathFor(sha256), { force: true })
    removed++
  }
  return removed
}
