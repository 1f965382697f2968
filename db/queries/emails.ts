import { desc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { emails } from '../schema.ts'

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
