import { desc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { env } from '#app/env.server.ts'
import { notFound } from './errors.server.ts'

/** The local outbox viewer (/dev/emails): a developer tool that does not exist in production. */

export function requireLocalProfile() {
  if (env().isProduction) throw notFound()
}

const LIST_LIMIT = 500

/** The newest emails first (at most 500: a local outbox, not an archive). */
export async function listOutbox() {
  return getDb()
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
    .limit(LIST_LIMIT)
}

export async function getOutboxEmail(id: string) {
  if (!z.uuid().safeParse(id).success) return undefined
  const [row] = await getDb()
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
