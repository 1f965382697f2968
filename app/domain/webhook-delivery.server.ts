import { and, eq, inArray, sql } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import { memberships, notifications, users, webhookDeliveries, webhookEndpoints } from '#db/schema.ts'
import { env } from '#app/env.server.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import { logger } from '#app/logger.server.ts'
import { recordAudit } from './audit.server.ts'
import { queueEmail } from './email.server.ts'
import { postWebhook, type Resolver, type WebhookAttempt } from './webhook-http.server.ts'
import { webhookHeaders } from './webhook-signing.server.ts'
import { webhookPolicy } from './webhooks.server.ts'

/**
 * One attempt of one delivery (the `webhook.deliver` job). A failure schedules the next attempt
 * as a new job with `startAfter`, so the backoff is ours and exact rather than pg-boss's jittered
 * one: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27.5 h, the schedule
 * Standard Webhooks senders such as Svix use). An endpoint that has failed every attempt for
 * DISABLE_AFTER_MS is disabled and the workspace's owners and admins are told (bell and email).
 */
export const RETRY_DELAYS_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1
export const DISABLE_AFTER_MS = 3 * 24 * 3600_000

export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed' | 'endpoint-disabled' | 'skipped'

export type DeliverOptions = {
  /** The clock (tests move it forward to reach the 3-day limit). */
  now?: Date
  /** DNS for the SSRF guard (tests resolve names to chosen addresses). */
  resolver?: Resolver
}

export async function deliverWebhook(
  deliveryId: string,
  options: DeliverOptions = {},
): Promise<DeliveryOutcome> {
  const db = getDb()
  const [row] = await db
    .select({
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      eventId: webhookDeliveries.eventId,
      eventType: webhookDeliveries.eventType,
      payload: webhookDeliveries.payload,
      endpointId: webhookEndpoints.id,
      url: webhookEndpoints.url,
      secret: webhookEndpoints.secret,
      previousSecret: webhookEndpoints.previousSecret,
      previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
      disabledAt: webhookEndpoints.disabledAt,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, deliveryId))
  if (!row || row.status !== 'pending') return 'skipped'
  const now = options.now ?? new Date()
  if (row.disabledAt && row.eventType !== 'webhook.test') {
    await db
      .update(webhookDeliveries)
      .set({ status: 'failed', error: 'Endpoint disabled', nextAttemptAt: null })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')))
    return 'skipped'
  }
  // Claim this attempt: a second job for the same attempt (a retry after a lost heartbeat) finds
  // the counter moved and stops, so one attempt is one POST.
  const claimed = await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: now })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, 'pending'),
        eq(webhookDeliveries.attempts, row.attempts),
      ),
    )
    .returning({ attempts: webhookDeliveries.attempts })
  if (claimed.length === 0) return 'skipped'
  const attempt = claimed[0]!.attempts
  const secrets = [row.secret]
  if (row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
    secrets.push(row.previousSecret)
  }
  const headers = webhookHeaders(secrets, row.eventId, row.payload, now)
  const result = await postWebhook(row.url, row.payload, headers, webhookPolicy(), {
    resolver: options.resolver,
  })
  const succeeded = result.kind === 'response' && result.status >= 200 && result.status < 300
  return db.transaction(async (tx) => {
    const recorded = {
      responseStatus: result.kind === 'response' ? result.status : null,
      responseSnippet: result.kind === 'response' ? result.snippet : null,
      latencyMs: result.latencyMs,
      error: errorOf(result),
    }
    if (succeeded) {
      await tx
        .update(webhookDeliveries)
        .set({ ...recorded, status: 'succeeded', nextAttemptAt: null })
        .where(eq(webhookDeliveries.id, deliveryId))
      await tx
        .update(webhookEndpoints)
        .set({ failingSince: null })
        .where(eq(webhookEndpoints.id, row.endpointId))
      return 'succeeded' as const
    }
    const [endpoint] = await tx
      .update(webhookEndpoints)
      .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now})` })
      .where(eq(webhookEndpoints.id, row.endpointId))
      .returning({ failingSince: webhookEndpoints.failingSince, disabledAt: webhookEndpoints.disabledAt })
    if (
      endpoint?.failingSince &&
      !endpoint.disabledAt &&
      now.getTime() - endpoint.failingSince.getTime() >= DISABLE_AFTER_MS
    ) {
      await tx
        .update(webhookDeliveries)
        .set({ ...recorded, status: 'failed', nextAttemptAt: null })
        .where(eq(webhookDeliveries.id, deliveryId))
      await disableEndpoint(tx, row.endpointId, now)
      return 'endpoint-disabled' as const
    }
    if (attempt >= MAX_ATTEMPTS) {
      await tx
        .update(webhookDeliveries)
        .set({ ...recorded, status: 'failed', nextAttemptAt: null })
        .where(eq(webhookDeliveries.id, deliveryId))
      return 'failed' as const
    }
    const delay = RETRY_DELAYS_SECONDS[attempt - 1]!
    await tx
      .update(webhookDeliveries)
      .set({ ...recorded, nextAttemptAt: new Date(now.getTime() + delay * 1000) })
      .where(eq(webhookDeliveries.id, deliveryId))
    await enqueue(tx, 'webhook.deliver', { deliveryId }, { startAfterSeconds: delay })
    return 'retrying' as const
  })
}

function errorOf(result: WebhookAttempt) {
  if (result.kind !== 'response') return result.reason
  if (result.status >= 300 && result.status < 400)
    return `Redirect to elsewhere not followed (HTTP ${result.status})`
  if (result.status >= 200 && result.status < 300) return null
  return `HTTP ${result.status}`
}

/**
 * Disables a failing endpoint, fails its waiting deliveries and tells the workspace's owners and
 * admins: a bell notification each, and an email from the workspace's first mailbox.
 */
async function disableEndpoint(tx: Tx, endpointId: string, now: Date) {
  const [endpoint] = await tx
    .update(webhookEndpoints)
    .set({ disabledAt: now, disabledReason: 'Every delivery failed for 3 days' })
    .where(eq(webhookEndpoints.id, endpointId))
    .returning({ workspaceId: webhookEndpoints.workspaceId, url: webhookEndpoints.url })
  if (!endpoint) return
  await tx
    .update(webhookDeliveries)
    .set({ status: 'failed', error: 'Endpoint disabled', nextAttemptAt: null })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending')))
  await recordAudit(tx, {
    workspaceId: endpoint.workspaceId,
    actorUserId: null,
    action: 'webhook.auto-disabled',
    targetType: 'webhook_endpoint',
    targetId: endpointId,
    data: { url: endpoint.url },
  })
  const admins = await tx
    .select({ userId: users.id, email: users.email, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(eq(memberships.workspaceId, endpoint.workspaceId), inArray(memberships.role, ['owner', 'admin'])),
    )
  if (admins.length === 0) return
  await tx.insert(notifications).values(
    admins.map((a) => ({
      workspaceId: endpoint.workspaceId,
      userId: a.userId,
      kind: 'webhook-disabled' as const,
      webhookEndpointId: endpointId,
      createdAt: now,
    })),
  )
  const [mailbox] = await listMailboxes(tx, endpoint.workspaceId)
  if (!mailbox) return
  const link = `${env().appUrl}/w/${await workspaceSlug(tx, endpoint.workspaceId)}/settings/webhooks`
  for (const admin of admins) {
    await queueEmail(tx, {
      workspaceId: endpoint.workspaceId,
      kind: 'webhook-disabled',
      fromAddress: mailbox.address,
      fromName: 'Switchboard',
      toAddress: admin.email,
      subject: 'A webhook endpoint was disabled',
      ...disabledEmailBodies(endpoint.url, link),
      headers: { 'Auto-Submitted': 'auto-generated' },
    })
  }
  logger().warn(
    { endpointId, workspaceId: endpoint.workspaceId },
    'webhook endpoint disabled after 3 days of failures',
  )
}

async function workspaceSlug(tx: Tx, workspaceId: string) {
  const result = await tx.execute<{ slug: string }>(
    sql`select slug from workspaces where id = ${workspaceId}`,
  )
  return result.rows[0]?.slug ?? ''
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )

function disabledEmailBodies(url: string, link: string) {
  const text =
    `Every delivery to ${url} failed for 3 days, so Switchboard stopped sending to it.\n\n` +
    `Fix the receiver, then turn the endpoint back on (and send a test event) in Settings → Webhooks:\n${link}\n`
  const html =
    `<p>Every delivery to <code>${escapeHtml(url)}</code> failed for 3 days, so Switchboard stopped sending to it.</p>` +
    `<p>Fix the receiver, then turn the endpoint back on (and send a test event) in ` +
    `<a href="${escapeHtml(link)}">Settings → Webhooks</a>.</p>`
  return { text, html }
}
