import { getDb } from '#db/client.ts'
import { lastInboundFailure, lastInboundReceivedAt } from '#db/queries/inbound-emails.ts'
import { env } from '#app/env.server.ts'

/** Where the Inbound Parse URL's secret goes, in what Settings → Mailboxes shows. */
export const SECRET_PLACEHOLDER = '<SENDGRID_INBOUND_SECRET>'

export type MailboxWiring = {
  lastReceivedAt: string | null
  lastFailureAt: string | null
  lastFailure: string | null
}

/**
 * How mail reaches the workspace, for Settings → Mailboxes: the Inbound Parse URL with its secret
 * left out, and, per mailbox, the last email received and the last failure. Two indexed lookups
 * per mailbox (inbound_emails_mailbox_idx).
 *
 * The secret is never shown, not even in part and not to owners: it is one per server, and
 * anyone can sign up and own a workspace. Whoever holds it can post forged email to every
 * workspace's forwarding addresses without going through SendGrid (unless posts are signed,
 * SENDGRID_WEBHOOK_PUBLIC_KEY). The person who runs the server set it and configures SendGrid.
 */
export async function inboundWiring(member: { workspaceId: string }, mailboxIds: string[]) {
  const secret = env().inbound.secret
  const base = `${env().appUrl}/webhooks/sendgrid/inbound/`
  const perMailbox: Record<string, MailboxWiring> = {}
  for (const id of mailboxIds) {
    const which = { workspaceId: member.workspaceId, mailboxId: id }
    const receivedAt = await lastInboundReceivedAt(getDb(), which)
    const failure = await lastInboundFailure(getDb(), which)
    perMailbox[id] = {
      lastReceivedAt: receivedAt?.toISOString() ?? null,
      lastFailureAt: failure?.at.toISOString() ?? null,
      lastFailure: failure?.error ?? null,
    }
  }
  return {
    configured: Boolean(secret),
    parseUrl: secret ? `${base}${SECRET_PLACEHOLDER}` : null,
    signed: Boolean(env().inbound.webhookPublicKey),
    perMailbox,
  }
}
