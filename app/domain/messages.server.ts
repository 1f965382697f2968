import { getDb, type Tx } from '#db/client.ts'
import { type TicketStatus } from '#db/schema.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import {
  findRepeatedCustomerMessage,
  findTicketByCustomerTokenHash,
  lockAssigneeMembershipOfTicket,
  lockTicketForCustomerReply,
  lockTicketForReply,
  messagesSinceLastSeen,
  recordAgentMessage,
  recordTicketMessage,
} from '#db/queries/messages.ts'
import { lockMembershipOf } from '#db/queries/workspaces.ts'
import { draftFiles } from '#db/queries/drafts.ts'
import { heldUntilOf, setTranslatedFrom } from '#db/queries/held-replies.ts'
import { insertMessage } from '#db/queries/tickets.ts'
import { outboundReplyPreview } from '#db/queries/outbound-email.ts'
import { uuidv7 } from '#db/uuid.ts'
import { recordAudit } from './audit.server.ts'
import { draftCleared } from './drafts.server.ts'
import { lockMentioned, notifyMentioned } from './mentions.server.ts'
import { enqueueWebhooks } from './webhooks.server.ts'
import { newMessageId } from './email.server.ts'
import {
  distinctAddresses,
  QUOTED_MESSAGES,
  queueAgentReplyEmail,
  REFERENCES_KEPT,
} from './reply-email.server.ts'
import { newReplyToken } from './reply-address.server.ts'
import {
  outboundEmailsFree,
  outboundLimitRefusal,
  withinOutboundLimit,
  type OutboundLimited,
  type Recount,
} from './outbound-email-limit.server.ts'
import { hashToken } from './tokens.server.ts'
import { notify } from './notifications.server.ts'
import {
  insertAttachments,
  newCustomerLink,
  statusTimestamps,
  updateTickets,
  type InboundFields,
  type StoredFile,
} from './tickets.server.ts'
import type { Member } from './workspaces.server.ts'
import { languageName } from '#app/ai/triage-vocabulary.ts'
import { MAX_FILES, MAX_TOTAL_BYTES } from '#app/utils/ticket-schemas.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

export type ReplyInput = {
  kind: 'reply' | 'note'
  body: string
  /** Set the ticket's status in the same action ("reply and set pending"). */
  status?: TicketStatus
  /** The newest message the agent had seen when they started writing (collision detection). */
  lastSeenMessageId?: string
  sendAnyway?: boolean
  files?: StoredFile[]
  /**
   * Files kept on the agent's draft of this ticket (an undone reply's), by sha256, to attach again.
   * Only files the draft really holds are attached: anything else named here is ignored.
   */
  keepFiles?: string[]
  /**
   * Replies only. CC: replaces the ticket's CC list (reply-all: omitted, the stored list is
   * copied). BCC: this reply only. Both already validated (addresses, at most 10 each).
   */
  cc?: string[]
  bcc?: string[]
  /**
   * Replies only: the body is an AI translation of the agent's own text into `language` (the
   * composer's "Translate to <language>", reviewed by the agent): `original` is kept as an
   * internal note beside the reply, in its transaction.
   */
  translatedFrom?: { language: string; original: string }
  /**
   * Replies from the ticket page: held for the author's undo-send delay (users.undo_send_seconds)
   * before the email job runs and the message is announced. The API and other callers send at once.
   */
  undoable?: boolean
}

export type NewerMessage = {
  id: string
  kind: 'reply' | 'note'
  author: string
  bodyText: string
  createdAt: Date
  /** A reply in its undo window (a teammate's, or the agent's own): about to go, may be undone. */
  sending: boolean
  /** An inbound email from someone neither the customer nor CC'd: not the customer speaking. */
  fromParticipant: boolean
}

export type ReplyOutcome =
  /** `emailed`: the recipients the reply's email went to (customer, CC, BCC); 0 for a note. */
  | {
      kind: 'sent'
      messageId: string
      events: TicketEvent[]
      emailed: number
      /** A reply held for its author's undo-send delay (Undo can take it back until then). */
      held: boolean
    }
  /**
   * Nothing was written: messages came after the last-seen one, or (`lastSeenUnknown`) the id
   * names no message of this ticket the agent can see, so every message counts as newer.
   */
  | {
      kind: 'collision'
      /** The newest COLLISION_SHOWN of them, oldest first; `notShown` more came before those. */
      newer: NewerMessage[]
      notShown: number
      lastSeenUnknown?: true
    }
  | { kind: 'not-found' }
  /** Files kept from an undone reply and newly attached ones together break the limits. */
  | { kind: 'files-over-limit'; message: string }
  /** The workspace's customer emails for the hour are used up: nothing was written. */
  | OutboundLimited

/**
 * An agent's public reply (emailed to the customer) or internal note, optionally with a status
 * change, in one transaction. Refuses with the newer messages when anyone (another agent, the
 * customer, or this agent in another tab) wrote since the composer last looked, unless they chose
 * to send anyway.
 *
 * A reply's recipients count against the workspace's hourly customer-email limit
 * (outbound-email-limit.server.ts), reserved before the transaction: over it, nothing is written
 * (`email-limit`). `unlimited`: the seed and bench scripts, which write as the operator, not as a
 * member through the app.
 */
export async function replyToTicket(
  member: Member & { user: { name: string } },
  number: number,
  input: ReplyInput,
  options: { unlimited?: true } = {},
): Promise<ReplyOutcome> {
  if (input.kind === 'note' || options.unlimited) {
    const outcome = await getDb().transaction((tx) => recordReply(tx, member, number, input, Infinity))
    if (outcome.kind === 'recount') throw new Error('recordReply: recount without a limit')
    return outcome
  }
  return withinReplyLimit(member, number, input, (reserved, countedIn) =>
    getDb().transaction(async (tx) => {
      const reply = await recordReply(tx, member, number, input, reserved, countedIn)
      return input.translatedFrom ? keepOriginal(tx, member, number, input.translatedFrom, reply) : reply
    }),
  )
}

/**
 * A reply sent as an AI translation of the agent's text: their own words go into the thread as an
 * internal note beside it (the team reads what was meant; the customer gets the translation), in
 * the reply's transaction, so neither is written without the other. A reply held for its undo
 * window holds its note until the same moment: only the author sees either until the email job
 * releases both (releaseHeldReply), and Undo send takes both back (the reply's `translatedFrom`
 * names the note). The original is reply text, not a note to teammates: its `@name`s notify nobody.
 */
async function keepOriginal(
  tx: Tx,
  member: Member & { user: { name: string } },
  number: number,
  { language, original }: { language: string; original: string },
  reply: ReplyOutcome | Recount,
): Promise<ReplyOutcome | Recount> {
  if (reply.kind !== 'sent') return reply
  const name = languageName(language) ?? language
  const body = `Reply sent in ${name}, translated by AI and reviewed by ${member.user.name}. ${member.user.name}'s original:\n\n${original}`
  const heldUntil = reply.held ? await heldUntilOf(tx, { messageId: reply.messageId }) : null
  const note = await recordReply(tx, member, number, { kind: 'note', body, sendAnyway: true }, 0, undefined, {
    heldUntil,
    mentions: false,
  })
  if (note.kind !== 'sent') throw new Error('the original could not be kept as a note')
  await setTranslatedFrom(tx, {
    messageId: reply.messageId,
    translatedFrom: { language, original, noteId: note.messageId },
  })
  return { ...reply, events: [...reply.events, ...note.events] }
}

/**
 * withinOutboundLimit for one reply to ticket `number`: its recipients estimated from the ticket
 * as it is now (the customer, `cc` or else the ticket's CC list, `bcc`), the limit by whether an
 * owner verified their email. `send` runs recordReply in its transaction.
 */
export async function withinReplyLimit<T extends ReplyOutcome>(
  member: Member,
  number: number,
  input: ReplyInput,
  send: (reserved: number, countedIn: Date) => Promise<T | Recount>,
): Promise<T | OutboundLimited> {
  return withinOutboundLimit(
    member.workspaceId,
    await replyEstimate(member, number, input),
    send,
    (outcome) => (outcome.kind === 'sent' ? outcome.emailed : 0),
  )
}

/** A reply's recipients as the ticket is now, and whether an owner verified (its hourly limit). */
async function replyEstimate(member: Member, number: number, input: Pick<ReplyInput, 'cc' | 'bcc'>) {
  const preview = await outboundReplyPreview(getDb(), { workspaceId: member.workspaceId, number })
  const recipients =
    preview.contactEmail === null
      ? 1
      : replyRecipients(preview.contactEmail, input.cc ?? preview.cc, input.bcc)
  return { recipients, verifiedOwner: preview.verifiedOwner }
}

/**
 * Whether the workspace's hourly customer emails leave room for this reply, read without taking
 * any: the ticket page asks before a reply's files are written (a reply over the limit stores
 * none). replyToTicket still reserves them, and decides.
 */
export async function replyLimitOpen(member: Member, number: number, input: Pick<ReplyInput, 'cc' | 'bcc'>) {
  return outboundEmailsFree(member.workspaceId, await replyEstimate(member, number, input))
}

/**
 * A reply whose files were not written because its limit looked spent (replyLimitOpen): the
 * refusal replyToTicket gives (message and Retry-After), writing nothing. Undefined when the
 * hour has room again by now: the files are gone, so the reply is not sent either.
 */
export async function replyLimitRefusal(
  member: Member,
  number: number,
  input: Pick<ReplyInput, 'cc' | 'bcc'>,
) {
  return outboundLimitRefusal(member.workspaceId, await replyEstimate(member, number, input))
}

/** The addresses a reply's email goes to: the customer, then CC and BCC without repeats. */
function replyRecipients(contactEmail: string, cc: string[], bcc: string[] = []) {
  const copied = distinctAddresses(cc, [contactEmail])
  return 1 + copied.length + distinctAddresses(bcc, [contactEmail, ...copied]).length
}

/**
 * replyToTicket's writes, in the caller's transaction (a savepoint in it: a translated reply adds
 * its note in the same one). `reserved`: how many recipients a reply may email, as
 * withinOutboundLimit reserved them; a reply that would email more (the ticket's CC list grew
 * since) writes nothing and answers a Recount. `countedIn`: the window they were counted in, kept
 * with a held reply so that Undo send gives exactly them back.
 */
export async function recordReply(
  tx: Tx,
  member: Member & { user: { name: string } },
  number: number,
  input: ReplyInput,
  reserved: number,
  countedIn?: Date,
  /**
   * A translated reply's note (keepOriginal): held until its reply is released (`heldUntil`), and
   * without notifying the `@name`s of the text it quotes (`mentions: false`).
   */
  options: { heldUntil?: Date | null; mentions?: false } = {},
): Promise<ReplyOutcome | Recount> {
  // `@name` of workspace members, their memberships locked before the ticket (a removal's order).
  const mentioned =
    input.kind === 'note' && options.mentions !== false
      ? await lockMentioned(tx, {
          workspaceId: member.workspaceId,
          authorUserId: member.userId,
          body: input.body,
        })
      : []
  const ticket = await lockTicketForReply(tx, {
    workspaceId: member.workspaceId,
    number,
    userId: member.userId,
  })
  if (!ticket) return { kind: 'not-found' as const }
  const reply = input.kind === 'reply'
  const at = new Date()
  const hold = reply && input.undoable ? ticket.undoSendSeconds : 0
  const heldUntil = hold > 0 ? new Date(at.getTime() + hold * 1000) : (options.heldUntil ?? null)
  const messageId = uuidv7()
  const emailMessageId = reply ? newMessageId(`msg-${crypto.randomUUID()}`) : null
  // Reply-all: the ticket's CCs unless the agent changed them; what was sent becomes the list.
  const cc = reply ? distinctAddresses(input.cc ?? ticket.cc, [ticket.contactEmail]) : []
  // What the email goes to, under the ticket's lock: more than was reserved writes nothing.
  const recipients = reply ? replyRecipients(ticket.contactEmail, cc, input.bcc) : 0
  if (recipients > reserved) return { kind: 'recount' as const, recipients }
  // A ticket from before reply tokens gets its token (the email's Reply-To) in the same update.
  const replyToken = reply ? (ticket.replyToken ?? newReplyToken()) : null
  // The private link goes only into a copy the customer alone gets: a reply with CC is one copy
  // everyone on it sees (reply-all answers the ticket), so it carries none and none is made.
  const link = reply && cc.length === 0 ? newCustomerLink() : null
  // Before recordAgentMessage, which deletes the draft holding them.
  const keep = new Set(input.keepFiles ?? [])
  const kept =
    keep.size === 0
      ? []
      : (
          await draftFiles(tx, {
            workspaceId: member.workspaceId,
            ticketId: ticket.id,
            userId: member.userId,
          })
        ).filter((f) => keep.has(f.sha256))
  const files = [...kept, ...(input.files ?? [])]
  // The upload counted only the new files: with the kept ones the reply may not carry more.
  if (kept.length > 0) {
    if (files.length > MAX_FILES) {
      return {
        kind: 'files-over-limit' as const,
        message: `Attach at most ${MAX_FILES} files, kept ones included`,
      }
    }
    if (files.reduce((sum, f) => sum + f.size, 0) > MAX_TOTAL_BYTES) {
      return {
        kind: 'files-over-limit' as const,
        message: 'Attachments are limited to 25 MB in total, kept ones included',
      }
    }
  }
  // What Undo send needs to put back (undo-send.server.ts): the status the ticket had and the
  // one chosen, the ticket's CC list this reply replaced, and the recipients it counted against
  // the workspace's hourly customer emails.
  const undoData = {
    ...(input.status ? { status: { before: ticket.status, chosen: input.status } } : {}),
    ...(reply && input.cc ? { ccBefore: ticket.cc } : {}),
    ...(hold > 0 && countedIn ? { emailLimit: { windowStart: countedIn.toISOString(), recipients } } : {}),
  }
  // One statement after the lock: the collision check, then (unless anyone wrote since the
  // composer last looked) the message, the ticket row, audit, the customer's link, the read
  // marker and the draft, and the email's thread context.
  const recorded = await recordAgentMessage(tx, {
    workspaceId: member.workspaceId,
    ticketId: ticket.id,
    userId: member.userId,
    lastSeenMessageId: input.sendAnyway ? null : (input.lastSeenMessageId ?? null),
    message: {
      id: messageId,
      kind: input.kind,
      body: input.body,
      emailMessageId,
      inReplyTo: reply ? ticket.threadMessageId : null,
      deliveryStatus: reply ? 'queued' : null,
      heldUntil,
      createdAt: at,
    },
    firstResponseAt: reply ? at : null,
    cc: reply && input.cc ? cc : null,
    replyToken: reply && !ticket.replyToken ? replyToken : null,
    audit: {
      id: uuidv7(),
      action: reply ? 'message.replied' : 'message.noted',
      data: { messageId, attachments: files.length, ...undoData },
    },
    customerLink: link?.row ?? null,
    thread: reply ? { referencesLimit: REFERENCES_KEPT, quotedLimit: QUOTED_MESSAGES } : null,
    readAt: new Date(),
  })
  if (recorded.messageId === null) return collisionOutcome(recorded)
  const attached = await insertAttachments(tx, member.workspaceId, messageId, files)
  if (reply) {
    await queueAgentReplyEmail(tx, {
      ticket: { ...ticket, workspaceId: member.workspaceId, replyToken: replyToken! },
      message: { id: messageId, emailMessageId: emailMessageId!, body: input.body, createdAt: at },
      thread: recorded.thread,
      link: link?.email ?? null,
      agentName: member.user.name,
      agentSignature: ticket.authorSignature,
      cc,
      bcc: input.bcc ?? [],
      files: attached,
      holdSeconds: hold,
    })
  }
  const events: TicketEvent[] = [
    {
      type: 'message.created',
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      number: ticket.number,
      messageId,
      kind: input.kind,
      fromCustomer: false,
      actorUserId: member.userId,
      at: at.toISOString(),
    },
  ]
  // A held reply (undo send) is announced, to other agents and to webhooks, by its email job once
  // the delay has passed (releaseHeldReply); until then only its author sees it.
  if (heldUntil) events.length = 0
  // Only this message: the status change below enqueues its own ticket.updated.
  await enqueueWebhooks(tx, member.workspaceId, events, ticket.webhookEndpoints)
  // The CC list the agent sent to is the ticket's from now on (held reply or not: the ticket shows
  // it now, and Undo send puts the old one back with a change of its own): a ticket change, for
  // teammates' pages and webhooks alike, merged with the status's below into one ticket.updated.
  if (reply && input.cc && !sameAddresses(cc, distinctAddresses(ticket.cc, [ticket.contactEmail]))) {
    const ccChanged: TicketEvent = {
      type: 'ticket.updated',
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      number: ticket.number,
      changes: { cc },
      actorUserId: member.userId,
      at: at.toISOString(),
    }
    await enqueueWebhooks(tx, member.workspaceId, [ccChanged], ticket.webhookEndpoints)
    events.push(ccChanged)
  }
  // A notification each, in this transaction.
  events.push(
    ...(await notifyMentioned(
      tx,
      {
        workspaceId: member.workspaceId,
        ticketId: ticket.id,
        number: ticket.number,
        authorUserId: member.userId,
        body: input.body,
      },
      mentioned,
    )),
  )
  if (input.status && input.status !== ticket.status) {
    const outcome = await updateTickets(member, [ticket.id], { status: input.status }, tx)
    if (outcome.kind === 'updated') events.push(...outcome.events)
  }
  // recordAgentMessage emptied the author's draft: their other tabs save theirs again, under its
  // new generation.
  events.push(draftCleared(member, ticket, recorded.draftGeneration ?? 0, at))
  return { kind: 'sent' as const, messageId, events, emailed: recipients, held: hold > 0 }
}

type Collision = Extract<ReplyOutcome, { kind: 'collision' }>

/** The collision outcome from the check's rows: who wrote what since the composer looked. */
function collisionOutcome(found: {
  lastSeenKnown: boolean
  newer: Awaited<ReturnType<typeof messagesSinceLastSeen>>['newer']
  newerCount: number
}): Collision {
  const newer = found.newer.map((r) => ({
    id: r.id,
    kind: r.kind,
    author: r.userName ?? (r.contactName || r.contactEmail) ?? 'Someone',
    bodyText: sliceWhole(r.bodyText, 2000),
    createdAt: r.createdAt,
    sending: r.sending,
    fromParticipant: !r.notFromParticipant,
  }))
  const notShown = found.newerCount - newer.length
  if (!found.lastSeenKnown) return { kind: 'collision', newer, notShown, lastSeenUnknown: true }
  return { kind: 'collision', newer, notShown }
}

/**
 * The collision a reply to this ticket would meet now (recordReply's check, read without a lock),
 * or undefined: for refusing before work a collision would waste (a translation). recordReply
 * still decides, under the ticket's lock.
 */
export async function replyCollision(
  member: Member,
  ticketId: string,
  lastSeenMessageId: string | undefined,
): Promise<Collision | undefined> {
  const found = await messagesSinceLastSeen(getDb(), {
    workspaceId: member.workspaceId,
    ticketId,
    userId: member.userId,
    lastSeenMessageId: lastSeenMessageId ?? null,
  })
  return found.newer.length > 0 || !found.lastSeenKnown ? collisionOutcome(found) : undefined
}

/** The ticket behind a customer's private link, or undefined when unknown or expired. */
export async function findTicketByCustomerToken(token: string) {
  if (token.length < 20 || token.length > 100) return undefined
  return findTicketByCustomerTokenHash(getDb(), { tokenHash: hashToken(token) })
}

/**
 * A customer replies through their private link (or, later, by email). A pending, resolved or
 * closed ticket goes back to open.
 */
export async function customerReply(
  ticket: { ticketId: string; workspaceId: string },
  body: string,
  files: StoredFile[] = [],
  /**
   * Inbound email: its transaction, its message fields, the sender's contact (`authorContactId`,
   * locked by the caller's upsert; without it the author is the ticket's customer as the ticket's
   * lock reads it) and the ticket's new CC list.
   * `repeatWithinSeconds`: the same text and files from the customer on this ticket that recently
   * is the same post again (a double click): it is not written twice (`repeated: true`).
   * `automatic`: mail software answered on its own (out of office): kept in the thread, but the
   * status, the customer's last message time and the assignee are left alone.
   * `writtenBy`: the sender, when not the ticket's customer or CC'd (named in the notification email).
   */
  options: {
    tx?: Tx
    inbound?: InboundFields
    authorContactId?: string
    cc?: string[]
    repeatWithinSeconds?: number
    automatic?: boolean
    writtenBy?: string
  } = {},
) {
  const run = async (tx: Tx) => {
    // The assignee's membership, locked before the ticket (a removal's order): a removal of them
    // under way is waited for, and one waiting for it then sees the reply (the ticket it reopened
    // is handed back, the notification deleted). Before, a reply racing the removal notified a
    // member no longer there and left the closed ticket it reopened on them.
    const lockedAssignee = await lockAssigneeMembershipOfTicket(tx, ticket)
    // A removed member can stay assignee: they must not be notified about this workspace.
    const locked = await lockTicketForCustomerReply(tx, {
      workspaceId: ticket.workspaceId,
      ticketId: ticket.ticketId,
    })
    // Assigned to someone else since the first read (rare): their membership, after the ticket's.
    const current =
      locked.assigneeId === null || locked.assigneeId === lockedAssignee
        ? { ...locked, assigneeIsMember: locked.assigneeId !== null }
        : {
            ...locked,
            assigneeIsMember: await lockMembershipOf(tx, {
              workspaceId: ticket.workspaceId,
              userId: locked.assigneeId,
            }),
          }
    // Not the contact the caller read before this transaction: a contact merge may have moved the
    // ticket to another contact and deleted that one since (the insert then failed its foreign key).
    const authorContactId = options.authorContactId ?? current.contactId
    if (options.repeatWithinSeconds) {
      // After the ticket's lock: a concurrent copy of this post has committed by now.
      const repeated = await findRepeatedCustomerMessage(tx, {
        ticketId: ticket.ticketId,
        contactId: authorContactId,
        body,
        sha256s: files.map((f) => f.sha256),
        seconds: options.repeatWithinSeconds,
      })
      if (repeated) {
        return {
          messageId: repeated,
          assigneeId: current.assigneeId,
          events: [] as TicketEvent[],
          repeated: true,
        }
      }
    }
    const at = new Date()
    const message = await insertMessage(tx, {
      workspaceId: ticket.workspaceId,
      ticketId: ticket.ticketId,
      kind: 'reply',
      authorContactId,
      bodyText: body,
      createdAt: at,
      ...options.inbound,
    })
    await insertAttachments(tx, ticket.workspaceId, message.id, files)
    const reopen = current.status !== 'open' && !options.automatic
    await recordTicketMessage(tx, {
      ticketId: ticket.ticketId,
      body,
      set: {
        lastActivityAt: at,
        ...(options.automatic ? {} : { lastCustomerMessageAt: at }),
        updatedAt: at,
        ...(options.cc ? { cc: options.cc } : {}),
        ...(reopen ? { status: 'open' as const, ...statusTimestamps(current, 'open') } : {}),
      },
    })
    await recordAudit(tx, {
      workspaceId: ticket.workspaceId,
      actorUserId: null,
      action: 'message.customer-replied',
      targetType: 'ticket',
      targetId: ticket.ticketId,
      data: {
        messageId: message.id,
        reopenedFrom: reopen ? current.status : undefined,
        automatic: options.automatic || undefined,
      },
    })
    const events: TicketEvent[] = [
      {
        type: 'message.created',
        workspaceId: ticket.workspaceId,
        ticketId: ticket.ticketId,
        number: current.number,
        messageId: message.id,
        kind: 'reply',
        fromCustomer: true,
        actorUserId: null,
        at: at.toISOString(),
      },
    ]
    if (current.assigneeId && current.assigneeIsMember && !options.automatic) {
      events.push(
        await notify(tx, {
          workspaceId: ticket.workspaceId,
          userId: current.assigneeId,
          kind: 'customer-replied',
          ticketId: ticket.ticketId,
          number: current.number,
          actorUserId: null,
          writtenBy: options.writtenBy,
        }),
      )
    }
    if (reopen) {
      events.push({
        type: 'ticket.updated',
        workspaceId: ticket.workspaceId,
        ticketId: ticket.ticketId,
        number: current.number,
        changes: { status: 'open' },
        actorUserId: null,
        at: at.toISOString(),
      })
    }
    await enqueueWebhooks(tx, ticket.workspaceId, events)
    return { messageId: message.id, assigneeId: current.assigneeId, events, repeated: false }
  }
  return options.tx ? run(options.tx) : getDb().transaction(run)
}

const sameAddresses = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i])
