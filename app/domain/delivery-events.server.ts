import { z } from 'zod'
import { getDb } from '#db/client.ts'
import {
  insertEmailEvent,
  lockEmailForEvent,
  markEmailAcceptedByEvent,
  setEmailDeliveryStatus,
} from '#db/queries/emails.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { wakeNextThreadEmail } from './email.server.ts'
import { markAddressBouncing } from './inbound-email.server.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

/**
 * One SendGrid Event Webhook event, as much of it as we use. The recipient (`email`) is read to
 * tell whose copy the event is about, never stored; everything else (IPs, user agents) is
 * ignored. See SendGrid's "Event Webhook reference".
 */
const SendgridEvent = z.object({
  sg_event_id: z.string().min(1).max(200),
  email: z.string().max(400).optional(),
  event: z.string().min(1).max(40),
  timestamp: z.number().int().positive(),
  sg_message_id: z.string().max(300).optional(),
  // Our custom arg: the emails row id.
  email_id: z.string().uuid().optional(),
  type: z.string().max(40).optional(),
  bounce_classification: z.string().max(100).optional(),
  reason: z.string().max(2000).optional(),
  status: z.string().max(40).optional(),
})
export const SendgridEvents = z.array(z.unknown()).max(10_000)

/**
 * The events that say what became of an email; others (open, click…) are not recorded.
 * `processed` (SendGrid accepted the request) and `deferred` (accepted, the receiving server
 * asked to try later) settle an email whose send we could not record (a shutdown cut the call
 * off before SendGrid answered, or it got no answer): it is `sent`, and no retry sends it again,
 * also when its last attempt had already been given up on (`failed` with `maybe_accepted`).
 */
const RECORDED = new Set(['processed', 'delivered', 'deferred', 'bounce', 'dropped', 'spamreport', 'blocked'])
const ACCEPTED = new Set(['processed', 'deferred'])

export type EventsOutcome = {
  recorded: number
  duplicates: number
  unknown: number
  ignored: number
  events: TicketEvent[]
}

/**
 * Records a batch of delivery events: each sg_event_id once (SendGrid retries a batch it got no
 * 2xx for), mapped to our email by its custom arg (email_id) or SendGrid's X-Message-Id (the
 * prefix of sg_message_id). processed / deferred (accepted) / delivered / bounced / dropped change
 * the email's state, which the message's delivery badge shows live; a hard bounce marks the
 * contact's address as bouncing.
 */
export async function recordDeliveryEvents(batch: unknown[]): Promise<EventsOutcome> {
  const outcome: EventsOutcome = { recorded: 0, duplicates: 0, unknown: 0, ignored: 0, events: [] }
  for (const item of batch) {
    const parsed = SendgridEvent.safeParse(item)
    if (!parsed.success || !RECORDED.has(parsed.data.event)) {
      outcome.ignored++
      continue
    }
    const result = await recordOne(parsed.data)
    outcome[result.kind]++
    if (result.kind === 'recorded' && result.event) outcome.events.push(result.event)
  }
  return outcome
}

type Event = z.infer<typeof SendgridEvent>

async function recordOne(event: Event) {
  return getDb().transaction(async (tx) => {
    const providerId = event.sg_message_id?.split('.')[0]
    const email = await lockEmailForEvent(tx, { emailId: event.email_id, providerId })
    if (!email) return { kind: 'unknown' as const }
    const reason =
      event.bounce_classification ??
      event.type ??
      (event.reason === undefined ? undefined : sliceWhole(event.reason, 300)) ??
      null
    const stored = await insertEmailEvent(tx, {
      sgEventId: event.sg_event_id,
      emailId: email.id,
      event: event.event,
      reason,
      occurredAt: new Date(event.timestamp * 1000),
    })
    if (!stored) return { kind: 'duplicates' as const }
    // One email goes to the customer, its CCs and BCCs (a BCC one in a copy of its own); an event
    // names its recipient. Only the customer's copy moves the reply's status (and its badge),
    // except that any copy accepted means SendGrid has the email; a CC's or BCC's hard bounce
    // marks that address, never the customer's. An event naming no recipient is the customer's.
    const recipient = recipientOf(event, email)
    const customers = recipient === email.to
    const next = customers || ACCEPTED.has(event.event) ? nextStatus(event, email) : undefined
    const hard = event.event === 'bounce' && (event.type ?? 'bounce') === 'bounce'
    const why = sliceWhole(event.reason ?? event.type ?? event.event, 300)
    if (hard && recipient && !customers && email.workspaceId)
      await markAddressBouncing(tx, email.workspaceId, recipient, why)
    if (!next) return { kind: 'recorded' as const, event: undefined }
    const error = next === 'delivered' ? null : why
    if (next === 'sent') {
      // Accepted while still queued or claimed: no attempt may send it again (their claim needs
      // `queued`, or `sending` under their own lease), whatever became of the interrupted call.
      await markEmailAcceptedByEvent(tx, { emailId: email.id, messageId: email.messageId, providerId })
    } else {
      await setEmailDeliveryStatus(tx, { emailId: email.id, messageId: email.messageId, status: next, error })
    }
    // It was still on its way: a later email of its ticket waiting behind it goes now.
    if (email.status === 'queued' || email.status === 'sending') await wakeNextThreadEmail(tx, email.id)
    if (hard && customers && email.workspaceId)
      await markAddressBouncing(tx, email.workspaceId, email.to, error ?? 'Bounced')
    if (!email.messageId || !email.ticketId || !email.workspaceId)
      return { kind: 'recorded' as const, event: undefined }
    const live: TicketEvent = {
      type: 'message.delivery',
      workspaceId: email.workspaceId,
      ticketId: email.ticketId,
      number: email.ticketNumber ?? 0,
      messageId: email.messageId,
      status: next,
      at: new Date().toISOString(),
    }
    return { kind: 'recorded' as const, event: live }
  })
}

/**
 * Which of the email's recipients the event is about, as the email spells it: its `to` when the
 * event names none, undefined when it names an address the email was not sent to.
 */
function recipientOf(event: Event, email: { to: string; cc: string[]; bcc: string[] }) {
  if (event.email === undefined) return email.to
  const named = event.email.trim().toLowerCase()
  return [email.to, ...email.cc, ...email.bcc].find((address) => address.toLowerCase() === named)
}

/**
 * The email's new state, never going back: sent (accepted) only from queued or sending; delivered
 * after those; bounced/failed win over delivered. A `failed` email whose last attempt got no
 * answer (`maybeAccepted`) was failed only for want of news: SendGrid did have it when its
 * processed, deferred or delivered event comes, and a dropped one records SendGrid's reason.
 */
function nextStatus(
  event: Event,
  { status, maybeAccepted }: { status: string; maybeAccepted: boolean },
): 'sent' | 'delivered' | 'bounced' | 'failed' | undefined {
  const unsettled = ['queued', 'sending'].includes(status) || (status === 'failed' && maybeAccepted)
  if (ACCEPTED.has(event.event)) return unsettled ? 'sent' : undefined
  if (event.event === 'delivered') return unsettled || status === 'sent' ? 'delivered' : undefined
  if (event.event === 'bounce' || event.event === 'blocked')
    return status === 'bounced' ? undefined : 'bounced'
  if (event.event === 'dropped') return status === 'failed' && !maybeAccepted ? undefined : 'failed'
  return undefined
}
