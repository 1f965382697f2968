import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'

/** Whether an owner of the workspace has verified their email address (the larger limit applies). */
const verifiedOwner = (workspaceId: string) => sql`exists (
  select 1 from memberships m join users u on u.id = m.user_id
  where m.workspace_id = ${workspaceId}::uuid and m.role = 'owner' and u.email_verified_at is not null
)`

export async function workspaceHasVerifiedOwner(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const result = await executePrepared<{ verified: boolean }>(
    db,
    sql`select ${verifiedOwner(workspaceId)} as verified`,
  )
  return result.rows[0]!.verified
}

/**
 * What the outbound email limit needs before a reply's transaction, in one statement: whether an
 * owner of the workspace has verified their email address (the limit then is the larger one),
 * and the ticket's customer address and CC list (how many recipients a reply-all would email;
 * the reply counts them again under its lock). `contactEmail` is null when no such ticket exists.
 * A named prepared statement: planning it cost more than running it (0.8 ms a reply under the
 * bench's load, docs/performance.md).
 */
export async function outboundReplyPreview(
  db: DbOrTx,
  { workspaceId, number }: { workspaceId: string; number: number },
) {
  const result = await executePrepared<{
    verifiedOwner: boolean
    contactEmail: string | null
    cc: string[] | null
  }>(
    db,
    sql`
    select ${verifiedOwner(workspaceId)} as "verifiedOwner",
      c.email as "contactEmail", t.cc
    from (select 1) one
    left join tickets t on t.workspace_id = ${workspaceId}::uuid and t.number = ${number}::int
    left join contacts c on c.id = t.contact_id
  `,
  )
  const row = result.rows[0]!
  return { verifiedOwner: row.verifiedOwner, contactEmail: row.contactEmail, cc: row.cc ?? [] }
}
