import { type z } from 'zod'
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi'
import { API_SCOPES } from '#app/utils/api-scopes.ts'
import { createContactOp, getContact, listContacts, updateContact } from './contacts.server.ts'
import { createMessage, listMessages } from './messages.server.ts'
import type { Operation } from './operation.server.ts'
import {
  IDEMPOTENCY_KEY_PARAMETER,
  operationResponses,
  RESPONSE_HEADERS,
} from './openapi-responses.server.ts'
import { EmptyBody } from './schemas.server.ts'
import { createTicketOp, getTicket, listTickets, updateTicket } from './tickets.server.ts'
import { webhookDocuments, withWebhookPayloads } from './webhook-payloads.server.ts'
import { listMailboxes, listMembers, listTags } from './workspace.server.ts'
import {
  createWebhook,
  deleteWebhook,
  listWebhookDeliveriesOp,
  listWebhooks,
  redeliverWebhookOp,
  rotateWebhookSecretOp,
  updateWebhook,
} from './webhooks.server.ts'

/** Every operation of /api/v1: the document below is generated from exactly these. */
export const OPERATIONS: Operation[] = [
  listTickets,
  createTicketOp,
  getTicket,
  updateTicket,
  listMessages,
  createMessage,
  listContacts,
  createContactOp,
  getContact,
  updateContact,
  listMailboxes,
  listTags,
  listMembers,
  listWebhooks,
  createWebhook,
  updateWebhook,
  deleteWebhook,
  rotateWebhookSecretOp,
  listWebhookDeliveriesOp,
  redeliverWebhookOp,
]

function toOpenApi(op: Operation): ZodOpenApiOperationObject {
  return {
    operationId: op.operationId,
    summary: op.summary,
    tags: [op.tag],
    description: `Needs the \`${op.scope}\` scope.`,
    security: [{ bearer: [op.scope] }],
    ...(op.params || op.query
      ? {
          requestParams: {
            ...(op.params ? { path: op.params as z.ZodObject } : {}),
            ...(op.query ? { query: op.query as z.ZodObject } : {}),
          },
        }
      : {}),
    ...(op.method === 'POST' ? { parameters: [IDEMPOTENCY_KEY_PARAMETER] } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } }
      : {}),
    // One that reads none refuses any body but `{}` (operation.server.ts, readBody).
    ...(!op.body && op.method !== 'GET'
      ? { requestBody: { required: false, content: { 'application/json': { schema: EmptyBody } } } }
      : {}),
    responses: operationResponses(op),
  }
}

let cached: ReturnType<typeof createDocument> | undefined

/** The OpenAPI 3.1 document of /api/v1, built once per process. */
export function openApiDocument() {
  if (cached) return cached
  const paths: ZodOpenApiPathsObject = {}
  for (const op of OPERATIONS) {
    const item = (paths[op.path] ??= {})
    item[op.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'] = toOpenApi(op)
  }
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: '1.0.0',
      description:
        'The help desk’s REST API. Authenticate with a personal access token from Settings → API tokens. ' +
        'Errors are RFC 9457 problem details (`application/problem+json`); branch on `type`. Every answer carries `X-Request-Id`. ' +
        'Besides the statuses each operation lists, any request can be refused before it reaches the operation: ' +
        '405 `method-not-allowed` for a method its path does not take (with that path’s `Allow`; `OPTIONS` is 204 with it), ' +
        '400 `bad-request` for a malformed request target or unknown `Host`, 408 `request-timeout` for a body that stopped arriving, ' +
        '411 `length-required` for a chunked body without length, 413 for a body over 1 MB, ' +
        '414 `uri-too-long` and 431 `request-header-fields-too-large` for an oversized request line or headers, 503 `unavailable` with `Retry-After`. ' +
        'See docs/api.md for conventions, pagination, idempotency and rate limits.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: {
      headers: RESPONSE_HEADERS,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `A personal access token (sb_pat_…). Scopes: ${API_SCOPES.join(', ')}.`,
        },
      },
    },
    paths,
    webhooks: webhookDocuments(),
  })
  document.components = {
    ...document.components,
    schemas: withWebhookPayloads(document.components?.schemas ?? {}) as NonNullable<
      typeof document.components
    >['schemas'],
  }
  cached = document
  return cached
}
