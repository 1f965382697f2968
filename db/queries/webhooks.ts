import { and, desc, eq, inArray, isNull, ne, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { notifications, webhookDeliveries, webhookEndpoints } from '../schema.ts'

// Outbound webhooks: endpoints and deliveries (app/domain/webhooks.server.ts opens the transaction
// and passes `tx`), and one attempt of one delivery (app/domain/webhook-delivery.server.ts).

/** An endpoint that receives deliveries: what enqueueWebhooks needs to pick its targets. */
export type ActiveWebhookEndpoint = { id: string; events: string[]; includeNotes: boolean }

/**
 * The same endpoints as listActiveWebhookEndpoints, as a JSON column of another statement
 * (`workspaceId` is that statement's SQL for the workspace's id), so a write that already runs a
 * statement in its transaction reads them without a round trip of its own.
 */
export function activeWebhookEndpointsColumn(workspaceId: SQL) {
  return sql<ActiveWebhookEndpoint[]>`coalesce((
    select json_agg(json_build_object('id', e.id, 'events', e.events, 'includeNotes', e.include_notes))
    from webhook_endpoints e where e.workspace_id = ${workspaceId} and e.disabled_at is null), '[]'::json)`
}

/** The workspace's enabled endpoints with what they subscribe to. */
export async function listActiveWebhookEndpoints(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  return db
    .select({
      id: webhookEndpoints.id,
      events: webhookEndpoints.events,
      includeNotes: webhookEndpoints.includeNotes,
    })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), isNull(webhookEndpoints.disabledAt)))
}

/** One delivery row per endpoint, due now; returns their ids. */
export async function insertWebhookDeliveries(
  db: DbOrTx,
  {
    workspaceId,
    endpointIds,
    eventId,
    eventType,
    payload,
  }: { workspaceId: string; endpointIds: string[]; eventId: string; eventType: string; payload: string },
) {
  return db
    .insert(webhookDeliveries)
    .values(
      endpointIds.map((endpointId) => ({
        workspaceId,
        endpointId,
        eventId,
        eventType,
        payload,
        nextAttemptAt: new Date(),
      })),
    )
    .returning({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId })
}

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  events: webhookEndpoints.events,
  includeNotes: webhookEndpoints.includeNotes,
  failingSince: webhookEndpoints.failingSince,
  disabledAt: webhookEndpoints.disabledAt,
  disabledReason: webhookEndpoints.disabledReason,
  previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
  /** Who added it (null: their account is gone). */
  addedByName: sql<string | null>`(select u.name from users u where u.id = ${webhookEndpoints.createdById})`,
  /**
   * Whether who added it is still a member under the membership they added it as (a removed
   * member invited back later is a new membership, as for API tokens).
   */
  addedByMember: sql<boolean>`exists (select 1 from memberships m
    where m.workspace_id = ${webhookEndpoints.workspaceId} and m.user_id = ${webhookEndpoints.createdById}
      and m.created_at <= ${webhookEndpoints.createdAt})`,
}

/** The workspace's endpoints, oldest first, without their secrets. */
export async function listWebhookEndpointRows(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  return db
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.workspaceId, workspaceId))
    .orderBy(webhookEndpoints.createdAt, webhookEndpoints.id)
}

export async function getWebhookEndpointRow(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  const [row] = await db
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
  return row
}

/** How many of the workspace's endpoints that still deliver this user added. */
export async function countActiveEndpointsAddedBy(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.workspaceId, workspaceId),
        eq(webhookEndpoints.createdById, userId),
        isNull(webhookEndpoints.disabledAt),
      ),
    )
  return row?.n ?? 0
}

/** Another endpoint of the workspace with exactly this (normalized) URL, if any. */
export async function findWebhookEndpointByUrl(
  db: DbOrTx,
  { workspaceId, url, exceptId }: { workspaceId: string; url: string; exceptId?: string },
) {
  const [row] = await db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.workspaceId, workspaceId),
        eq(webhookEndpoints.url, url),
        exceptId ? ne(webhookEndpoints.id, exceptId) : undefined,
      ),
    )
    .limit(1)
  return row
}

export async function insertWebhookEndpoint(db: DbOrTx, values: typeof webhookEndpoints.$inferInsert) {
  const [row] = await db.insert(webhookEndpoints).values(values).returning({ id: webhookEndpoints.id })
  return row
}

/** Sets fields of the workspace's endpoint; undefined when it has none with this id. */
export async function setWebhookEndpointFields(
  db: DbOrTx,
  {
    workspaceId,
    id,
    set,
  }: { workspaceId: string; id: string; set: Partial<typeof webhookEndpoints.$inferInsert> },
) {
  const [row] = await db
    .update(webhookEndpoints)
    .set(set)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id })
  return row
}

export async function deleteWebhookEndpointRow(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  const [row] = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id, url: webhookEndpoints.url })
  return row
}

/** Whether the endpoint is turned off, its row locked until the transaction ends. */
export async function lockWebhookEndpointState(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  const [row] = await db
    .select({ disabledAt: webhookEndpoints.disabledAt })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .for('update')
  return row
}

/** The endpoint's current secret, locked FOR UPDATE (rotation). */
/** An endpoint's editable fields, its row locked until the transaction ends. */
export async function lockWebhookEndpointFields(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  const [row] = await db
    .select({
      url: webhookEndpoints.url,
      description: webhookEndpoints.description,
      events: webhookEndpoints.events,
      includeNotes: webhookEndpoints.includeNotes,
    })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .for('update')
  return row
}

export async function lockWebhookSecret(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  const [row] = await db
    .select({
      secret: webhookEndpoints.secret,
      previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
    })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .for('update')
  return row
}

export async function setWebhookSecrets(
  db: DbOrTx,
  {
    id,
    secret,
    previousSecret,
    previousSecretExpiresAt,
  }: { id: string; secret: string; previousSecret: string; previousSecretExpiresAt: Date },
) {
  await db
    .update(webhookEndpoints)
    .set({ secret, previousSecret, previousSecretExpiresAt, updatedAt: new Date() })
    .where(eq(webhookEndpoints.id, id))
}

export async function getWebhookEndpointId(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  const [row] = await db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
  return row
}

const deliveryColumns = {
  id: webhookDeliveries.id,
  endpointId: webhookDeliveries.endpointId,
  eventId: webhookDeliveries.eventId,
  eventType: webhookDeliveries.eventType,
  status: webhookDeliveries.status,
  attempts: webhookDeliveries.attempts,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  lastAttemptAt: webhookDeliveries.lastAttemptAt,
  responseStatus: webhookDeliveries.responseStatus,
  responseSnippet: webhookDeliveries.responseSnippet,
  latencyMs: webhookDeliveries.latencyMs,
  error: webhookDeliveries.error,
  createdAt: webhookDeliveries.createdAt,
}

/** An endpoint's most recent deliveries, newest first (webhook_deliveries_endpoint_created_idx). */
export async function listWebhookDeliveryRows(
  db: DbOrTx,
  { workspaceId, endpointId, limit }: { workspaceId: string; endpointId: string; limit: number },
) {
  return db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.workspaceId, workspaceId), eq(webhookDeliveries.endpointId, endpointId)))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit)
}

/** A past delivery of the workspace (optionally: of this endpoint), to send again. */
export async function getWebhookDeliveryForRedelivery(
  db: DbOrTx,
  { workspaceId, id, endpointId }: { workspaceId: string; id: string; endpointId?: string },
) {
  const [row] = await db
    .select({
      endpointId: webhookDeliveries.endpointId,
      eventId: webhookDeliveries.eventId,
      eventType: webhookDeliveries.eventType,
      payload: webhookDeliveries.payload,
    })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.workspaceId, workspaceId),
        eq(webhookDeliveries.id, id),
        endpointId ? eq(webhookDeliveries.endpointId, endpointId) : undefined,
      ),
    )
  return row
}

// One attempt of one delivery (app/domain/webhook-delivery.server.ts).

const deliveryWithEndpoint = {
  id: webhookDeliveries.id,
  workspaceId: webhookDeliveries.workspaceId,
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
}

function deliveriesWithEndpoint(db: DbOrTx) {
  return db
    .select(deliveryWithEndpoint)
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
}

/** The delivery with its endpoint's URL, secrets and state. */
export async function getWebhookDeliveryWithEndpoint(db: DbOrTx, { deliveryId }: { deliveryId: string }) {
  const [row] = await deliveriesWithEndpoint(db).where(eq(webhookDeliveries.id, deliveryId))
  return row
}

/**
 * The endpoint's oldest delivery never attempted, in the order they were recorded (`created_at`,
 * the recording transaction's `now()`, then ids, which count up within a process, db/uuid.ts), test
 * events left out (each is sent by its own job, never held by a pause). Whichever of the
 * endpoint's first-attempt jobs runs sends this one (webhook-delivery.server.ts): jobs of one
 * transaction share their creation time, so pg-boss fetched them in no particular order, and a job
 * put back while the endpoint was busy came back behind the next change's job.
 */
export async function firstUnsentDeliveryOfEndpoint(db: DbOrTx, { endpointId }: { endpointId: string }) {
  const [row] = await deliveriesWithEndpoint(db)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.status, 'pending'),
        eq(webhookDeliveries.attempts, 0),
        ne(webhookDeliveries.eventType, 'webhook.test'),
      ),
    )
    .orderBy(webhookDeliveries.createdAt, webhookDeliveries.id)
    .limit(1)
  return row
}

/**
 * The endpoint's pending delivery whose attempt this job claimed and never recorded: run again
 * after an interruption (a shutdown, a lost heartbeat), a first attempt's job sends it again.
 */
export async function deliveryClaimedByJob(
  db: DbOrTx,
  { endpointId, jobId }: { endpointId: string; jobId: string },
) {
  const [row] = await deliveriesWithEndpoint(db)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.status, 'pending'),
        eq(webhookDeliveries.attemptJobId, jobId),
      ),
    )
    .limit(1)
  return row
}

/** A ticket.updated's deliveries rewritten by a later change of the ticket in the same transaction. */
export async function setWebhookDeliveryPayloads(
  db: DbOrTx,
  { deliveryIds, payload }: { deliveryIds: string[]; payload: string },
) {
  await db.update(webhookDeliveries).set({ payload }).where(inArray(webhookDeliveries.id, deliveryIds))
}

/** Fails a still-pending delivery because its endpoint is disabled. */
export async function failPendingWebhookDelivery(db: DbOrTx, { deliveryId }: { deliveryId: string }) {
  await db
    .update(webhookDeliveries)
    .set({ status: 'failed', error: 'Endpoint disabled', nextAttemptAt: null })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')))
}

/**
 * A delivery's attempt is held by the job that claimed it (`attempt_job_id`) until its outcome is
 * recorded: while that job is waiting, retrying or running, no other job may claim the next
 * attempt (it would POST the delivery a second time while the first POST is in flight, as a job
 * of another process did). A holder pg-boss gave up on (failed) holds nothing.
 */
const heldByAnotherLiveJob = (jobId: string | null) => sql`(
  ${webhookDeliveries.attemptJobId} is not null
  and ${webhookDeliveries.attemptJobId} is distinct from ${jobId}::uuid
  and exists (
    select 1 from pgboss.job j
    where j.name = 'webhook.deliver' and j.id = ${webhookDeliveries.attemptJobId}
      and j.state in ('created', 'retry', 'active')
  ))`

/**
 * Claims the attempt after `attempts` for `jobId`: counts it, only while the delivery is pending,
 * its counter has not moved, and no other live job holds an attempt of it. Returns the new count,
 * or undefined when another job claimed it or is attempting it.
 */
export async function claimWebhookAttempt(
  db: DbOrTx,
  {
    deliveryId,
    attempts,
    at,
    jobId,
  }: { deliveryId: string; attempts: number; at: Date; jobId: string | undefined },
) {
  const claimed = await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: at, attemptJobId: jobId ?? null })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, 'pending'),
        eq(webhookDeliveries.attempts, attempts),
        sql`not ${heldByAnotherLiveJob(jobId ?? null)}`,
      ),
    )
    .returning({ attempts: webhookDeliveries.attempts })
  return claimed[0]?.attempts
}

/**
 * Ends the attempt `jobId` holds, before its outcome is recorded in the same transaction: false
 * when the job no longer holds it (pg-boss gave up on this run and another job took the delivery
 * over: that one records its own attempt).
 */
export async function releaseWebhookAttempt(
  db: DbOrTx,
  { deliveryId, jobId }: { deliveryId: string; jobId: string | undefined },
) {
  const released = await db
    .update(webhookDeliveries)
    .set({ attemptJobId: null })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, 'pending'),
        sql`${webhookDeliveries.attemptJobId} is not distinct from ${jobId ?? null}::uuid`,
      ),
    )
    .returning({ id: webhookDeliveries.id })
  return released.length > 0
}

/**
 * Pending deliveries due for over `graceSeconds` that no job will attempt: none waiting,
 * retrying or running names them, and no live job holds an attempt of them (its process died and
 * pg-boss gave up on it). Locked, skipping rows another sweep has. A first attempt's job may send
 * another delivery of its endpoint than the one it names (the oldest unsent), so one found here may
 * still have a job of its endpoint coming: a second one finds nothing to send, or sends the next.
 */
export async function lockStuckWebhookDeliveries(
  db: DbOrTx,
  { graceSeconds, limit }: { graceSeconds: number; limit: number },
) {
  // The pending deliveries through webhook_deliveries_pending_due_idx (only pending rows, by when
  // they fall due); the live jobs in two anti-joins, each a hash the planner builds once (an OR of
  // the two conditions was a nested loop over every live job for each candidate: 30 s for 10,000
  // pending deliveries beside 10,000 live jobs, against 39 ms).
  const result = await db.execute<{ id: string; endpointId: string; attempts: number }>(sql`
    select d.id, d.endpoint_id as "endpointId", d.attempts from webhook_deliveries d
    where d.status = 'pending'
      and coalesce(d.next_attempt_at, d.created_at) < now() - make_interval(secs => ${graceSeconds})
      and not exists (
        select 1 from pgboss.job j
        where j.name = 'webhook.deliver' and j.state in ('created', 'retry', 'active')
          and j.data->>'deliveryId' = d.id::text
      )
      and not exists (
        select 1 from pgboss.job j
        where j.name = 'webhook.deliver' and j.state in ('created', 'retry', 'active')
          and j.id = d.attempt_job_id
      )
    order by coalesce(d.next_attempt_at, d.created_at)
    limit ${limit}
    for update of d skip locked`)
  return result.rows
}

/** A pending delivery's next attempt moved later without an attempt (webhook-fairness.server.ts). */
export async function deferWebhookDelivery(
  db: DbOrTx,
  { deliveryId, until }: { deliveryId: string; until: Date },
) {
  const deferred = await db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: until })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')))
    .returning({ id: webhookDeliveries.id })
  return deferred.length > 0
}

export async function setWebhookDeliveryFields(
  db: DbOrTx,
  { deliveryId, set }: { deliveryId: string; set: Partial<typeof webhookDeliveries.$inferInsert> },
) {
  await db.update(webhookDeliveries).set(set).where(eq(webhookDeliveries.id, deliveryId))
}

/** A delivery got through: the endpoint's failure streak ends. */
export async function clearWebhookFailingSince(db: DbOrTx, { endpointId }: { endpointId: string }) {
  await db.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, endpointId))
}

/** A delivery failed: the endpoint's failure streak starts now unless it had started. */
export async function markWebhookFailing(db: DbOrTx, { endpointId, at }: { endpointId: string; at: Date }) {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${at})` })
    .where(eq(webhookEndpoints.id, endpointId))
    .returning({ failingSince: webhookEndpoints.failingSince, disabledAt: webhookEndpoints.disabledAt })
  return row
}

/** Disables the endpoint after 3 days of failures; undefined when it is gone. */
export async function disableFailingWebhookEndpoint(
  db: DbOrTx,
  { endpointId, at }: { endpointId: string; at: Date },
) {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ disabledAt: at, disabledReason: 'Every delivery failed for 3 days' })
    .where(eq(webhookEndpoints.id, endpointId))
    .returning({ workspaceId: webhookEndpoints.workspaceId, url: webhookEndpoints.url })
  return row
}

/** Fails every pending delivery of the endpoint (it was disabled). */
export async function failPendingWebhookDeliveriesOf(db: DbOrTx, { endpointId }: { endpointId: string }) {
  await db
    .update(webhookDeliveries)
    .set({ status: 'failed', error: 'Endpoint disabled', nextAttemptAt: null })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending')))
}

/** A bell notification for each of these users that the endpoint was disabled. */
export async function insertWebhookDisabledNotifications(
  db: DbOrTx,
  {
    workspaceId,
    userIds,
    endpointId,
    createdAt,
  }: { workspaceId: string; userIds: string[]; endpointId: string; createdAt: Date },
) {
  await db.insert(notifications).values(
    userIds.map((userId) => ({
      workspaceId,
      userId,
      kind: 'webhook-disabled' as const,
      webhookEndpointId: endpointId,
      createdAt,
    })),
  )
}
