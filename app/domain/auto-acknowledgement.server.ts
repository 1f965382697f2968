import type { Tx } from '#db/client.ts'
import { hasRecentEmailTo } from '#db/queries/emails.ts'
import { queueEmail } from './email.server.ts'
import { renderAutoAcknowledgement } from './email-templates.server.ts'
import { takeSlotIn } from './rate-limit.server.ts'
import { reserveAutomaticEmail } from './outbound-email-limit.server.ts'

export const AUTO_ACK_WINDOW_MS = 60 * 60 * 1000

export type AutoAcknowledgementInput = {
  workspaceId: string
  /**
   * `threadMessageId`: the ticket's thread root, which the acknowledgement carries as its own
   * Message-ID, so an answer to it that reaches the mailbox without the reply token (its
   * In-Reply-To naming the acknowledgement) threads by header, and the agents' replies, which
   * name the root first in References, name an email the customer has.
   */
  ticket: { id: string; number: number; subject: string; threadMessageId: string }
  mailbox: {
    address: string
    fromName: string
    autoAcknowledge: boolean
    autoAcknowledgeText: string
  }
  /** The sender of the email that opened the ticket. */
  to: string
  /** Reply-To of the ticket (its token address), so an answer lands on the same ticket. */
  replyTo: string
  /** The Message-ID of the customer's email, answered with In-Reply-To / References. */
  inReplyTo?: string
}

export type AutoAcknowledgementOutcome =
  { kind: 'queued'; emailId: string } | { kind: 'off' } | { kind: 'rate-limited' }

/**
 * The automatic answer to a new ticket that arrived by email, when its mailbox turns it on.
 * RFC 3834: marked `Auto-Submitted: auto-replied` (and `X-Auto-Response-Suppress: All` for
 * Exchange), so other robots do not answer it, and at most one per sender per hour per
 * workspace. The caller (inbound email) decides whether the message deserves one at all (no
 * auto-replies to bounces, lists or other auto-replies).
 *
 * The hourly limit is reserved with takeSlotIn (one atomic statement, so parallel inbound jobs and
 * other instances cannot both pass) and checked exactly against the emails table, because the
 * sliding estimate rounds a single hit in the previous window down to zero at the window
 * boundary. Its slots, the sender's and the workspace's budget, are taken on `tx` (the filing's
 * transaction), never on another pool connection while it holds this one: many filings at once
 * on one pool waited for each other's connections. A rolled-back filing gives them back with the
 * email it did not queue; the filing that commits is the one acknowledged.
 */
export async function sendAutoAcknowledgement(
  tx: Tx,
  input: AutoAcknowledgementInput,
): Promise<AutoAcknowledgementOutcome> {
  const text = input.mailbox.autoAcknowledgeText.trim()
  if (!input.mailbox.autoAcknowledge || !text) return { kind: 'off' }
  const sender = input.to.trim().toLowerCase()
  const slot = await takeSlotIn(tx, `auto-ack:${input.workspaceId}:${sender}`, {
    max: 1,
    windowMs: AUTO_ACK_WINDOW_MS,
  })
  if (!slot.allowed) return { kind: 'rate-limited' }
  const recent = await hasRecentEmailTo(tx, {
    workspaceId: input.workspaceId,
    kind: 'auto-acknowledgement',
    address: sender,
    since: new Date(Date.now() - AUTO_ACK_WINDOW_MS),
  })
  if (recent) return { kind: 'rate-limited' }
  // The workspace writes the text and anyone can forge the sender: without a budget per
  // workspace, forged senders made it a relay (docs/security.md#outbound-email-limits…).
  const budget = await reserveAutomaticEmail(input.workspaceId, tx)
  if (!budget.allowed) {
    await slot.release()
    return { kind: 'rate-limited' }
  }
  const rendered = await renderAutoAcknowledgement({
    subject: input.ticket.subject,
    number: input.ticket.number,
    text,
    mailboxName: input.mailbox.fromName,
  })
  const emailId = await queueEmail(tx, {
    ...rendered,
    workspaceId: input.workspaceId,
    ticketId: input.ticket.id,
    kind: 'auto-acknowledgement',
    fromAddress: input.mailbox.address,
    fromName: input.mailbox.fromName,
    toAddress: input.to,
    replyTo: input.replyTo,
    headers: {
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'Message-ID': input.ticket.threadMessageId,
      ...(input.inReplyTo ? { 'In-Reply-To': input.inReplyTo, References: input.inReplyTo } : {}),
    },
  })
  return { kind: 'queued', emailId }
}
