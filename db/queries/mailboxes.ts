import { and, asc, eq, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { mailboxes } from '../schema.ts'

const columns = {
  id: mailboxes.id,
  name: mailboxes.name,
  key: mailboxes.key,
  address: mailboxes.address,
  fromName: mailboxes.fromName,
  signature: mailboxes.signature,
  archivedAt: mailboxes.archivedAt,
}

export async function listMailboxes(
  db: DbOrTx,
  workspaceId: string,
  options: { includeArchived?: boolean } = {},
) {
  return db
    .select(columns)
    .from(mailboxes)
    .where(
      options.includeArchived
        ? eq(mailboxes.workspaceId, workspaceId)
        : and(eq(mailboxes.workspaceId, workspaceId), isNull(mailboxes.archivedAt)),
    )
    .orderBy(asc(mailboxes.createdAt))
}

export async function getMailbox(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select(columns)
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.id, id)))
  return row
}

export async function getMailboxByKey(db: DbOrTx, workspaceId: string, key: string) {
  const [row] = await db
    .select(columns)
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.key, key), isNull(mailboxes.archivedAt)))
  return row
}
