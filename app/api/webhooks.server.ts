import 'zod-openapi'
import { z } from 'zod'
import { pageAfterId } from '#app/domain/api-resources.server.ts'
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  HAND_SENT_DELIVERY_LIMIT,
  listWebhookDeliveries,
  listWebhookEndpoints,
  handSentLimitMessage,
  redeliverWebhook,
  rotateWebhookSecret,
  rotationPendingMessage,
  setWebhookEndpointEnabled,
  updateWebhookEndpoint,
  URL_TAKEN_MESSAGE,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '#app/domain/webhooks.server.ts'
import { WebhookEventType } from '#app/utils/webhook-schemas.ts'
import type { ApiPrincipal } from './auth.server.ts'
import { operation } from './operation.server.ts'
import { invalidCursor, pageResponse } from './pagination.server.ts'
import { problem } from './problem.server.ts'
import { isoOrNull } from '#app/domain/serializers.server.ts'
import {
  LimitProblem,
  listOf,
  MAX_LIMIT,
  PageQuery,
  WebhookConflictProblem,
  withSomethingToChange,
} from './schemas.server.ts'

/**
 * /api/v1/webhooks: outbound webhook endpoints and their deliveries, with the same domain
 * operations as Settings → Webhooks. Needs the webhooks:manage scope and, like the page, a token
 * whose creator is an owner or admin.
 */

const Id = z.uuid()
const Timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC' })

const Endpoint = z
  .object({
    id: Id,
    url: z.string(),
    description: z.string(),
    events: z.array(WebhookEventType),
    include_notes: z.boolean(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    failing_since: Timestamp.nullable(),
    previous_secret_expires_at: Timestamp.nullable().meta({
      description: 'Until then the previous secret also signs (after a rotation)',
    }),
    created_at: Timestamp,
  })
  .meta({ id: 'WebhookEndpoint' })

const EndpointWithSecret = Endpoint.extend({
  secret: z.string().meta({
    description: 'The signing secret (whsec_…). Returned only here, once: store it now.',
  }),
}).meta({ id: 'WebhookEndpointWithSecret' })

const Delivery = z
  .object({
    id: Id,
    webhook_id: z.string().meta({ description: 'The webhook-id header (the same for a redelivery)' }),
    event_type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    response_status: z.number().int().nullable(),
    response_snippet: z
      .string()
      .nullable()
      .meta({ description: 'First 500 characters of the last response' }),
    latency_ms: z.number().int().nullable(),
    error: z.string().nullable(),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'WebhookDelivery' })

const Url = z.string().trim().min(1).max(2000).meta({ example: 'https://example.com/switchboard-events' })
const Description = z.string().trim().max(200)
const Events = z.array(WebhookEventType).min(1, { error: 'Choose at least one event' })

const CreateBody = z
  .strictObject({
    url: Url,
    description: Description.optional(),
    events: Events,
    include_notes: z.boolean().optional().meta({ description: 'Send internal notes as message.created too' }),
  })
  .meta({ id: 'CreateWebhookEndpoint' })

const UpdateBody = withSomethingToChange(
  z.strictObject({
    url: Url.optional(),
    description: Description.optional(),
    events: Events.optional(),
    include_notes: z.boolean().optional(),
    enabled: z.boolean().optional().meta({ description: 'false turns it off; true turns it back on' }),
  }),
).meta({ id: 'UpdateWebhookEndpoint' })

const EndpointParams = z.object({ id: Id })
const DeliveryParams = z.object({ id: Id, delivery_id: Id })
/** `cursor` is taken as on every list, but this one has a single page: any cursor is invalid. */
const DeliveriesQuery = PageQuery

function endpointJson(e: WebhookEndpoint): z.input<typeof Endpoint> {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    include_notes: e.includeNotes,
    enabled: e.disabledAt === null,
    disabled_reason: e.disabledReason,
    failing_since: isoOrNull(e.failingSince),
    previous_secret_expires_at:
      e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date()
        ? isoOrNull(e.previousSecretExpiresAt)
        : null,
    created_at: e.createdAt.toISOString(),
  }
}

function deliveryJson(d: WebhookDelivery): z.input<typeof Delivery> {
  return {
    id: d.id,
    webhook_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    response_status: d.responseStatus,
    response_snippet: d.responseSnippet,
    latency_ms: d.latencyMs,
    error: d.error,
    next_attempt_at: d.status === 'pending' ? isoOrNull(d.nextAttemptAt) : null,
    created_at: d.createdAt.toISOString(),
  }
}

async function endpointOr404(principal: ApiPrincipal, id: string) {
  const endpoint = await getWebhookEndpoint(principal, id)
  if (!endpoint) throw problem('not-found', 'No such webhook endpoint in this workspace.')
  return endpoint
}

function invalidUrl(reason: string) {
  return problem('unprocessable', `url: ${reason}.`, {
    extensions: { errors: [{ field: 'url', message: reason }] },
  })
}

/** 409: another endpoint of the workspace has the URL (its id in `webhook_id`). */
function urlTaken(existingId: string) {
  return problem('conflict', `url: ${URL_TAKEN_MESSAGE}.`, {
    extensions: { webhook_id: existingId, errors: [{ field: 'url', message: URL_TAKEN_MESSAGE }] },
  })
}

const NO_ENDPOINT = 'No such webhook endpoint in the workspace (`not-found`)'
const URL_TAKEN = {
  description:
    'another endpoint of the workspace has this `url` (`conflict`; `webhook_id` names it, `errors` is on `url`)',
  schema: WebhookConflictProblem,
}
const URL_REFUSED =
  '`url` is not one webhooks may go to: not https, a private or internal address, or port 0 (`unprocessable`, `errors` on `url`)'

export const listWebhooks = operation({
  operationId: 'listWebhooks',
  method: 'GET',
  path: '/webhooks',
  summary: 'List the webhook endpoints, oldest first',
  tag: 'Webhooks',
  scope: 'webhooks:manage',
  role: 'admin',
  query: PageQuery,
  response: {
    status: 200,
    description: 'A page of endpoints',
    schema: listOf(Endpoint, 'WebhookEndpointList'),
    headers: ['Link'],
  },
  async handle({ principal, query, url }) {
    const all = await listWebhookEndpoints(principal)
    return pageResponse(url, pageAfterId('webhooks', all, query.cursor, query.limit), endpointJson)
  },
})

export const createWebhook = operation({
  operationId: 'createWebhook',
  method: 'POST',
  path: '/webhooks',
  summary: 'Add an endpoint (its signing secret is in this response only)',
  tag: 'Webhooks',
  scope: 'webhooks:manage',
  role: 'admin',
  body: CreateBody,
  response: {
    status: 201,
    description: 'The new endpoint and its secret',
    schema: EndpointWithSecret,
    headers: ['Location'],
  },
  errors: { 409: URL_TAKEN, 422: URL_REFUSED },
  async handle({ principal, body }) {
    const outcome = await createWebhookEndpoint(principal, {
      url: body.url,
      description: body.description ?? '',
      events: body.events,
      includeNotes: body.include_notes ?? false,
    })
    if (outcome.kind === 'invalid-url') throw invalidUrl(outcome.reason)
    if (outcome.kind === 'url-taken') throw urlTaken(outcome.id)
    if (outcome.kind !== 'ok') throw problem('not-found', 'No such webhook endpoint.')
    const endpoint = await endpointOr404(principal, outcome.id)
    return {
      body: { ...endpointJson(endpoint), secret: outcome.secret! },
      headers: { location: `/api/v1/webhooks/${outcome.id}` },
    }
  },
})

export const updateWebhook = operation({
  operationId: 'updateWebhook',
  method: 'PATCH',
  path: '/webhooks/{id}',
  summary: 'Change an endpoint’s URL, description, events, notes option, or turn it off and on',
  tag: 'Webhooks',
  scope: 'webhooks:manage',
  role: 'admin',
  params: EndpointParams,
  body: UpdateBody,
  response: { status: 200, description: 'The endpoint after the change', schema: Endpoint },
  errors: { 404: NO_ENDPOINT, 409: URL_TAKEN, 422: URL_REFUSED },
  async handle({ principal, params, body }) {
    await endpointOr404(principal, params.id)
    const { enabled, include_notes, ...rest } = body
    if (Object.values(rest).some((v) => v !== undefined) || include_notes !== undefined) {
      const outcome = await updateWebhookEndpoint(principal, params.id, {
        ...rest,
        includeNotes: include_notes,
      })
      if (outcome.kind === 'invalid-url') throw invalidUrl(outcome.reason)
      if (outcome.kind === 'url-taken') throw urlTaken(outcome.id)
    }
    if (enabled !== undefined) await setWebhookEndpointEnabled(principal, params.id, enabled)
    return { body: endpointJson(await endpointOr404(principal, params.id)) }
  },
})

export const deleteWebhook = operation({
  operationId: 'deleteWebhook',
  method: 'DELETE',
  path: '/webhooks/{id}',
  summary: 'Delete an endpoint and its delivery history',
  tag: 'Webhooks',
  scope: 'webhooks:manage',
  role: 'admin',
  params: EndpointParams,
  response: {
    status: 200,
    description: 'Deleted',
    schema: z.object({ id: Id, deleted: z.literal(true) }).meta({ id: 'WebhookEndpointDeleted' }),
  },
  errors: { 404: NO_ENDPOINT },
  async handle({ principal, params }) {
    const outcome = await deleteWebhookEndpoint(principal, params.id)
    if (outcome.kind !== 'ok') throw problem('not-found', 'No such webhook endpoint in this workspace.')
    return { body: { id: params.id, deleted: true as const } }
  },
})

export const rotateWebhookSecretOp = operation({
  operationId: 'rotateWebhookSecret',
  method: 'POST',
  path: '/webhooks/{id}/rotate-secret',
  summary: 'Replace the signing secret; the old one keeps signing beside it for 24 hours',
  tag: 'Webhooks',
  scope: 'webhooks:manage',
  role: 'admin',
  params: EndpointParams,
  response: { status: 200, description: 'The endpoint and its new secret', schema: EndpointWithSecret },
  errors: {
    404: NO_ENDPOINT,
    409: 'the previous secret still signs (within 24 hours of the last rotation): rotate again after the time the message names (`conflict`)',
  },
  async handle({ principal, params }) {
    const outcome = await rotateWebhookSecret(principal, params.id)
    if (outcome.kind === 'rotation-pending') throw problem('conflict', rotationPendingMessage(outcome.until))
    if (outcome.kind !== 'ok') throw problem('not-found', 'No such webhook endpoint in this workspace.')
    return { body: { ...endpointJson(await endpointOr404(principal, params.id)), secret: outcome.secret! } }
  },
})

export const listWebhookDeliveriesOp = operation({
  operationId: 'listWebhookDeliveries',
  method: 'GET',
  path: '/webhooks/{id}/deliveries',
  summary: `An endpoint’s most recent deliveries, newest first (at most ${MAX_LIMIT})`,
  tag: 'Webhooks',
  scope: 'webhooks:manage',
  role: 'admin',
  params: EndpointParams,
  query: DeliveriesQuery,
  response: {
    status: 200,
    description: 'Recent deliveries (no further pages: next_cursor is always null)',
    schema: listOf(Delivery, 'WebhookDeliveryList'),
  },
  errors: { 404: NO_ENDPOINT },
  async handle({ principal, params, query }) {
    await endpointOr404(principal, params.id)
    if (query.cursor !== undefined) throw invalidCursor()
    const rows = await listWebhookDeliveries(principal, params.id, query.limit)
    return { body: { data: rows.map(deliveryJson), next_cursor: null } }
  },
})

export const redeliverWebhookOp = operation({
  operationId: 'redeliverWebhook',
  method: 'POST',
  path: '/webhooks/{id}/deliveries/{delivery_id}/redeliver',
  summary: 'Send a delivery again (same webhook-id and body, new signature and timestamp)',
  tag: 'Webhooks',
  scope: 'webhooks:manage',
  role: 'admin',
  params: DeliveryParams,
  response: {
    status: 201,
    description: 'The new delivery, queued',
    schema: Delivery,
    headers: ['Location'],
  },
  errors: {
    404: 'No such webhook endpoint in the workspace, or no such delivery of it (`not-found`)',
    429: {
      description: `the workspace’s ${HAND_SENT_DELIVERY_LIMIT.max} hand-sent deliveries (test events and redeliveries) per ${HAND_SENT_DELIVERY_LIMIT.windowMs / 60_000} minutes are used up (\`rate-limited\`, with \`limit\` and \`retry_after\`); nothing was queued`,
      schema: LimitProblem,
    },
  },
  async handle({ principal, params }) {
    await endpointOr404(principal, params.id)
    const outcome = await redeliverWebhook(principal, params.delivery_id, params.id)
    if (outcome.kind === 'too-many') {
      throw problem('rate-limited', handSentLimitMessage(outcome), {
        headers: { 'retry-after': String(outcome.retryAfterSeconds) },
        extensions: { limit: outcome.max, retry_after: outcome.retryAfterSeconds },
      })
    }
    if (outcome.kind !== 'ok') {
      throw problem('not-found', 'No such delivery for this endpoint.')
    }
    const [delivery] = (await listWebhookDeliveries(principal, params.id, 5)).filter(
      (d) => d.id === outcome.deliveryId,
    )
    if (!delivery) throw new Error('The new delivery is missing')
    return { body: deliveryJson(delivery), headers: { location: `/api/v1/webhooks/${params.id}/deliveries` } }
  },
})
