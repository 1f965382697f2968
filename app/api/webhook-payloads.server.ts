import { z } from 'zod'
import type { ZodOpenApiPathsObject } from 'zod-openapi'
import {
  WEBHOOK_EVENT_DESCRIPTIONS,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from '#app/utils/webhook-schemas.ts'
import { TicketPriority, TicketStatus } from '#app/utils/ticket-schemas.ts'
import { Contact, Id, Message, Person, Ticket, Timestamp } from './schemas.server.ts'

/**
 * What a webhook delivery's body is, per event type: the OpenAPI document's `webhooks` (OpenAPI
 * 3.1), so an integrator can generate types for what they receive as for what they call. The
 * bodies are built in app/domain/webhooks.server.ts (`buildPayload`, the test event); the data
 * inside are the API's own shapes (`Ticket`, `Message`, `Contact`). tests/integration/
 * webhook-payloads-documented.test.ts checks real deliveries of every type against this document.
 */

/** `ticket.updated`'s `changes`: each changed field's new value, named as `Ticket` names it. */
const TicketChanges = z
  .object({
    status: TicketStatus.optional(),
    priority: TicketPriority.optional(),
    assignee_id: Id.nullable().optional().meta({ description: 'The new assignee’s id; null: unassigned' }),
    subject: z.string().optional(),
    tags: z.array(z.string()).optional().meta({ description: 'The ticket’s whole set of tag names now' }),
    cc: z.array(z.string()).optional().meta({ description: 'The ticket’s whole CC list now' }),
    contact: Person.extend({ id: Id }).optional().meta({
      description: 'The customer the ticket now belongs to (a contact merge), or its contact renamed',
    }),
  })
  .strict()
  .meta({
    id: 'WebhookTicketChanges',
    description:
      'Only the fields this change set, each with its new value (at least one); the ticket beside it is as the change committed it',
  })

/** The ticket as a `message.created` payload shows it: enough to find it. */
const TicketRef = z
  .object({ id: Id, number: z.number().int(), subject: z.string(), status: TicketStatus })
  .strict()
  .meta({ id: 'WebhookTicketRef' })

const DATA: Record<WebhookEventType | 'webhook.test', z.ZodObject> = {
  'ticket.created': z.object({ ticket: Ticket }).strict(),
  'ticket.updated': z.object({ ticket: Ticket, changes: TicketChanges }).strict(),
  'message.created': z.object({ ticket: TicketRef, message: Message }).strict(),
  'contact.created': z.object({ contact: Contact }).strict(),
  'webhook.test': z
    .object({
      workspace: z.object({ slug: z.string(), name: z.string() }).strict(),
      endpoint_id: Id,
    })
    .strict(),
}

const DESCRIPTIONS: Record<WebhookEventType | 'webhook.test', string> = {
  ...WEBHOOK_EVENT_DESCRIPTIONS,
  'webhook.test': 'Sent by “Send test event” (settings) only, to one endpoint, whatever it subscribes to',
}

/** The Standard Webhooks envelope `{ type, timestamp, data }` of one event type. */
export function webhookPayload(type: WebhookEventType | 'webhook.test') {
  return z
    .object({
      type: z.literal(type),
      timestamp: Timestamp.meta({ description: 'When the change happened (ISO 8601, UTC)' }),
      data: DATA[type],
    })
    .strict()
    .meta({ id: eventSchemaId(type) })
}

/** `TicketUpdatedEvent` for `ticket.updated`. */
const eventSchemaId = (type: WebhookEventType | 'webhook.test') =>
  `${type
    .split('.')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')}Event`

const EVENT_TYPES = [...WEBHOOK_EVENT_TYPES, 'webhook.test' as const]

/**
 * The payloads' schemas for the document's `components.schemas`, rendered as answers are (`io:
 * 'output'`) with references into the document's components. Not through zod-openapi: it renders
 * a component it is handed in both directions, and a request body's schema as input, and `Ticket`
 * or `Message` inside either would rename every answer's schema to `TicketOutput`, `MessageOutput`.
 * A shared schema the document already has must come out the same here, or this throws (and the
 * document test fails): a receiver's `Ticket` is the API's `Ticket`.
 */
export function withWebhookPayloads(components: Record<string, unknown>) {
  const registry = z.registry<{ id: string }>()
  for (const type of EVENT_TYPES) registry.add(webhookPayload(type), { id: eventSchemaId(type) })
  const rendered = z.toJSONSchema(registry, { io: 'output', unrepresentable: 'any', uri: (id) => `@${id}` })
  const text = JSON.stringify(rendered).replace(/"@__shared#\/\$defs\/([^"]+)"/g, (_, id: string) =>
    JSON.stringify(`#/components/schemas/${id}`),
  )
  const { __shared, ...events } = (JSON.parse(text) as { schemas: Record<string, Record<string, unknown>> })
    .schemas as { __shared?: { $defs?: Record<string, unknown> } } & Record<string, Record<string, unknown>>
  const schemas: Record<string, unknown> = { ...components }
  for (const [id, schema] of Object.entries({ ...__shared?.$defs, ...events })) {
    const { $schema: _schema, $id: _id, ...clean } = schema as Record<string, unknown>
    if (id in schemas && JSON.stringify(schemas[id]) !== JSON.stringify(clean)) {
      throw new Error(`webhook payloads: their ${id} is not the document's`)
    }
    schemas[id] = clean
  }
  return schemas
}

const SIGNATURE_HEADERS = [
  {
    name: 'webhook-id',
    in: 'header' as const,
    required: true,
    description:
      'The event’s id (`msg_…`), the same on every attempt and redelivery of it: deduplicate on it (delivery is at least once)',
    schema: { type: 'string' as const },
  },
  {
    name: 'webhook-timestamp',
    in: 'header' as const,
    required: true,
    description: 'When this attempt was signed, in Unix seconds: refuse one too far from your clock',
    schema: { type: 'string' as const, pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header' as const,
    required: true,
    description:
      'Space-separated `v1,<base64>` signatures: HMAC-SHA256 keyed with your `whsec_…` secret (its base64 after the prefix, decoded) over `<webhook-id>.<webhook-timestamp>.<raw body>`. Two for 24 hours after a rotation: accept the request if any matches',
    schema: { type: 'string' as const },
  },
]

/** The document's `webhooks`: one POST per event type, as a receiver gets it. */
export function webhookDocuments(): ZodOpenApiPathsObject {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `webhook_${type.replace('.', '_')}`,
          summary: DESCRIPTIONS[type],
          tags: ['Webhooks'],
          description:
            'Sent as a `POST` with `Content-Type: application/json` and `User-Agent: Switchboard-Webhooks/1.0` to each endpoint subscribed to the event (see docs/api.md, Webhooks).',
          security: [],
          parameters: SIGNATURE_HEADERS,
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: `#/components/schemas/${eventSchemaId(type)}` } },
            },
          },
          responses: {
            '2XX': { description: 'Delivered: any 2xx answer within 10 s' },
            default: {
              description:
                'Anything else, no answer within 10 s, or a redirect (never followed): tried again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h',
            },
          },
        },
      },
    ]),
  )
}
