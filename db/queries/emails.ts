import { and, desc, eq, gt, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { emailEvents, emails, messages } from '../schema.ts'

type EmailStatus = (typeof emails.$inferSelect)['status']

/** The newest emails first, for the local outbox viewer. */
export async function listOutboxEmails(db: DbOrTx, { limit }: { limit: number }) {
  return db
    .select({
      id: emails.id,
      toAddress: emails.toAddress,
      subject: emails.subject,
      kind: emails.kind,
      status: emails.status,
      createdAt: emails.createdAt,
    })
    .from(emails)
    .orderBy(desc(emails.createdAt), desc(emails.id))
    .limit(limit)
}

/** One email as the local outbox viewer shows it: headers, text and HTML. */
export async function getOutboxEmail(db: DbOrTx, { id }: { id: string }) {
  const [row] = await db
    .select({
      id: emails.id,
      kind: emails.kind,
      status: emails.status,
      fromAddress: emails.fromAddress,
      fromName: emails.fromName,
      toAddress: emails.toAddress,
      replyTo: emails.replyTo,
      subject: emails.subject,
      headers: emails.headers,
      text: emails.text,
      html: emails.html,
      error: emails.error,
      createdAt: emails.createdAt,
      sentAt: emails.sentAt,
    })
    .from(emails)
    .where(eq(emails.id, id))
  return row
}

/** The email a SendGrid event reports on (by our id, else SendGrid's message id), locked for the update. */
export async function lockEmailForEvent(
  db: DbOrTx,
  { emailId, providerId }: { emailId?: string; providerId?: string },
) {
  const [row] = await db
    .select({
      id: emails.id,
      status: emails.status,
      workspaceId: emails.workspaceId,
      messageId: emails.messageId,
      ticketId: emails.ticketId,
      to: emails.toAddress,
      ticketNumber: sql<number | null>`(select t.number from tickets t where t.id = ${emails.ticketId})`,
    })
    .from(emails)
    .where(emailId ? eq(emails.id, emailId) : providerId ? eq(emails.providerId, providerId) : sql`false`)
    .limit(1)
    .for('update')
  return row
}

/** Stores a SendGrid event once (its sg_event_id is the key); false when it was already stored. */
export async function insertEmailEvent(
  db: DbOrTx,
  values: { sgEventId: string; emailId: string; event: string; reason: string | null; occurredAt: Date },
) {
  const inserted = await db
    .insert(emailEvents)
    .values(values)
    .onConflictDoNothing()
    .returning({ id: emailEvents.sgEventId })
  return inserted.length > 0
}

/** The email's delivery status and error, and its message's delivery status. */
export async function setEmailDeliveryStatus(
  db: DbOrTx,
  {
    emailId,
    messageId,
    status,
    error,
  }: { emailId: string; messageId: string | null; status: EmailStatus; error: string | null },
) {
  await db.update(emails).set({ status, error }).where(eq(emails.id, emailId))
  if (messageId) await db.update(messages).set({ deliveryStatus: status }).where(eq(messages.id, messageId))
}

/** Whether an email of `kind` went to `address` (lower case) in the workspace since `since`. */
export async function hasRecentEmailTo(
  db: DbOrTx,
  {
    workspaceId,
    kind,
    address,
    since,
  }: { workspaceId: string; kind: (typeof emails.$inferSelect)['kind']; address: string; since: Date },
) {
  const [row] = await db
    .select({ id: emails.id })
    .from(emails)
    .where(
      and(
        eq(emails.workspaceId, workspaceId),
        eq(emails.kind, kind),
        sql`lower(${emails.toAddress}) = ${address}`,
        gt(emails.createdAt, since),
      ),
    )
    .limit(1)
  return Boolean(row)
}
