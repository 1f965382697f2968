import { inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { attachments, inboundEmails } from '../schema.ts'

/**
 * Which of these content addresses a row still names: an attachment, a stored inbound post
 * (inbound_emails.raw_sha256), or a draft's kept files (an undone reply's, drafts.files). A stored
 * file is only removed when none does (files are shared by content hash).
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
  // Few drafts hold files (only undone replies): the scan reads those rows only.
  const kept = await db.execute<{ sha256: string }>(sql`
    select distinct f->>'sha256' as sha256
    from drafts d cross join lateral jsonb_array_elements(d.files) f
    where d.files <> '[]'::jsonb
      and f->>'sha256' in (${sql.join(
        sha256s.map((sha) => sql`${sha}`),
        sql`, `,
      )})`)
  return new Set([...used.map((u) => u.sha256), ...kept.rows.map((r) => r.sha256)])
}
