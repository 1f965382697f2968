import { and, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { attachments, inboundEmails, messages } from '../schema.ts'

/** When the mailbox last received an email that was filed (or deliberately not filed). */
export async function lastInboundReceivedAt(
  db: DbOrTx,
  { workspaceId, mailboxId }: { workspaceId: string; mailboxId: string },
) {
  const [row] = await db
    .select({ at: inboundEmails.receivedAt })
    .from(inboundEmails)
    .where(
      and(
        eq(inboundEmails.workspaceId, workspaceId),
        eq(inboundEmails.mailboxId, mailboxId),
        inArray(inboundEmails.status, ['filed', 'duplicate', 'bounce', 'dropped']),
      ),
    )
    .orderBy(desc(inboundEmails.receivedAt))
    .limit(1)
  return row?.at
}

/** The mailbox's last inbound email that failed or carries an error. */
export async function lastInboundFailure(
  db: DbOrTx,
  { workspaceId, mailboxId }: { workspaceId: string; mailboxId: string },
) {
  const [row] = await db
    .select({ at: inboundEmails.receivedAt, error: inboundEmails.error })
    .from(inboundEmails)
    .where(
      and(
        eq(inboundEmails.workspaceId, workspaceId),
        eq(inboundEmails.mailboxId, mailboxId),
        sql`(${inboundEmails.status} = 'failed' or ${inboundEmails.error} is not null)`,
      ),
    )
    .orderBy(desc(inboundEmails.receivedAt))
    .limit(1)
  return row
}

/** An inbound message's stored (sanitized) HTML, when it has one. */
export async function getMessageHtml(
  db: DbOrTx,
  { workspaceId, messageId }: { workspaceId: string; messageId: string },
) {
  const [row] = await db
    .select({ html: messages.bodyHtml })
    .from(messages)
    .where(
      and(eq(messages.id, messageId), eq(messages.workspaceId, workspaceId), isNotNull(messages.bodyHtml)),
    )
  return row?.html ?? undefined
}

/** The message's attachments by content hash (inline images are referenced as cid:<sha256>). */
export async function listMessageAttachmentHashes(
  db: DbOrTx,
  { workspaceId, messageId }: { workspaceId: string; messageId: string },
) {
  return db
    .select({ id: attachments.id, sha256: attachments.sha256 })
    .from(attachments)
    .where(and(eq(attachments.messageId, messageId), eq(attachments.workspaceId, workspaceId)))
}
