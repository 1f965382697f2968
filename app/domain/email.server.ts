import { randomUUID } from 'node:crypto'
import { and, eq, ne } from 'drizzle-orm'
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
      // Stored with the email, so every retry sends the same Message-ID.
      headers: { 'Message-ID': newMessageId(`email-${randomUUID()}`), ...headerRecord(email.headers ?? {}) },
    })
    .returning({ id: emails.id })
  await enqueue(tx, 'email.send', { emailId: row.id })
  return row.id
}

export type DeliveryOutcome = 'sent' | 'already-sent' | 'missing'

/**
 * Delivers one queued email, at most once from our side however often its job runs: the row is
 * locked, so overlapping attempts (a worker presumed dead that is still running, and the retry
 * of its job) take turns, and the second finds it 'sent' and sends nothing. Every attempt sends
 * the Message-ID stored when the email was queued. Until the SendGrid channel is wired, the
 * transport is the local outbox: the emails row itself, readable at /dev/emails in the local
 * profile, so marking it sent is the delivery.
 */
export async function deliverEmail(emailId: string): Promise<DeliveryOutcome> {
  return getDb().transaction(async (tx) => {
    const [email] = await tx
      .select({ status: emails.status, messageId: emails.messageId })
      .from(emails)
      .where(eq(emails.id, emailId))
      .for('update')
    if (!email) return 'missing'
    if (email.status === 'sent') return 'already-sent'
    await tx
      .update(emails)
      .set({ status: 'sent', sentAt: new Date(), providerId: 'local-outbox', error: null })
      .where(eq(emails.id, emailId))
    // The agent's reply shows its delivery state on the ticket.
    if (email.messageId) {
      await tx.update(messages).set({ deliveryStatus: 'sent' }).where(eq(messages.id, email.messageId))
    }
    return 'sent'
  })
}

/** Records that an email's last delivery attempt failed, unless an earlier one got through. */
export async function markEmailFailed(emailId: string, reason: string) {
  await getDb().transaction(async (tx) => {
    const [email] = await tx
      .update(emails)
      .set({ status: 'failed', error: reason.slice(0, 1000) })
      .where(and(eq(emails.id, emailId), ne(emails.status, 'sent')))
      .returning({ messageId: emails.messageId })
    if (email?.messageId) {
      await tx.update(messages).set({ deliveryStatus: 'failed' }).where(eq(messages.id, email.messageId))
    }
  })
}
