import { eq } from 'drizzle-orm'
import { getDb, type DbOrTx } from '#db/client.ts'
import { emails, messages } from '#db/schema.ts'
import { env } from '#app/env.server.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import { headerRecord, headerValue } from './email-headers.server.ts'
import type { Rendered } from './email-templates.server.ts'

export type OutgoingEmail = Rendered & {
  workspaceId: string
  ticketId?: string
  messageId?: string
  kind: 'agent-reply' | 'ticket-confirmation'
  fromAddress: string
  fromName: string
  toAddress: string
  replyTo?: string
  headers?: Record<string, string>
}

/** Host part for Message-IDs we generate: the public host of APP_URL. */
export function messageIdHost() {
  return new URL(env().appUrl).hostname
}

export function newMessageId(localPart: string) {
  return `<${localPart}@${messageIdHost()}>`
}

/**
 * Records the email and enqueues its delivery on the caller's transaction: the email is sent
 * exactly when the write that caused it commits.
 */
export async function queueEmail(tx: DbOrTx, email: OutgoingEmail) {
  const [row] = await tx
    .insert(emails)
    .values({
      workspaceId: email.workspaceId,
      ticketId: email.ticketId ?? null,
      messageId: email.messageId ?? null,
      kind: email.kind,
      // Everything that becomes a header is one line, whatever the caller passed.
      fromAddress: headerValue(email.fromAddress),
      fromName: headerValue(email.fromName),
      toAddress: headerValue(email.toAddress),
      replyTo: email.replyTo ? headerValue(email.replyTo) : null,
      subject: headerValue(email.subject),
      html: email.html,
      text: email.text,
      headers: headerRecord(email.headers ?? {}),
    })
    .returning({ id: emails.id })
  await enqueue(tx, 'email.send', { emailId: row.id })
  return row.id
}

/**
 * Delivers one queued email. Until the SendGrid channel is wired, the transport is the local
 * outbox: the emails table itself, readable at /dev/emails in the local profile.
 */
export async function deliverEmail(emailId: string) {
  const [email] = await getDb().select().from(emails).where(eq(emails.id, emailId))
  if (!email || email.status === 'sent') return
  await getDb().transaction(async (tx) => {
    await tx
      .update(emails)
      .set({ status: 'sent', sentAt: new Date(), providerId: 'local-outbox' })
      .where(eq(emails.id, emailId))
    // The agent's reply shows its delivery state on the ticket.
    if (email.messageId) {
      await tx.update(messages).set({ deliveryStatus: 'sent' }).where(eq(messages.id, email.messageId))
    }
  })
}
