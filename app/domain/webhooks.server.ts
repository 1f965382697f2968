import { getDb, type Tx } from '#db/client.ts'
import { getContact } from '#db/queries/contacts.ts'
import { getThreadMessage, getTicketByNumber, listTicketTags } from '#db/queries/tickets.ts'
import { getUserById } from '#db/queries/users.ts'
import {
  deleteWebhookEndpointRow,
  findWebhookEndpointByUrl,
  getWebhookDeliveryForRedelivery,
  getWebhookEndpointId,
  countActiveEndpointsAddedBy,
  getWebhookEndpointRow,
  insertWebhookDeliveries,
  insertWebhookEndpoint,
  listActiveWebhookEndpoints,
  listWebhookDeliveryRows,
  listWebhookEndpointRows,
  lockWebhookEndpointFields,
  lockWebhookEndpointState,
  lockWebhookSecret,
  setWebhookDeliveryPayloads,
  setWebhookEndpointFields,
  setWebhookSecrets,
  type ActiveWebhookEndpoint,
} from '#db/queries/webhooks.ts'
import { lockKeyForTransaction } from '#db/queries/locks.ts'
import { uuidv7 } from '#db/uuid.ts'
import { contactJson, messageJson, ticketJson, type TicketJson } from './serializers.server.ts'
import { env } from '#app/env.server.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '#app/utils/webhook-schemas.ts'
import { changesNothing, drawnSave, type TeammateSavedFirst } from '#app/utils/drawn-base.ts'
import { recordAudit } from './audit.server.ts'
import { secondsUntilReset, takeSlot, type Limit } from './rate-limit.server.ts'
import { checkWebhookUrl, type WebhookPolicy } from './webhook-address.server.ts'
import { newWebhookSecret } from './webhook-signing.server.ts'
import type { Member } from './workspaces.server.ts'

/**
 * Outbound webhooks: a workspace's endpoints, and the deliveries that domain operations enqueue
 * in their own transaction (enqueueWebhooks), so a webhook leaves exactly when the change
 * commits. Delivery, retries and disabling live in webhook-delivery.server.ts.
 */

/** After a rotation the previous secret keeps signing beside the new one this long. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000
/** Deliveries listed per endpoint on the settings page and by the API. */
export const RECENT_DELIVERIES = 25

export function webhookPolicy(): WebhookPolicy {
  return env().webhooks
}

/** A change that may become a webhook: the domain's live events plus contact creation. */
export type WebhookTrigger =
  TicketEvent | { type: 'contact.created'; workspaceId: string; contactId: string; at: string }

const SUBSCRIBABLE = new Set<string>(WEBHOOK_EVENT_TYPES)

/**
 * What a `ticket.updated`'s `changes` names, from the domain's change fields: the ticket's fields
 * as `GET /tickets/{number}` names them. Fields a payload does not show (an AI result stored, a
 * triage) send nothing.
 */
const PUBLIC_CHANGE: Record<string, TicketChangeField> = {
  status: 'status',
  priority: 'priority',
  assigneeId: 'assignee_id',
  subject: 'subject',
  tagsAdded: 'tags',
  tagRemoved: 'tags',
  cc: 'cc',
  contactId: 'contact',
}
export type TicketChangeField = 'status' | 'priority' | 'assignee_id' | 'subject' | 'tags' | 'cc' | 'contact'

/**
 * The `ticket.updated` deliveries a transaction has recorded, per ticket: a second change of the
 * same ticket in that transaction (a PATCH's status, then subject, then each tag) rewrites them
 * with the ticket as it is now and every field changed so far, rather than adding another. Keyed on
 * the transaction object, so a transaction run again (deadlock) starts empty.
 */
const updatesInTransaction = new WeakMap<
  Tx,
  Map<string, { deliveryIds: string[]; fields: Set<TicketChangeField> }>
>()

/**
 * Records one delivery per (event, subscribed endpoint) and enqueues its job, on the caller's
 * transaction. One indexed read when the workspace has no endpoint; the payload (the ticket,
 * message or contact as the API shows it) is built from the transaction's own view, so it is
 * exactly what was committed. A ticket gets one `ticket.updated` per transaction, however many
 * operations changed it (updatesInTransaction). The worker sends an endpoint's deliveries of one
 * transaction in the order they were recorded here (deliverWebhook).
 */
export async function enqueueWebhooks(
  tx: Tx,
  workspaceId: string,
  triggers: WebhookTrigger[],
  /**
   * The workspace's active endpoints when the caller's own statement already read them in this
   * transaction (activeWebhookEndpointsColumn: the reply's ticket lock and the new ticket's number
   * do), which saves the read.
   */
  activeEndpoints?: ActiveWebhookEndpoint[],
) {
  const relevant = triggers.filter((t) => SUBSCRIBABLE.has(t.type) && changedFields(t) !== undefined)
  if (relevant.length === 0) return
  const endpoints = activeEndpoints ?? (await listActiveWebhookEndpoints(tx, { workspaceId }))
  if (endpoints.length === 0) return
  for (const trigger of relevant) {
    if (trigger.type === 'ticket.updated') await rewriteMessagesOf(tx, workspaceId, trigger.ticketId)
    const targets = endpoints.filter(
      (e) =>
        e.events.includes(trigger.type as WebhookEventType) &&
        !(trigger.type === 'message.created' && trigger.kind === 'note' && !e.includeNotes),
    )
    if (targets.length === 0) continue
    const fields = changedFields(trigger)
    const recorded = trigger.type === 'ticket.updated' ? updatesOf(tx).get(trigger.ticketId) : undefined
    if (recorded && fields) {
      for (const field of fields) recorded.fields.add(field)
      const payload = await buildPayload(tx, workspaceId, trigger, recorded.fields)
      if (payload) {
        await setWebhookDeliveryPayloads(tx, {
          deliveryIds: recorded.deliveryIds,
          payload: JSON.stringify(payload),
        })
      }
      continue
    }
    const payload = await buildPayload(tx, workspaceId, trigger, new Set(fields))
    if (!payload) continue
    const deliveryIds = await insertDeliveries(
      tx,
      workspaceId,
      targets.map((t) => t.id),
      `msg_${uuidv7()}`,
      trigger.type,
      JSON.stringify(payload),
    )
    if (trigger.type === 'ticket.updated') {
      updatesOf(tx).set(trigger.ticketId, { deliveryIds, fields: new Set(fields) })
    }
    if (trigger.type === 'message.created') {
      const messages = messagesOf(tx)
      messages.set(trigger.ticketId, [...(messages.get(trigger.ticketId) ?? []), { deliveryIds, trigger }])
    }
  }
}

/**
 * The `message.created` deliveries a transaction has recorded, per ticket: a change of the ticket
 * later in it (a reply that sets a status) rewrites them, so their `ticket` is the ticket as
 * committed, as a `ticket.updated`'s is (it showed the status before the reply set it).
 */
const messagesInTransaction = new WeakMap<
  Tx,
  Map<string, Array<{ deliveryIds: string[]; trigger: WebhookTrigger }>>
>()

function messagesOf(tx: Tx) {
  let messages = messagesInTransaction.get(tx)
  if (!messages) messagesInTransaction.set(tx, (messages = new Map()))
  return messages
}

async function rewriteMessagesOf(tx: Tx, workspaceId: string, ticketId: string) {
  for (const { deliveryIds, trigger } of messagesOf(tx).get(ticketId) ?? []) {
    const payload = await buildPayload(tx, workspaceId, trigger, new Set())
    if (payload) await setWebhookDeliveryPayloads(tx, { deliveryIds, payload: JSON.stringify(payload) })
  }
}

function updatesOf(tx: Tx) {
  let updates = updatesInTransaction.get(tx)
  if (!updates) updatesInTransaction.set(tx, (updates = new Map()))
  return updates
}

/** A ticket.updated's public fields (undefined when it has none); [] for any other trigger. */
function changedFields(trigger: WebhookTrigger): TicketChangeField[] | undefined {
  if (trigger.type !== 'ticket.updated') return []
  const fields = [...new Set(Object.keys(trigger.changes).flatMap((key) => PUBLIC_CHANGE[key] ?? []))]
  return fields.length > 0 ? fields : undefined
}

async function insertDeliveries(
  tx: Tx,
  workspaceId: string,
  endpointIds: string[],
  eventId: string,
  eventType: string,
  payload: string,
) {
  const rows = await insertWebhookDeliveries(tx, { workspaceId, endpointIds, eventId, eventType, payload })
  // Grouped by endpoint: the worker runs one attempt per endpoint at a time (webhook-fairness).
  // Each first attempt's job sends its endpoint's oldest unsent delivery (deliverWebhook).
  for (const row of rows) {
    await enqueue(tx, 'webhook.deliver', { deliveryId: row.id, first: true }, { group: row.endpointId })
  }
  return rows.map((r) => r.id)
}

/** The new value of each changed field, read from the ticket as the payload shows it. */
function changesOf(ticket: TicketJson, fields: Set<TicketChangeField>) {
  const value = {
    status: ticket.status,
    priority: ticket.priority,
    assignee_id: ticket.assignee?.id ?? null,
    subject: ticket.subject,
    tags: ticket.tags.map((t) => t.name),
    cc: ticket.cc,
    contact: ticket.contact,
  }
  return Object.fromEntries([...fields].map((field) => [field, value[field]]))
}

/** The Standard Webhooks envelope `{ type, timestamp, data }` with the API's JSON shapes inside. */
async function buildPayload(
  tx: Tx,
  workspaceId: string,
  trigger: WebhookTrigger,
  fields: Set<TicketChangeField>,
) {
  const envelope = (data: Record<string, unknown>) => ({ type: trigger.type, timestamp: trigger.at, data })
  if (trigger.type === 'contact.created') {
    const contact = await getContact(tx, { workspaceId, id: trigger.contactId })
    return contact ? envelope({ contact: contactJson(contact) }) : undefined
  }
  if (
    trigger.type !== 'ticket.created' &&
    trigger.type !== 'ticket.updated' &&
    trigger.type !== 'message.created'
  ) {
    return undefined
  }
  const ticket = await ticketSnapshot(tx, workspaceId, trigger.number)
  if (!ticket) return undefined
  if (trigger.type === 'ticket.created') return envelope({ ticket })
  if (trigger.type === 'ticket.updated') return envelope({ ticket, changes: changesOf(ticket, fields) })
  const message = await getThreadMessage(tx, {
    workspaceId,
    ticketId: ticket.id,
    messageId: trigger.messageId,
  })
  if (!message) return undefined
  return envelope({
    ticket: { id: ticket.id, number: ticket.number, subject: ticket.subject, status: ticket.status },
    message: messageJson(message),
  })
}

async function ticketSnapshot(tx: Tx, workspaceId: string, number: number) {
  const row = await getTicketByNumber(tx, { workspaceId, number })
  if (!row) return undefined
  const [tags, assignee] = await Promise.all([
    listTicketTags(tx, row.id),
    row.assigneeId ? getUserById(tx, row.assigneeId) : undefined,
  ])
  return ticketJson({ ...row, tags, assignee: assignee ? { id: assignee.id, name: assignee.name } : null })
}

// ---------------------------------------------------------------------------------------------
// Endpoints (owners and admins; the routes check the role, the API the webhooks:manage scope)

export type EndpointInput = {
  url: string
  description: string
  events: WebhookEventType[]
  includeNotes: boolean
}

export type EndpointOutcome =
  | { kind: 'ok'; id: string; secret?: string }
  | { kind: 'invalid-url'; reason: string }
  | { kind: 'url-taken'; id: string }
  | { kind: 'not-found' }

/** What the forms and the API say when another endpoint already has the URL. */
export const URL_TAKEN_MESSAGE =
  'Another endpoint of this workspace already has this URL: each event would be sent twice'

/**
 * The other endpoint of the workspace with this URL (as normalized by checkWebhookUrl), if any:
 * two would receive every event twice. The workspace's endpoint writes are serialized for the
 * check, so two posts at once cannot both pass it.
 */
async function endpointWithUrl(tx: Tx, workspaceId: string, url: string, exceptId?: string) {
  await lockKeyForTransaction(tx, `webhook-endpoints:${workspaceId}`)
  return findWebhookEndpointByUrl(tx, { workspaceId, url, exceptId })
}

export type WebhookEndpoint = Awaited<ReturnType<typeof listWebhookEndpoints>>[number]

/** The workspace's endpoints, oldest first. Never the secret: it is shown once, at creation or rotation. */
export async function listWebhookEndpoints(member: Member) {
  return listWebhookEndpointRows(getDb(), { workspaceId: member.workspaceId })
}

/** How many of the workspace's endpoints that still deliver this user added (named before removing them). */
export function activeEndpointsAddedBy(member: Member, userId: string) {
  return countActiveEndpointsAddedBy(getDb(), { workspaceId: member.workspaceId, userId })
}

export async function getWebhookEndpoint(member: Member, id: string) {
  return getWebhookEndpointRow(getDb(), { workspaceId: member.workspaceId, id })
}

/** Creates an endpoint and returns its secret (shown once). */
export async function createWebhookEndpoint(member: Member, input: EndpointInput): Promise<EndpointOutcome> {
  const check = checkWebhookUrl(input.url, webhookPolicy())
  if (!check.ok) return { kind: 'invalid-url', reason: check.reason }
  const secret = newWebhookSecret()
  return getDb().transaction(async (tx): Promise<EndpointOutcome> => {
    const taken = await endpointWithUrl(tx, member.workspaceId, check.url.toString())
    if (taken) return { kind: 'url-taken', id: taken.id }
    const row = await insertWebhookEndpoint(tx, {
      workspaceId: member.workspaceId,
      url: check.url.toString(),
      description: input.description,
      events: [...new Set(input.events)],
      includeNotes: input.includeNotes,
      secret,
      createdById: member.userId,
    })
    await audit(tx, member, 'webhook.created', row.id, { url: check.url.toString(), events: input.events })
    return { kind: 'ok' as const, id: row.id, secret }
  })
}

/**
 * Changes an endpoint's URL, description, events or notes option (any subset: the API's PATCH
 * sends what it changes). The settings form sends every field and `drawn`, what it was drawn with
 * (drawnSave): only the fields edited since are saved, so a teammate's change to another stays, and
 * one a teammate saved meanwhile, to something else, is a conflict and nothing is saved, unless
 * `drawn.replace` names it (the form showed the teammate's value).
 */
export async function updateWebhookEndpoint(
  member: Member,
  id: string,
  input: Partial<EndpointInput>,
  drawn: { base: EndpointInput | null; replace: readonly string[] } | null = null,
): Promise<EndpointOutcome | TeammateSavedFirst> {
  const base = drawn?.base ?? null
  const posted = { ...input }
  // Checked and stored normalized, when it is one to save (not as the form was drawn).
  if (posted.url !== undefined && posted.url !== base?.url) {
    const check = checkWebhookUrl(posted.url, webhookPolicy())
    if (!check.ok) return { kind: 'invalid-url', reason: check.reason }
    posted.url = check.url.toString()
  }
  return getDb().transaction(async (tx): Promise<EndpointOutcome | TeammateSavedFirst> => {
    // Locked: a teammate's save of this endpoint at the same moment waits, then is kept.
    const stored = await lockWebhookEndpointFields(tx, { workspaceId: member.workspaceId, id })
    if (!stored) return { kind: 'not-found' }
    const { edited, conflicts } = drawnSave({ stored, posted, base, replace: drawn?.replace })
    if (conflicts.length > 0) return { kind: 'teammate-saved', fields: conflicts }
    // Saved as it is (the API's PATCH of the same values too): nothing written or recorded.
    if (changesNothing(stored, edited)) return { kind: 'ok' as const, id }
    if (edited.url !== undefined) {
      const taken = await endpointWithUrl(tx, member.workspaceId, edited.url, id)
      if (taken) return { kind: 'url-taken', id: taken.id }
    }
    const row = await setWebhookEndpointFields(tx, {
      workspaceId: member.workspaceId,
      id,
      set: {
        ...edited,
        ...(edited.events !== undefined ? { events: [...new Set(edited.events)] } : {}),
        updatedAt: new Date(),
      },
    })
    if (!row) return { kind: 'not-found' as const }
    await audit(tx, member, 'webhook.updated', id, { ...edited })
    return { kind: 'ok' as const, id }
  })
}

/**
 * Turns an endpoint off, or back on (which forgets its failure streak). One already so (a double
 * submit, a teammate first) is left as it is and audited once: judged on its row locked here.
 */
export async function setWebhookEndpointEnabled(member: Member, id: string, enabled: boolean) {
  return getDb().transaction(async (tx) => {
    const state = await lockWebhookEndpointState(tx, { workspaceId: member.workspaceId, id })
    if (!state) return { kind: 'not-found' as const }
    if ((state.disabledAt === null) === enabled) return { kind: 'ok' as const, id }
    const row = await setWebhookEndpointFields(tx, {
      workspaceId: member.workspaceId,
      id,
      set: enabled
        ? { disabledAt: null, disabledReason: null, failingSince: null, updatedAt: new Date() }
        : { disabledAt: new Date(), disabledReason: 'Disabled by a member', updatedAt: new Date() },
    })
    if (!row) return { kind: 'not-found' as const }
    await audit(tx, member, enabled ? 'webhook.enabled' : 'webhook.disabled', id)
    return { kind: 'ok' as const, id }
  })
}

export async function deleteWebhookEndpoint(member: Member, id: string) {
  return getDb().transaction(async (tx) => {
    const row = await deleteWebhookEndpointRow(tx, { workspaceId: member.workspaceId, id })
    if (!row) return { kind: 'not-found' as const }
    await audit(tx, member, 'webhook.deleted', id, { url: row.url })
    return { kind: 'ok' as const, id }
  })
}

/**
 * A new secret (returned once). The old one keeps signing beside it for ROTATION_OVERLAP_MS, so
 * receivers can switch without losing a delivery. A second rotation while the previous secret
 * still signs is refused (`rotation-pending`): it would end that secret's overlap at once (one
 * previous secret is kept), and a receiver not yet switched would lose every delivery from then.
 */
export async function rotateWebhookSecret(
  member: Member,
  id: string,
): Promise<EndpointOutcome | { kind: 'rotation-pending'; until: Date }> {
  const secret = newWebhookSecret()
  return getDb().transaction(async (tx) => {
    const current = await lockWebhookSecret(tx, { workspaceId: member.workspaceId, id })
    if (!current) return { kind: 'not-found' as const }
    const now = Date.now()
    if (current.previousSecretExpiresAt && current.previousSecretExpiresAt.getTime() > now) {
      return { kind: 'rotation-pending' as const, until: current.previousSecretExpiresAt }
    }
    const until = new Date(now + ROTATION_OVERLAP_MS)
    await setWebhookSecrets(tx, {
      id,
      secret,
      previousSecret: current.secret,
      previousSecretExpiresAt: until,
    })
    await audit(tx, member, 'webhook.secret-rotated', id, { previousValidUntil: until.toISOString() })
    return { kind: 'ok' as const, id, secret }
  })
}

/** What a refused second rotation says, on the settings page and in the API. */
export function rotationPendingMessage(until: Date) {
  return (
    `The previous secret still signs beside the current one until ${until.toISOString()}: rotating again now ` +
    'would stop it at once, and a receiver not yet switched would lose deliveries. Rotate again after that time.'
  )
}

// ---------------------------------------------------------------------------------------------
// Deliveries

export type WebhookDelivery = Awaited<ReturnType<typeof listWebhookDeliveries>>[number]

/** An endpoint's most recent deliveries, newest first (webhook_deliveries_endpoint_created_idx). */
export async function listWebhookDeliveries(member: Member, endpointId: string, limit = RECENT_DELIVERIES) {
  return listWebhookDeliveryRows(getDb(), { workspaceId: member.workspaceId, endpointId, limit })
}

/**
 * Test events and redeliveries, sent by hand, per workspace. Each is a POST from our servers to a
 * URL an admin chose (anyone who signs up is one), so without a limit a script on the settings
 * page or the API made us send as many as it liked, to anywhere that accepts them (a probe: 60
 * test events at once, 60 sent). Automatic deliveries and their retries are not counted.
 */
export const HAND_SENT_DELIVERY_LIMIT: Limit = { max: 30, windowMs: 10 * 60_000 }

export type HandSentRefusal = { kind: 'too-many'; max: number; retryAfterSeconds: number }

/** What a refused test event or redelivery says, on the settings page and in the API. */
export function handSentLimitMessage(refusal: HandSentRefusal) {
  const minutes = Math.ceil(refusal.retryAfterSeconds / 60)
  return `At most ${refusal.max} test events and redeliveries per 10 minutes in this workspace: nothing was sent. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
}

/**
 * Runs `send` on a slot of the workspace's hand-sent deliveries, taken before it (parallel
 * requests cannot pass the limit) and given back when nothing was queued.
 */
async function handSent<T extends { kind: string }>(
  member: Member,
  send: () => Promise<T>,
): Promise<T | HandSentRefusal> {
  const limit = HAND_SENT_DELIVERY_LIMIT
  const slot = await takeSlot(`webhook-hand-sent:${member.workspaceId}`, limit)
  if (!slot.allowed) {
    return { kind: 'too-many', max: limit.max, retryAfterSeconds: Math.max(1, secondsUntilReset(slot)) }
  }
  let queued = false
  try {
    const outcome = await send()
    queued = outcome.kind === 'ok'
    return outcome
  } finally {
    if (!queued) await slot.release()
  }
}

/** Sends a `webhook.test` event to one endpoint now (disabled or not: that is how you check a fix). */
export async function sendTestEvent(member: Member, endpointId: string) {
  return handSent(member, () => queueTestEvent(member, endpointId))
}

function queueTestEvent(member: Member, endpointId: string) {
  return getDb().transaction(async (tx) => {
    const endpoint = await endpointOf(tx, member, endpointId)
    if (!endpoint) return { kind: 'not-found' as const }
    const at = new Date().toISOString()
    const payload = JSON.stringify({
      type: 'webhook.test',
      timestamp: at,
      data: {
        workspace: { slug: member.workspaceSlug, name: member.workspaceName },
        endpoint_id: endpointId,
      },
    })
    const [deliveryId] = await insertDeliveries(
      tx,
      member.workspaceId,
      [endpointId],
      `msg_${uuidv7()}`,
      'webhook.test',
      payload,
    )
    await audit(tx, member, 'webhook.test-sent', endpointId, { deliveryId })
    return { kind: 'ok' as const, deliveryId: deliveryId! }
  })
}

/**
 * Sends a past delivery again as a new delivery with the same body and webhook-id (so a
 * receiver that already processed it can tell), freshly signed and timestamped.
 */
export async function redeliverWebhook(member: Member, deliveryId: string, endpointId?: string) {
  return handSent(member, () => queueRedelivery(member, deliveryId, endpointId))
}

function queueRedelivery(member: Member, deliveryId: string, endpointId?: string) {
  return getDb().transaction(async (tx) => {
    const original = await getWebhookDeliveryForRedelivery(tx, {
      workspaceId: member.workspaceId,
      id: deliveryId,
      endpointId,
    })
    if (!original) return { kind: 'not-found' as const }
    const [id] = await insertDeliveries(
      tx,
      member.workspaceId,
      [original.endpointId],
      original.eventId,
      original.eventType,
      original.payload,
    )
    await audit(tx, member, 'webhook.redelivered', original.endpointId, { deliveryId, newDeliveryId: id })
    return { kind: 'ok' as const, deliveryId: id!, endpointId: original.endpointId }
  })
}

async function endpointOf(tx: Tx, member: Member, id: string) {
  return getWebhookEndpointId(tx, { workspaceId: member.workspaceId, id })
}

async function audit(
  tx: Tx,
  member: Member,
  action: string,
  endpointId: string,
  data: Record<string, unknown> = {},
) {
  await recordAudit(tx, {
    workspaceId: member.workspaceId,
    actorUserId: member.userId,
    action,
    targetType: 'webhook_endpoint',
    targetId: endpointId,
    data,
  })
}
