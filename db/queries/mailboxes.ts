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
  autoAcknowledge: mailboxes.autoAcknowledge,
  autoAcknowledgeText: mailboxes.autoAcknowledgeText,
  archivedAt: mailboxes.archivedAt,
}

export async function listMailboxes(
  db: DbOrTx,
  { workspaceId, includeArchived = false }: { workspaceId: string; includeArchived?: boolean },
) {
  return db
    .select(columns)
    .from(mailboxes)
    .where(
      includeArchived
        ? eq(mailboxes.workspaceId, workspaceId)
        : and(eq(mailboxes.workspaceId, workspaceId), isNull(mailboxes.archivedAt)),
    )
    .orderBy(asc(mailboxes.createdAt))
}

export async function getMailbox(
  db: DbOrTx,
  { workspaceId, id, forUpdate = false }: { workspaceId: string; id: string; forUpdate?: boolean },
) {
  const query = db
    .select(columns)
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.id, id)))
  const [row] = forUpdate ? await query.for('update') : await query
  return row
}

/** The oldest active mailbox: where a ticket goes when its creator names none (the API's default). */
export async function getFirstActiveMailbox(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const [row] = await db
    .select(columns)
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), isNull(mailboxes.archivedAt)))
    .orderBy(asc(mailboxes.createdAt))
    .limit(1)
  return row
}

export async function getMailboxByKey(
  db: DbOrTx,
  { workspaceId, key }: { workspaceId: string; key: string },
) {
  const [row] = await db
    .select(columns)
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.key, key), isNull(mailboxes.archivedAt)))
  return row
}

export type MailboxValues = { name: string; address: string; fromName: string; signature: string }

export async function insertMailbox(
  db: DbOrTx,
  { workspaceId, values }: { workspaceId: string; values: MailboxValues & { key: string } },
) {
  const [row] = await db
    .insert(mailboxes)
    .values({ workspaceId, ...values })
    .returning(columns)
  return row
}

export async function updateMailboxRow(
  db: DbOrTx,
  { workspaceId, id, values }: { workspaceId: string; id: string; values: MailboxValues },
) {
  const [row] = await db
    .update(mailboxes)
    .set(values)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.id, id)))
    .returning(columns)
  return row
}

export async function setMailboxArchivedAt(
  db: DbOrTx,
  { workspaceId, id, archivedAt }: { workspaceId: string; id: string; archivedAt: Date | null },
) {
  await db
    .update(mailboxes)
    .set({ archivedAt })
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.id, id)))
}

/**
 * The workspace's mailboxes' names and addresses (archived ones too), to refuse a second mailbox
 * with the same name or address. Call it after lockKeyForTransaction(mailboxesKey(workspaceId)).
 */
export async function listMailboxIdentities(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  return db
    .select({
      id: mailboxes.id,
      name: mailboxes.name,
      address: mailboxes.address,
      archivedAt: mailboxes.archivedAt,
    })
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, workspaceId))
}

/** Every mailbox of the workspace, locked, so two concurrent archives cannot leave it without one. */
export async function lockMailboxes(db: DbOrTx, workspaceId: string) {
  return db
    .select({ id: mailboxes.id, archivedAt: mailboxes.archivedAt })
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, workspaceId))
    .for('update')
}

export async function setMailboxAutoAcknowledgement(
  db: DbOrTx,
  {
    workspaceId,
    id,
    values,
  }: { workspaceId: string; id: string; values: { autoAcknowledge: boolean; autoAcknowledgeText: string } },
) {
  const [row] = await db
    .update(mailboxes)
    .set(values)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.id, id)))
    .returning({ id: mailboxes.id })
  return row
}
