import { z } from 'zod'
import { parseDrawnBase, replaceField } from './drawn-base.ts'
import { withinMaxLength } from './schemas.ts'

/** What an endpoint can subscribe to; mirrors the webhook_event_type enum in db/schema.ts. */
export const WEBHOOK_EVENT_TYPES = [
  'ticket.created',
  'ticket.updated',
  'message.created',
  'contact.created',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES)

export const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  'ticket.created': 'A ticket was opened (any channel)',
  'ticket.updated': 'Status, priority, assignee, subject, tags, CC or customer changed',
  'message.created': 'A reply on a ticket (internal notes only if you include them)',
  'contact.created': 'A new contact (by the API, the support form or an email)',
}

/** The settings page's forms (the API has its own snake_case schemas in app/api/webhooks.server.ts). */
export const WEBHOOK_URL_MAX = 2000
export const WEBHOOK_DESCRIPTION_MAX = 200
const url = z
  .string({ error: 'Enter the URL that receives the webhooks' })
  .trim()
  .max(WEBHOOK_URL_MAX, { error: 'At most 2,000 characters', abort: true })
  .refine(withinMaxLength(WEBHOOK_URL_MAX), { error: 'At most 2,000 characters', abort: true })
const description = z
  .string()
  .trim()
  .max(WEBHOOK_DESCRIPTION_MAX, { error: 'At most 200 characters', abort: true })
  .refine(withinMaxLength(WEBHOOK_DESCRIPTION_MAX), { error: 'At most 200 characters' })
  .default('')
const events = z
  .array(WebhookEventType, { error: 'Choose at least one event' })
  .min(1, { error: 'Choose at least one event' })
const includeNotes = z
  .literal('on')
  .optional()
  .transform((v) => v === 'on')

export const WebhookEndpointForm = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('create'), url, description, events, includeNotes }),
  z.object({
    intent: z.literal('update'),
    id: z.uuid(),
    url,
    description,
    events,
    includeNotes,
    // What the form showed when it was drawn (webhookEndpointBase): see updateWebhookEndpoint.
    base: z.string().max(10_000).optional(),
    // The fields whose teammate's save the form showed: see drawnSave.
    replace: replaceField(['url', 'description', 'events', 'includeNotes']),
  }),
  z.object({ intent: z.literal('delete'), id: z.uuid() }),
  z.object({ intent: z.literal('rotate'), id: z.uuid() }),
  z.object({ intent: z.literal('enable'), id: z.uuid() }),
  z.object({ intent: z.literal('disable'), id: z.uuid() }),
  z.object({ intent: z.literal('test'), id: z.uuid() }),
  z.object({ intent: z.literal('redeliver'), id: z.uuid(), deliveryId: z.uuid() }),
])

type EndpointFields = { url: string; description: string; events: string[]; includeNotes: boolean }

/** The `base` hidden field of an endpoint's edit form drawn with these values. */
export function webhookEndpointBase(endpoint: EndpointFields) {
  return JSON.stringify({
    url: endpoint.url,
    description: endpoint.description,
    events: [...endpoint.events].sort(),
    includeNotes: endpoint.includeNotes,
  })
}

const DrawnEndpoint = z.object({
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()),
  includeNotes: z.boolean(),
})

/**
 * The fields a posted edit form was drawn with (`base`), read as its fields are, or null when there
 * are none or they cannot be read: then every field counts as edited, as before forms posted one.
 */
export function parseWebhookEndpointBase(base: string | undefined) {
  return parseDrawnBase(
    base,
    DrawnEndpoint,
    z.object({
      url: z.string(),
      description: z.string().trim(),
      events: z.array(WebhookEventType),
      includeNotes: z.boolean(),
    }),
  )
}
