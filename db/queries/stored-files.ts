import { inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { attachments, inboundEmails } from '../schema.ts'

/**
 * Which of these content addresses a row still names: an attachment, or a stored inbound post
 * (inbound_emails.raw_sha256). A stored file is only removed when none does (files are shared by
 * content hash).
 */
export async function referencedSha256s(db: DbOrTx, sha256s: string[]) {
  if (sha256s.length === 0) return new Set<string>()
  const used = await db
    .selectDistinct({ sha256: attachments.sha256 })
    .from(attachments)
    .where(inArray(attachments.sha256, sha256s))
    .union(
      db
        .selectDistinct({ sha256: sql<string>`${inboundEmails.rawSha256}` })
        .from(inboundEmails)
        .where(inArray(inboundEmails.rawSha256, sha256s)),
    )
  return new Set(used.map((u) => u.sha256))
}
