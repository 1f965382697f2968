import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { inboundEmails } from '#db/schema.ts'
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
    const [received] = await getDb()
      .select({ at: inboundEmails.receivedAt })
      .from(inboundEmails)
      .where(
        and(
          eq(inboundEmails.workspaceId, member.workspaceId),
          eq(inboundEmails.mailboxId, id),
          inArray(inboundEmails.status, ['filed', 'duplicate', 'bounce', 'dropped']),
        ),
      )
      .orderBy(desc(inboundEmails.receivedAt))
      .limit(1)
    const [failure] = await getDb()
      .select({ at: inboundEmails.receivedAt, error: inboundEmails.error })
      .from(inboundEmails)
      .where(
        and(
          eq(inboundEmails.workspaceId, member.workspaceId),
          eq(inboundEmails.mailboxId, id),
          sql`(${inboundEmails.status} = 'failed' or ${inboundEmails.error} is not null)`,
        ),
      )
      .orderBy(desc(inboundEmails.receivedAt))
      .limit(1)
    perMailbox[id] = {
      lastReceivedAt: received?.at.toISOString() ?? null,
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
