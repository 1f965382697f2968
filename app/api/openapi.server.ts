import { type z } from 'zod'
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi'
import { API_SCOPES } from '#app/utils/api-scopes.ts'
import { createContactOp, getContact, listContacts, updateContact } from './contacts.server.ts'
import { createMessage, listMessages } from './messages.server.ts'
import type { Operation } from './operation.server.ts'
import { PROBLEMS } from './problem.server.ts'
import { Problem } from './schemas.server.ts'
import { createTicketOp, getTicket, listTickets, updateTicket } from './tickets.server.ts'
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

const COMMON_ERRORS = [400, 401, 403, 429]

const STATUS_TEXT: Record<number, string> = Object.fromEntries(
  Object.values(PROBLEMS).map((p) => [p.status, p.title]),
)

const rateLimitHeaders = {
  'RateLimit-Limit': {
    description: 'Requests allowed per minute for this token',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
} as const

function toOpenApi(op: Operation): ZodOpenApiOperationObject {
  const errors = [...new Set([...COMMON_ERRORS, ...(op.errors ?? [])])].sort()
  const responses: ZodOpenApiResponsesObject = {
    [`${op.response.status}`]: {
      description: op.response.description,
      headers: rateLimitHeaders,
      content: { 'application/json': { schema: op.response.schema } },
    },
  }
  for (const status of errors) {
    responses[`${status}` as `4${string}`] = {
      description: STATUS_TEXT[status] ?? 'Error',
      content: { 'application/problem+json': { schema: Problem } },
    }
  }
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
    ...(op.method === 'POST'
      ? {
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'Retry-safe POST: the same key and body within 24 h returns the first response',
              schema: { type: 'string', maxLength: 255 },
            },
          ],
        }
      : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } }
      : {}),
    responses,
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
  cached = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: '1.0.0',
      description:
        'The help desk’s REST API. Authenticate with a personal access token from Settings → API tokens. ' +
        'Errors are RFC 9457 problem details. See docs/api.md for conventions, pagination, idempotency and rate limits.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `A personal access token (sb_pat_…). Scopes: ${API_SCOPES.join(', ')}.`,
        },
      },
    },
    paths,
  })
  return cached
}
