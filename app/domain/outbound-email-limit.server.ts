import { getDb, type Tx } from '#db/client.ts'
import { workspaceHasVerifiedOwner } from '#db/queries/outbound-email.ts'
import { env } from '#app/env.server.ts'
import {
  giveBackSlots,
  secondsUntilReset,
  slotFree,
  takeSlot,
  takeSlotIn,
  type Limit,
  type Slot,
} from './rate-limit.server.ts'

/**
 * Emails to customers, per workspace per hour, counted by recipient (the customer, each CC and
 * each BCC of a reply). Agents choose these addresses, so without a limit anyone who signs up is
 * a mail relay with our domain's reputation: open a ticket for any address, reply, repeat. The
 * limit is smaller while no owner of the workspace has verified their email address.
 *
 * What counts: agent replies from every path (the ticket page, "Send in <language>", the API's
 * createMessage, MCP's send_reply), reserved before their transaction. Automatic emails to an
 * address someone outside typed or forged (the support form's confirmation, the auto
 * acknowledgement of inbound email, whose text the workspace writes) have a budget of the same
 * size of their own (reserveAutomaticEmail), so strangers cannot use up the team's replies. Not
 * counted: notes, emails to members (notifications, invitations: limited on their own), Retry of
 * a failed email (the same email, counted once), and a held reply taken back with Undo send (its
 * recipients are given back: giveBackOutboundEmails).
 */
export const OUTBOUND_EMAIL_WINDOW_MS = 60 * 60 * 1000

export function outboundEmailLimit(verifiedOwner: boolean): Limit {
  const { outboundEmailsPerHour, outboundEmailsPerHourUnverified } = env().limits
  return {
    max: verifiedOwner ? outboundEmailsPerHour : outboundEmailsPerHourUnverified,
    windowMs: OUTBOUND_EMAIL_WINDOW_MS,
  }
}

/** Refused: the workspace's hourly customer emails are used up; nothing was written or sent. */
export type OutboundLimited = {
  kind: 'email-limit'
  max: number
  verifiedOwner: boolean
  retryAfterSeconds: number
}

/** A send found more recipients under its locks than were reserved; it wrote nothing. */
export type Recount = { kind: 'recount'; recipients: number }

function isRecount(value: unknown): value is Recount {
  return typeof value === 'object' && value !== null && (value as Recount).kind === 'recount'
}

/**
 * Reserves `recipients` of the workspace's hourly customer-email slots, then runs `send` (its
 * transaction), which is told how many it may email. The slots are taken in one statement before
 * the transaction (takeSlot: parallel requests on any instance can never take more than the
 * limit), and what `send` did not email (`emailed` of its outcome) is given back after it: all of
 * them when it wrote nothing or threw.
 *
 * `send` answers a Recount without writing when, under its locks, it finds more recipients
 * than were reserved (the ticket's CC list changed since the estimate): the slots are given back,
 * that many are reserved, and it runs again.
 */
export async function withinOutboundLimit<T>(
  workspaceId: string,
  estimate: { recipients: number; verifiedOwner: boolean },
  /** `countedIn`: the window the slots were counted in, for a later give-back (undo send). */
  send: (reserved: number, countedIn: Date) => Promise<T | Recount>,
  emailedBy: (outcome: T) => number,
): Promise<T | OutboundLimited> {
  const limit = outboundEmailLimit(estimate.verifiedOwner)
  const key = outboundEmailKey(workspaceId)
  let reserved = Math.max(1, estimate.recipients)
  for (;;) {
    const slot = await takeSlot(key, limit, reserved)
    if (!slot.allowed) return emailLimited(limit, estimate.verifiedOwner, slot)
    const taken = reserved
    let emailed = 0
    let recount: number | undefined
    try {
      const sent = await send(taken, slot.windowStart)
      if (isRecount(sent)) recount = sent.recipients
      else {
        emailed = Math.min(taken, emailedBy(sent as T))
        return sent as T
      }
    } finally {
      // What was not emailed: all of it when nothing was written, when it threw, or to recount.
      if (emailed < taken) await slot.release(taken - emailed)
    }
    reserved = recount!
  }
}

const outboundEmailKey = (workspaceId: string) => `outbound-email:${workspaceId}`

function emailLimited(limit: Limit, verifiedOwner: boolean, slot: Slot): OutboundLimited {
  return {
    kind: 'email-limit',
    max: limit.max,
    verifiedOwner,
    retryAfterSeconds: Math.max(1, secondsUntilReset(slot)),
  }
}

/**
 * Whether the hour leaves room for `estimate.recipients` more, read without taking a slot: a
 * reply over the limit is answered before its files are written. Only a hint: the send still
 * reserves its slots with withinOutboundLimit, which decides.
 */
export async function outboundEmailsFree(
  workspaceId: string,
  estimate: { recipients: number; verifiedOwner: boolean },
) {
  const limit = outboundEmailLimit(estimate.verifiedOwner)
  return slotFree(outboundEmailKey(workspaceId), limit, Math.max(1, estimate.recipients))
}

/**
 * The refusal withinOutboundLimit gives when the hour has no room for `estimate.recipients`,
 * writing nothing (the slots are taken to read the Retry-After, and given back): for a reply
 * refused before its files were written. Undefined when there is room again.
 */
export async function outboundLimitRefusal(
  workspaceId: string,
  estimate: { recipients: number; verifiedOwner: boolean },
): Promise<OutboundLimited | undefined> {
  const limit = outboundEmailLimit(estimate.verifiedOwner)
  const slot = await takeSlot(outboundEmailKey(workspaceId), limit, Math.max(1, estimate.recipients))
  if (!slot.allowed) return emailLimited(limit, estimate.verifiedOwner, slot)
  await slot.release()
  return undefined
}

/** What a held reply counted against the hour (recordReply keeps it for Undo send). */
export type CountedEmails = { windowStart: Date; recipients: number }

/**
 * Undo send: a held reply's recipients are given back, in the undo's transaction (its email never
 * went, and the same transaction deletes it). Exactly what the send counted, in the window it
 * counted them: no more, and never below zero.
 */
export async function giveBackOutboundEmails(tx: Tx, workspaceId: string, counted: CountedEmails) {
  await giveBackSlots(tx, {
    key: outboundEmailKey(workspaceId),
    windowStart: counted.windowStart,
    count: counted.recipients,
  })
}

/** What a refused send tells the agent, next to what they wrote. */
export function outboundLimitMessage(limited: OutboundLimited) {
  const minutes = Math.max(1, Math.ceil(limited.retryAfterSeconds / 60))
  const until = limited.verifiedOwner
    ? ''
    : ' (the limit until an owner of the workspace verifies their email address)'
  return `Not sent: this workspace emailed ${limited.max} customer addresses in the last hour${until}. Try again in ${minutes} min; your reply is kept.`
}

/**
 * One automatic email to an outside address (a support-form confirmation, an auto acknowledgement):
 * the workspace's hourly budget for them, as large as its reply limit. Refused: send none (the
 * ticket is filed all the same). Reserved before the caller's transaction (the support form), or
 * in it (`tx`: an inbound filing, which decides in it whether to acknowledge): never on another
 * pool connection while a transaction holds one (takeSlotIn).
 */
export async function reserveAutomaticEmail(workspaceId: string, tx?: Tx): Promise<Slot> {
  const verified = await workspaceHasVerifiedOwner(tx ?? getDb(), { workspaceId })
  const key = `outbound-auto:${workspaceId}`
  const limit = outboundEmailLimit(verified)
  return tx ? takeSlotIn(tx, key, limit) : takeSlot(key, limit)
}
