import { getDb } from '#db/client.ts'
import { lastInboundFailure, lastInboundReceivedAt } from '#db/queries/inbound-emails.ts'
import { env } from '#app/env.server.ts'

export type MailboxWiring = {
  lastReceivedAt: string | null
  lastFailureAt: string | null
  lastFailure: string | null
}

/**
 * How mail reaches the workspace, for Settings → Mailboxes: the Inbound Parse URL (the secret
 * masked; the full URL only for those who may copy it) and, per mailbox, the last email received
 * and the last failure. Two indexed lookups per mailbox (inbound_emails_mailbox_idx).
 */
export async function inboundWiring(
  member: { workspaceId: string },
  mailboxIds: string[],
  options: { revealSecret: boolean },
) {
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
    parseUrlMasked: secret ? `${base}${secret.slice(0, 4)}${'•'.repeat(12)}` : null,
    parseUrl: secret && options.revealSecret ? `${base}${secret}` : null,
    signed: Boolean(env().inbound.webhookPublicKey),
    perMailbox,
  }
}
