import { getDb, type Tx } from '#db/client.ts'
import { upsertContactByEmail } from '#db/queries/contacts.ts'
import { getWorkspaceSlug } from '#db/queries/email-threading.ts'
import { getFirstActiveMailbox, getMailbox } from '#db/queries/mailboxes.ts'
import {
  deleteTicketTag,
  ensureTag,
  getTagName,
  insertAttachmentRows,
  insertCustomerLink,
  insertMessage,
  insertTicket,
  insertTicketTags,
  lockTicketNumbers,
  lockTicketSubject,
  lockTicketsForUpdate,
  setTicketFields,
  setTicketSubject,
  takeNextTicketNumber,
  touchTickets,
} from '#db/queries/tickets.ts'
import { lockMembershipOf } from '#db/queries/workspaces.ts'
import { uuidv7 } from '#db/uuid.ts'
import { type messages, type TicketPriority, type TicketStatus, type tickets } from '#db/schema.ts'
import { env } from '#app/env.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { recordAudit } from './audit.server.ts'
import { hashToken } from './tokens.server.ts'
import { newEmailLink } from './email-link.server.ts'
import { newMessageId, queueEmail } from './email.server.ts'
import { notify } from './notifications.server.ts'
import { renderTicketConfirmation } from './email-templates.server.ts'
import { newReplyToken, replyAddress } from './reply-address.server.ts'
import { enqueueWebhooks } from './webhooks.server.ts'
import { enqueueTriageIfWanted } from '#app/ai/triage-enqueue.server.ts'

export type StoredFile = { filename: string; contentType: string; size: number; sha256: string }
/** `via: 'ai'`: a change the AI triage made itself (audit rows carry `by: 'ai'`; userId is null). */
export type Actor = { workspaceId: string; userId: string | null; via?: 'ai' }

/** The audit data of a change, marked when AI made it (the activity log then says "by AI"). */
function auditData(actor: Actor, data: Record<string, unknown>) {
  return actor.via ? { ...data, by: actor.via } : data
}

const CUSTOMER_LINK_TTL_MS = 180 * 24 * 60 * 60 * 1000

/**
 * A fresh private link for the customer: its URL, the URL an email stores for it (the token's
 * placeholder, filled in when the email is sent: email-link.server.ts), and the row to store
 * (only the token's hash; the row's id is the link's). The caller inserts the row in its
 * transaction (an agent reply does, in its one statement).
 */
export function newCustomerLink() {
  const { linkId, token, placeholder } = newEmailLink()
  return {
    url: `${env().appUrl}/support/t/${token}`,
    email: { url: `${env().appUrl}/support/t/${placeholder}`, linkId },
    row: { id: linkId, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + CUSTOMER_LINK_TTL_MS) },
  }
}

/** A fresh private link for the customer, stored (only its hash); see newCustomerLink. */
export async function createCustomerLink(tx: Tx, workspaceId: string, ticketId: string) {
  const link = newCustomerLink()
  const { id, tokenHash, expiresAt } = link.row
  await insertCustomerLink(tx, { id, workspaceId, ticketId, tokenHash, expiresAt })
  return link
}

const now = () => new Date()

/** Find or create the contact by email (case-insensitive); a known contact keeps its name unless it had none. */
export async function upsertContact(tx: Tx, workspaceId: string, email: string, name: string) {
  // `inserted` tells a new contact (contact.created) from a known one.
  return upsertContactByEmail(tx, { workspaceId, email, name })
}

export type CreateTicketInput = {
  /** Absent: the workspace's oldest active mailbox (the API's default when `mailbox_id` is left out). */
  mailboxId?: string
  customerEmail: string
  customerName: string
  subject: string
  body: string
  channel: 'web' | 'api' | 'phone' | 'email'
  files?: StoredFile[]
  /** Email the customer a confirmation with their private link (the public form does). */
  sendConfirmation?: boolean
  /** The customer's CC'd addresses (an inbound email's To/Cc), copied on agent replies. */
  cc?: string[]
  /** An inbound email's fields on the first message (app/domain/inbound-email.server.ts). */
  inbound?: InboundFields
}

/** What an inbound email adds to its message: sanitized HTML, Message-IDs, why it was threaded there. */
export type InboundFields = Pick<
  typeof messages.$inferInsert,
  | 'inboundEmailId'
  | 'threadedBy'
  | 'notFromParticipant'
  | 'filesNotKept'
  | 'viaList'
  | 'automatic'
  | 'inboundKey'
  | 'emailMessageId'
  | 'inReplyTo'
  | 'bodyHtml'
>

/** The new ticket as committed, so a caller that answers with it (the API) need not read it back. */
export type CreatedTicket = {
  id: string
  number: number
  subject: string
  status: TicketStatus
  priority: TicketPriority
  channel: CreateTicketInput['channel']
  mailboxId: string
  mailboxName: string
  contactId: string
  contactName: string
  contactEmail: string
  assignee: null
  tags: []
  createdAt: Date
  lastActivityAt: Date
  firstResponseAt: Date | null
  resolvedAt: Date | null
}

export type CreateTicketOutcome =
  | {
      kind: 'created'
      ticketId: string
      number: number
      ticket: CreatedTicket
      customerLink: string
      events: TicketEvent[]
    }
  | { kind: 'unknown-mailbox' }

/**
 * Opens a ticket with the customer's first message, in one transaction: contact, number,
 * message, attachments, audit entry, private link and (optionally) the confirmation email.
 */
export async function createTicket(
  actor: Actor,
  input: CreateTicketInput,
  outerTx?: Tx,
): Promise<CreateTicketOutcome> {
  const run = async (tx: Tx) => {
    const mailbox = input.mailboxId
      ? await getMailbox(tx, { workspaceId: actor.workspaceId, id: input.mailboxId })
      : await getFirstActiveMailbox(tx, { workspaceId: actor.workspaceId })
    if (!mailbox || mailbox.archivedAt) return { kind: 'unknown-mailbox' as const }
    const contact = await upsertContact(tx, actor.workspaceId, input.customerEmail, input.customerName)
    // The number, the AI settings and the active webhook endpoints, in one statement.
    const { number, ai, webhookEndpoints } = await takeNextTicketNumber(tx, {
      workspaceId: actor.workspaceId,
    })
    const ticketId = uuidv7()
    const threadMessageId = newMessageId(`ticket-${ticketId}`)
    const replyToken = newReplyToken()
    const at = now()
    const defaults = await insertTicket(tx, {
      values: {
        id: ticketId,
        workspaceId: actor.workspaceId,
        number,
        mailboxId: mailbox.id,
        contactId: contact.id,
        subject: input.subject,
        channel: input.channel,
        threadMessageId,
        replyToken,
        cc: input.cc ?? [],
        messageCount: 1,
        lastActivityAt: at,
        lastCustomerMessageAt: at,
        createdAt: at,
      },
      searchContact: `${contact.name} ${input.customerEmail}`,
      body: input.body,
    })
    const message = await insertMessage(tx, {
      workspaceId: actor.workspaceId,
      ticketId,
      kind: 'reply',
      authorContactId: contact.id,
      bodyText: input.body,
      createdAt: at,
      ...input.inbound,
    })
    await insertAttachments(tx, actor.workspaceId, message.id, input.files ?? [])
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'ticket.created',
      targetType: 'ticket',
      targetId: ticketId,
      data: { number, channel: input.channel, subject: input.subject },
    })
    const customerLink = await createCustomerLink(tx, actor.workspaceId, ticketId)
    // Any channel (form, email, API, agent): the triage job, if the workspace has it on.
    await enqueueTriageIfWanted(tx, ai, actor.workspaceId, ticketId)
    if (input.sendConfirmation) {
      const slug = (await getWorkspaceSlug(tx, { workspaceId: actor.workspaceId }))!
      const rendered = await renderTicketConfirmation({
        customerName: contact.name,
        subject: input.subject,
        number,
        mailboxName: mailbox.fromName,
        link: customerLink.email.url,
      })
      await queueEmail(tx, {
        ...rendered,
        workspaceId: actor.workspaceId,
        ticketId,
        kind: 'ticket-confirmation',
        linkId: customerLink.email.linkId,
        fromAddress: mailbox.address,
        fromName: mailbox.fromName,
        toAddress: input.customerEmail,
        // A reply to the confirmation lands on this ticket (by its token), not as a new one.
        replyTo: replyAddress(slug, mailbox.key, replyToken),
        // The thread's root: agent replies answer this Message-ID, so mail clients thread them.
        headers: { 'Auto-Submitted': 'auto-replied', 'Message-ID': threadMessageId },
      })
    }
    const events: TicketEvent[] = [
      { type: 'ticket.created', workspaceId: actor.workspaceId, ticketId, number, at: at.toISOString() },
    ]
    await enqueueWebhooks(
      tx,
      actor.workspaceId,
      [
        ...(contact.inserted
          ? [
              {
                type: 'contact.created' as const,
                workspaceId: actor.workspaceId,
                contactId: contact.id,
                at: at.toISOString(),
              },
            ]
          : []),
        ...events,
      ],
      webhookEndpoints,
    )
    const ticket: CreatedTicket = {
      id: ticketId,
      number,
      subject: input.subject,
      status: defaults.status,
      priority: defaults.priority,
      channel: input.channel,
      mailboxId: mailbox.id,
      mailboxName: mailbox.name,
      contactId: contact.id,
      contactName: contact.name,
      contactEmail: contact.email,
      assignee: null,
      tags: [],
      createdAt: at,
      lastActivityAt: at,
      firstResponseAt: defaults.firstResponseAt,
      resolvedAt: defaults.resolvedAt,
    }
    return { kind: 'created' as const, ticketId, number, ticket, customerLink: customerLink.url, events }
  }
  return outerTx ? run(outerTx) : getDb().transaction(run)
}

/** The message's attachment rows, in the files' order; returns them (ids listed in that order). */
export async function insertAttachments(tx: Tx, workspaceId: string, messageId: string, files: StoredFile[]) {
  if (files.length === 0) return []
  return insertAttachmentRows(tx, { workspaceId, messageId, files })
}

/** Status changes keep resolved_at true: set when resolved or closed, cleared when reopened. */
export function statusTimestamps(
  before: { status: TicketStatus; resolvedAt: Date | null },
  status: TicketStatus,
) {
  if (status === before.status) return {}
  if (status === 'resolved' || status === 'closed') return { resolvedAt: before.resolvedAt ?? now() }
  return { resolvedAt: null }
}

export type TicketChanges = {
  status?: TicketStatus
  priority?: TicketPriority
  /** A member's user id, or null to unassign. */
  assigneeId?: string | null
}

/** A ticket's fields as `lockTicketsForUpdate` returns them, locked until the transaction ends. */
export type LockedTicket = Awaited<ReturnType<typeof lockTicketsForUpdate>>[number]

export type UpdateOutcome =
  { kind: 'updated'; events: TicketEvent[] } | { kind: 'not-found' } | { kind: 'unknown-assignee' }

/**
 * Whether the assignee the changes name (if any) is a member, their membership locked until the
 * transaction ends (lockMembershipOf): a removal of them waits for the assignment and hands the
 * ticket back, or committed first and the assignment is refused. A caller that locks the tickets
 * before updateTickets calls this before them, taking the locks in a removal's order
 * (membership, then tickets): the other order deadlocked with it.
 */
export async function lockAssignee(tx: Tx, actor: Actor, changes: TicketChanges) {
  if (!changes.assigneeId) return true
  return lockMembershipOf(tx, { workspaceId: actor.workspaceId, userId: changes.assigneeId })
}

/** Changes status, priority and/or assignee of tickets, with one audit entry per field changed. */
export async function updateTickets(
  actor: Actor,
  ticketIds: string[],
  changes: TicketChanges,
  tx?: Tx,
  options: {
    // Off for an undo: the assignee it restores had the ticket a moment ago, and is not told again.
    notifyAssignee?: boolean
    /**
     * A condition on each ticket as locked: one it refuses is left as it is. A caller that decided
     * on a value it read earlier (AI triage, minutes before) checks it here, where no one else
     * can change it before this transaction ends.
     */
    onlyIf?: (ticket: LockedTicket) => boolean
  } = {},
): Promise<UpdateOutcome> {
  const run = async (tx: Tx): Promise<UpdateOutcome> => {
    if (!(await lockAssignee(tx, actor, changes))) return { kind: 'unknown-assignee' }
    // Locked in id order, so two overlapping bulk updates queue instead of deadlocking.
    const rows = await lockTicketsForUpdate(tx, { workspaceId: actor.workspaceId, ticketIds })
    if (rows.length !== new Set(ticketIds).size) return { kind: 'not-found' }
    const events: TicketEvent[] = []
    const at = now()
    for (const before of rows) {
      if (options.onlyIf && !options.onlyIf(before)) continue
      const set: Partial<typeof tickets.$inferInsert> = {}
      const diff: Record<string, { before: unknown; after: unknown }> = {}
      if (changes.status && changes.status !== before.status) {
        Object.assign(set, { status: changes.status }, statusTimestamps(before, changes.status))
        diff.status = { before: before.status, after: changes.status }
      }
      if (changes.priority && changes.priority !== before.priority) {
        set.priority = changes.priority
        diff.priority = { before: before.priority, after: changes.priority }
      }
      if (changes.assigneeId !== undefined && changes.assigneeId !== before.assigneeId) {
        set.assigneeId = changes.assigneeId
        diff.assigneeId = { before: before.assigneeId, after: changes.assigneeId }
      }
      if (Object.keys(diff).length === 0) continue
      await setTicketFields(tx, { ticketId: before.id, set: { ...set, updatedAt: at } })
      for (const [field, change] of Object.entries(diff)) {
        await recordAudit(tx, {
          workspaceId: actor.workspaceId,
          actorUserId: actor.userId,
          action: `ticket.${field === 'assigneeId' ? 'assigned' : field}-changed`,
          targetType: 'ticket',
          targetId: before.id,
          data: auditData(actor, change),
        })
      }
      events.push({
        type: 'ticket.updated',
        workspaceId: actor.workspaceId,
        ticketId: before.id,
        number: before.number,
        changes: Object.fromEntries(Object.entries(diff).map(([k, v]) => [k, v.after])),
        actorUserId: actor.userId,
        at: at.toISOString(),
      })
      if (
        options.notifyAssignee !== false &&
        diff.assigneeId &&
        changes.assigneeId &&
        changes.assigneeId !== actor.userId
      ) {
        events.push(
          await notify(tx, {
            workspaceId: actor.workspaceId,
            userId: changes.assigneeId,
            kind: 'assigned',
            ticketId: before.id,
            number: before.number,
            actorUserId: actor.userId,
          }),
        )
      }
    }
    await enqueueWebhooks(tx, actor.workspaceId, events)
    return { kind: 'updated', events }
  }
  return tx ? run(tx) : getDb().transaction(run)
}

/**
 * Renames a ticket. The new subject is added to the search document (the old one stays
 * searchable, as with a renamed contact: rebuilding it would mean re-reading every body).
 */
export async function changeSubject(
  actor: Actor,
  ticketId: string,
  subject: string,
  tx?: Tx,
): Promise<UpdateOutcome> {
  const run = async (tx: Tx): Promise<UpdateOutcome> => {
    const before = await lockTicketSubject(tx, { workspaceId: actor.workspaceId, ticketId })
    if (!before) return { kind: 'not-found' as const }
    if (before.subject === subject) return { kind: 'updated' as const, events: [] }
    const at = now()
    await setTicketSubject(tx, { ticketId, subject, updatedAt: at })
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'ticket.subject-changed',
      targetType: 'ticket',
      targetId: ticketId,
      data: { before: before.subject, after: subject },
    })
    const events = [tagEvent(actor, before, { subject })]
    await enqueueWebhooks(tx, actor.workspaceId, events)
    return { kind: 'updated' as const, events }
  }
  return tx ? run(tx) : getDb().transaction(run)
}

/** Finds or creates tags by name (case-insensitive) in the workspace. */
async function ensureTags(tx: Tx, workspaceId: string, names: string[]) {
  const ids: Array<{ id: string; name: string }> = []
  for (const name of names) {
    ids.push(await ensureTag(tx, { workspaceId, name }))
  }
  return ids
}

/** Adds tags (created on the fly) to tickets of the workspace. */
export async function addTags(
  actor: Actor,
  ticketIds: string[],
  names: string[],
  tx?: Tx,
  { bulkBatchId }: { bulkBatchId?: string } = {},
): Promise<UpdateOutcome> {
  // `tx`: part of a caller's transaction (a bulk action that records its undo in the same one,
  // and marks the rows it adds with its batch id, so its Undo removes only those).
  const run = async (tx: Tx): Promise<UpdateOutcome> => {
    const rows = await lockTicketNumbers(tx, { workspaceId: actor.workspaceId, ticketIds })
    if (rows.length !== new Set(ticketIds).size) return { kind: 'not-found' as const }
    const tagRows = await ensureTags(tx, actor.workspaceId, names)
    const events: TicketEvent[] = []
    const at = now()
    for (const ticket of rows) {
      const inserted = await insertTicketTags(tx, {
        workspaceId: actor.workspaceId,
        ticketId: ticket.id,
        tagIds: tagRows.map((t) => t.id),
        bulkBatchId,
      })
      if (inserted.length === 0) continue
      const added = tagRows.filter((t) => inserted.some((i) => i.tagId === t.id)).map((t) => t.name)
      await recordAudit(tx, {
        workspaceId: actor.workspaceId,
        actorUserId: actor.userId,
        action: 'ticket.tagged',
        targetType: 'ticket',
        targetId: ticket.id,
        data: auditData(actor, { added }),
      })
      events.push(tagEvent(actor, ticket, { tagsAdded: added }))
    }
    await touchTickets(tx, { ticketIds: events.map((e) => e.ticketId), at })
    await enqueueWebhooks(tx, actor.workspaceId, events)
    return { kind: 'updated' as const, events }
  }
  return tx ? run(tx) : getDb().transaction(run)
}

export async function removeTag(
  actor: Actor,
  ticketId: string,
  tagId: string,
  tx?: Tx,
): Promise<UpdateOutcome> {
  const run = async (tx: Tx): Promise<UpdateOutcome> => {
    const [ticket] = await lockTicketNumbers(tx, { workspaceId: actor.workspaceId, ticketIds: [ticketId] })
    if (!ticket) return { kind: 'not-found' as const }
    const removed = await deleteTicketTag(tx, { workspaceId: actor.workspaceId, ticketId, tagId })
    if (removed.length === 0) return { kind: 'not-found' as const }
    await touchTickets(tx, { ticketIds: [ticketId], at: now() })
    const tag = await getTagName(tx, { tagId })
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: 'ticket.untagged',
      targetType: 'ticket',
      targetId: ticketId,
      data: { removed: tag?.name },
    })
    const events = [tagEvent(actor, ticket, { tagRemoved: tag?.name })]
    await enqueueWebhooks(tx, actor.workspaceId, events)
    return { kind: 'updated' as const, events }
  }
  return tx ? run(tx) : getDb().transaction(run)
}

function tagEvent(
  actor: Actor,
  ticket: { id: string; number: number },
  changes: Record<string, unknown>,
): TicketEvent {
  return {
    type: 'ticket.updated',
    workspaceId: actor.workspaceId,
    ticketId: ticket.id,
    number: ticket.number,
    changes,
    actorUserId: actor.userId,
    at: now().toISOString(),
  }
}
