import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'

/**
 * Whose new name a ticket's API representation shows: a mailbox's (`mailbox.name`, its own
 * tickets), or a member's (`assignee.name`, and `author.name` of their messages and notes, in
 * any workspace: a user's name is the account's, and a removed member's messages still show it).
 */
export type ShownNameScope =
  { kind: 'mailbox'; workspaceId: string; mailboxId: string } | { kind: 'member'; userId: string }

/** Below every UUID: where a walk by id begins. */
const FIRST = '00000000-0000-0000-0000-000000000000'

/**
 * One batch of a rename's walk by ticket id: the next `limit` tickets after `after` that the scope
 * can concern (a mailbox's tickets; for a member every ticket, each checked for an assignment or a
 * message of theirs through the thread's index: messages have no index by author), and of those,
 * the ones showing the name get `updated_at = now()` (so `updated_since` lists them, and the row
 * write is what `changed_after` lists). Only those are locked, in id order as the statement
 * triggers lock tickets; a batch run twice writes them twice, which changes nothing the API shows.
 * `last` is the walk's next `after`, null once this batch reached the end.
 */
export async function markTicketsShowingName(
  db: DbOrTx,
  { scope, after, limit }: { scope: ShownNameScope; after: string | null; limit: number },
): Promise<{ marked: number; last: string | null }> {
  const from = after ?? FIRST
  const examined =
    scope.kind === 'mailbox'
      ? sql`select id from tickets
            where workspace_id = ${scope.workspaceId}::uuid and mailbox_id = ${scope.mailboxId}::uuid
              and id > ${from}::uuid
            order by id limit ${limit}`
      : sql`select id from tickets where id > ${from}::uuid order by id limit ${limit}`
  const showing =
    scope.kind === 'mailbox'
      ? sql`true`
      : sql`(t.assignee_id = ${scope.userId}::uuid
             or exists (select 1 from messages m where m.ticket_id = t.id and m.author_user_id = ${scope.userId}::uuid))`
  const result = await db.execute<{ marked: number; examined: number; last: string | null }>(sql`
    with examined as (${examined}),
    showing as (
      select t.id from tickets t
      where t.id in (select id from examined) and ${showing}
      order by t.id
      for update of t
    ),
    marked as (
      update tickets t set updated_at = now() from showing s where t.id = s.id returning t.id
    )
    select (select count(*) from marked)::int as marked,
      (select count(*) from examined)::int as examined,
      (select id from examined order by id desc limit 1)::text as last`)
  const row = result.rows[0]!
  return { marked: row.marked, last: row.examined < limit ? null : row.last }
}
