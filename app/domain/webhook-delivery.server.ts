import { getDb, type Tx } from '#db/client.ts'
import { getWorkspaceSlug } from '#db/queries/email-threading.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import {
  claimWebhookAttempt,
  clearWebhookFailingSince,
  deferWebhookDelivery,
  disableFailingWebhookEndpoint,
  failPendingWebhookDeliveriesOf,
  failPendingWebhookDelivery,
  deliveryClaimedByJob,
  firstUnsentDeliveryOfEndpoint,
  getWebhookDeliveryWithEndpoint,
  insertWebhookDisabledNotifications,
  lockStuckWebhookDeliveries,
  markWebhookFailing,
  releaseWebhookAttempt,
  setWebhookDeliveryFields,
} from '#db/queries/webhooks.ts'
import { listOwnersAndAdmins } from '#db/queries/workspaces.ts'
import { env } from '#app/env.server.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import { logger } from '#app/logger.server.ts'
import { recordAudit } from './audit.server.ts'
import { queueEmail } from './email.server.ts'
import { takeTurn } from './webhook-fairness.server.ts'
import { postWebhook, type Resolver, type WebhookAttempt } from './webhook-http.server.ts'
import { webhookHeaders } from './webhook-signing.server.ts'
import { webhookPolicy } from './webhooks.server.ts'
import { escapeHtml } from '#app/utils/html.ts'

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

export type DeliveryOutcome =
  | 'succeeded'
  | 'retrying'
  | 'failed'
  | 'endpoint-disabled'
  | 'skipped'
  /** Not attempted now: its endpoint or workspace was busy, or the endpoint paused (fairness). */
  | 'deferred'
  /**
   * Attempted, but pg-boss gave up on this run meanwhile (it expired) and another job took the
   * delivery over: that job records its own attempt, this one records nothing.
   */
  | 'superseded'

export type DeliverOptions = {
  /** The clock (tests move it forward to reach the 3-day limit). */
  now?: Date
  /** DNS for the SSRF guard (tests resolve names to chosen addresses). */
  resolver?: Resolver
  /**
   * The job's signal: aborted when the worker stops past its grace (a shutdown) or the job
   * expires. The POST is abandoned and nothing is recorded: pg-boss has failed the job and runs it
   * again, which claims the next attempt.
   */
  signal?: AbortSignal
  /**
   * The job stands for a first attempt (`enqueueWebhooks`): it sends the endpoint's oldest delivery
   * never attempted. Unset: read from its delivery (a job queued before this existed).
   */
  first?: boolean
  /** The pg-boss job, and whether pg-boss runs it again (after an interruption). */
  job?: { id: string; rerun: boolean }
}

export async function deliverWebhook(
  deliveryId: string,
  options: DeliverOptions = {},
): Promise<DeliveryOutcome> {
  const db = getDb()
  const own = await getWebhookDeliveryWithEndpoint(db, { deliveryId })
  if (!own) return 'skipped'
  const test = own.eventType === 'webhook.test'
  // A first attempt's job sends the endpoint's oldest unsent delivery, not necessarily its own
  // (firstUnsentDeliveryOfEndpoint). A job queued before `first` existed is one unless its
  // delivery waits for a retry.
  const firstAttempt = !test && (options.first ?? !(own.status === 'pending' && own.attempts > 0))
  if (!firstAttempt && own.status !== 'pending') return 'skipped'
  // The endpoint's turn (webhook-fairness.server.ts): one attempt per endpoint at a time, a few per
  // workspace, none while a receiver that keeps timing out is paused. Else put back for later,
  // the attempt not counted.
  const turn = takeTurn({ endpointId: own.endpointId, workspaceId: own.workspaceId, test })
  if (turn.kind === 'wait') return deferDelivery(own.id, own.endpointId, turn.ms, firstAttempt)
  try {
    if (!firstAttempt) return await attemptRow(own, turn.done, options)
    // Chosen while holding the turn, so another loop of this process cannot be sending it. Another
    // instance may claim it first (pg-boss's group limit is not exact between fetches at the same
    // instant): then the next one is this job's.
    const job = options.job
    const interrupted =
      job?.rerun && (await deliveryClaimedByJob(db, { endpointId: own.endpointId, jobId: job.id }))
    if (interrupted) return await attemptRow(interrupted, turn.done, options)
    // Until one is claimed or none is left: a claim lost means another job claimed that one (or it
    // was failed, its endpoint disabled), so each turn of the loop leaves one fewer. This job
    // stands for one unsent delivery: giving up after a few lost claims (it did after 5) left one
    // unsent with no job, for ever.
    for (;;) {
      const row = await firstUnsentDeliveryOfEndpoint(db, { endpointId: own.endpointId })
      if (!row) return 'skipped'
      const outcome = await attemptRow(row, turn.done, options)
      if (outcome !== 'skipped') return outcome
    }
  } finally {
    turn.release()
  }
}

type DeliveryRow = NonNullable<Awaited<ReturnType<typeof getWebhookDeliveryWithEndpoint>>>

async function attemptRow(
  row: DeliveryRow,
  attempted: (attempt: { succeeded: boolean; latencyMs: number }) => void,
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
  if (row.disabledAt && row.eventType !== 'webhook.test') {
    await failPendingWebhookDelivery(getDb(), { deliveryId: row.id })
    return 'skipped'
  }
  return attemptDelivery(row.id, row, options.now ?? new Date(), attempted, options)
}

/**
 * Puts the job back for later. A first attempt's job always comes back (it stands for one of the
 * endpoint's unsent deliveries, whichever is oldest then); a retry's only while its delivery is
 * still pending.
 */
async function deferDelivery(deliveryId: string, endpointId: string, ms: number, first: boolean) {
  return getDb().transaction(async (tx): Promise<DeliveryOutcome> => {
    const until = new Date(Date.now() + ms)
    if (!(await deferWebhookDelivery(tx, { deliveryId, until })) && !first) return 'skipped'
    await enqueue(
      tx,
      'webhook.deliver',
      { deliveryId, ...(first ? { first } : {}) },
      { startAfterSeconds: ms / 1000, group: endpointId },
    )
    return 'deferred'
  })
}

async function attemptDelivery(
  deliveryId: string,
  row: DeliveryRow,
  now: Date,
  attempted: (attempt: { succeeded: boolean; latencyMs: number }) => void,
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
  const db = getDb()
  // Claim this attempt: a second job for the same attempt (a retry after a lost heartbeat) finds
  // the counter moved and stops, and no job claims the next one while another live job holds this
  // one (its POST may be in flight), so one attempt is one POST. Before, a job of another process
  // whose own delivery was in flight claimed the next attempt and POSTed it again at once.
  const attempt = await claimWebhookAttempt(db, {
    deliveryId,
    attempts: row.attempts,
    at: now,
    jobId: options.job?.id,
  })
  if (attempt === undefined) return 'skipped'
  const secrets = [row.secret]
  if (row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
    secrets.push(row.previousSecret)
  }
  const headers = webhookHeaders(secrets, row.eventId, row.payload, now)
  const result = await postWebhook(row.url, row.payload, headers, webhookPolicy(), {
    resolver: options.resolver,
    signal: options.signal,
  })
  if (options.signal?.aborted) throw new Error('Webhook attempt interrupted: the worker stopped')
  const succeeded = result.kind === 'response' && result.status >= 200 && result.status < 300
  attempted({ succeeded, latencyMs: result.latencyMs })
  return db.transaction(async (tx): Promise<DeliveryOutcome> => {
    if (!(await releaseWebhookAttempt(tx, { deliveryId, jobId: options.job?.id }))) return 'superseded'
    const recorded = {
      responseStatus: result.kind === 'response' ? result.status : null,
      responseSnippet: result.kind === 'response' ? result.snippet : null,
      latencyMs: result.latencyMs,
      error: errorOf(result),
    }
    if (succeeded) {
      await setWebhookDeliveryFields(tx, {
        deliveryId,
        set: { ...recorded, status: 'succeeded', nextAttemptAt: null },
      })
      await clearWebhookFailingSince(tx, { endpointId: row.endpointId })
      return 'succeeded' as const
    }
    const endpoint = await markWebhookFailing(tx, { endpointId: row.endpointId, at: now })
    if (
      endpoint?.failingSince &&
      !endpoint.disabledAt &&
      now.getTime() - endpoint.failingSince.getTime() >= DISABLE_AFTER_MS
    ) {
      await setWebhookDeliveryFields(tx, {
        deliveryId,
        set: { ...recorded, status: 'failed', nextAttemptAt: null },
      })
      await disableEndpoint(tx, row.endpointId, now)
      return 'endpoint-disabled' as const
    }
    if (attempt >= MAX_ATTEMPTS) {
      await setWebhookDeliveryFields(tx, {
        deliveryId,
        set: { ...recorded, status: 'failed', nextAttemptAt: null },
      })
      return 'failed' as const
    }
    const delay = RETRY_DELAYS_SECONDS[attempt - 1]!
    await setWebhookDeliveryFields(tx, {
      deliveryId,
      set: { ...recorded, nextAttemptAt: new Date(now.getTime() + delay * 1000) },
    })
    await enqueue(tx, 'webhook.deliver', { deliveryId }, { startAfterSeconds: delay, group: row.endpointId })
    return 'retrying' as const
  })
}

/** A due delivery with no job waits this long for the sweep (its jobs are enqueued with it). */
export const STUCK_GRACE_SECONDS = 60
const STUCK_PER_SWEEP = 500

/**
 * Queues a job again for each pending delivery that is due and that no job will attempt (run by
 * sessions.cleanup, every 15 minutes): one whose jobs all ended without attempting it, or whose
 * attempt's job died and was given up by pg-boss (dead-lettered). Each such delivery used to stay
 * `pending` and due for ever, attempted by nothing and shown to no one. Logged as a warning: it
 * means a job was lost. Returns how many were queued.
 */
export async function requeueStuckWebhookDeliveries() {
  const stuck = await getDb().transaction(async (tx) => {
    const rows = await lockStuckWebhookDeliveries(tx, {
      graceSeconds: STUCK_GRACE_SECONDS,
      limit: STUCK_PER_SWEEP,
    })
    for (const row of rows) {
      // Never attempted: a first attempt's job (it sends the endpoint's oldest unsent delivery).
      const data = row.attempts === 0 ? { deliveryId: row.id, first: true } : { deliveryId: row.id }
      await enqueue(tx, 'webhook.deliver', data, { group: row.endpointId })
    }
    return rows
  })
  if (stuck.length > 0) {
    logger().warn(
      { job: 'sessions.cleanup', deliveries: stuck.length, deliveryIds: stuck.slice(0, 20).map((r) => r.id) },
      'webhook deliveries that no job would attempt were queued again',
    )
  }
  return stuck.length
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
  const endpoint = await disableFailingWebhookEndpoint(tx, { endpointId, at: now })
  if (!endpoint) return
  await failPendingWebhookDeliveriesOf(tx, { endpointId })
  await recordAudit(tx, {
    workspaceId: endpoint.workspaceId,
    actorUserId: null,
    action: 'webhook.auto-disabled',
    targetType: 'webhook_endpoint',
    targetId: endpointId,
    data: { url: endpoint.url },
  })
  const admins = await listOwnersAndAdmins(tx, { workspaceId: endpoint.workspaceId })
  if (admins.length === 0) return
  await insertWebhookDisabledNotifications(tx, {
    workspaceId: endpoint.workspaceId,
    userIds: admins.map((a) => a.userId),
    endpointId,
    createdAt: now,
  })
  const [mailbox] = await listMailboxes(tx, { workspaceId: endpoint.workspaceId })
  if (!mailbox) return
  const link = `${env().appUrl}/w/${await workspaceSlug(tx, endpoint.workspaceId)}/settings/webhooks`
  for (const admin of admins) {
    await queueEmail(tx, {
      workspaceId: endpoint.workspaceId,
      kind: 'webhook-disabled',
      fromAddress: mailbox.address,
      fromName: 'Switchboard',
      toAddress: admin.email,
      // It names the endpoint's URL: not for an admin removed before it goes (claimEmail).
      recipientUserId: admin.userId,
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
  return (await getWorkspaceSlug(tx, { workspaceId })) ?? ''
}

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
