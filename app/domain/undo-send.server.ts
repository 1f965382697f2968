import { getDb } from '#db/client.ts'
import { z } from 'zod'
import { restoreDraft } from '#db/queries/drafts.ts'
import { setTicketFields } from '#db/queries/tickets.ts'
import { lockMembershipOf } from '#db/queries/workspaces.ts'
import {
  deleteHeldReply,
  heldReplyOf,
  lockHeldReply,
  releaseHeldMessage,
  setUndoSendSeconds,
  undoSendSeconds,
} from '#db/queries/held-replies.ts'
import { deleteJob } from '#app/jobs/queue.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { TICKET_STATUSES } from '#app/utils/vocabulary.ts'
import { recordAudit } from './audit.server.ts'
import { notFound } from './errors.server.ts'
import { giveBackOutboundEmails } from './outbound-email-limit.server.ts'
import { updateTickets } from './tickets.server.ts'
import { wakeNextThreadEmail } from './email.server.ts'
import { enqueueWebhooks } from './webhooks.server.ts'
import type { Member } from './workspaces.server.ts'

/**
 * The reply "Send & next" left in its undo window (its id in the page's `sent` parameter), for the
 * Undo the page it lands on offers: undefined unless it is the member's own, in this workspace,
 * and still held.
 */
export async function heldReplyElsewhere(member: Member, sent: string | null) {
  if (!sent || !z.uuid().safeParse(sent).success) return undefined
  return heldReplyOf(getDb(), { workspaceId: member.workspaceId, userId: member.userId, messageId: sent })
}

/** The longest undo-send delay an agent may choose, in seconds. */
export const MAX_UNDO_SEND_SECONDS = 30

export type UndoOutcome = { kind: 'undone'; body: string; events: TicketEvent[] } | { kind: 'too-late' }

const SentWith = z.object({
  status: z.object({ before: z.enum(TICKET_STATUSES), chosen: z.enum(TICKET_STATUSES) }).optional(),
  ccBefore: z.array(z.string()).optional(),
  emailLimit: z.object({ windowStart: z.coerce.date(), recipients: z.number().int().positive() }).optional(),
})

/**
 * Undo send: takes a reply still in its undo window back, in one transaction: its email job, the
 * email row, its attachment rows and the message go. The whole reply becomes the agent's draft
 * again (text, CC, BCC, the "then set status" choice, and its files, kept by content address and
 * attached again when it is sent; an AI translation with its original and language, its note
 * taken back with it); the composer restores it. What the send changed on the ticket
 * is put back when nothing changed it since: the status (audited, announced) and the CC list it
 * replaced; its recipients are given back to the workspace's hourly customer emails. Too late once the email job has released it (or it was never held).
 */
export async function undoReply(member: Member, number: number, messageId: string): Promise<UndoOutcome> {
  return getDb().transaction(async (tx) => {
    // Their membership first, as a draft save (saveDraft): a removal under way waits, then deletes
    // the draft this restores; after one, nothing is restored for someone no longer a member.
    if (!(await lockMembershipOf(tx, member))) throw notFound('Ticket not found')
    const reply = await lockHeldReply(tx, {
      workspaceId: member.workspaceId,
      number,
      userId: member.userId,
      messageId,
    })
    if (!reply || reply.emails.some((e) => e.status !== 'queued')) return { kind: 'too-late' as const }
    for (const email of reply.emails) if (email.jobId) await deleteJob(tx, 'email.send', email.jobId)
    await deleteHeldReply(tx, reply)
    // A later reply of the ticket that waited behind this one goes now.
    for (const email of reply.emails) await wakeNextThreadEmail(tx, email.id, reply.ticketId)
    const sent = SentWith.safeParse(reply.sent ?? {})
    const { status, ccBefore, emailLimit } = sent.success ? sent.data : {}
    // Its email never went: its recipients no longer count against the hour.
    if (emailLimit) await giveBackOutboundEmails(tx, member.workspaceId, emailLimit)
    const [email] = reply.emails
    await restoreDraft(tx, {
      workspaceId: member.workspaceId,
      ticketId: reply.ticketId,
      userId: member.userId,
      body: reply.bodyText,
      kind: 'reply',
      cc: email ? email.cc : null,
      bcc: email?.bcc ?? [],
      status: status?.chosen ?? null,
      files: reply.files,
      // An AI translation ("Translate to <language>") comes back as one: the review line, the
      // agent's original and its note again when it is sent (its note went with the reply).
      // The text sent stands for the model's (it was derived from it, or no note was written).
      translation: reply.translatedFrom
        ? {
            language: reply.translatedFrom.language,
            original: reply.translatedFrom.original,
            text: reply.bodyText,
          }
        : null,
    })
    const events: TicketEvent[] = []
    // Only while the ticket is as the send left it: a teammate's change since stays.
    if (status && status.chosen !== status.before && reply.status === status.chosen) {
      const outcome = await updateTickets(member, [reply.ticketId], { status: status.before }, tx, {
        notifyAssignee: false,
      })
      if (outcome.kind === 'updated') events.push(...outcome.events)
    }
    if (ccBefore && email && sameList(reply.cc, email.cc) && !sameList(reply.cc, ccBefore)) {
      await setTicketFields(tx, { ticketId: reply.ticketId, set: { cc: ccBefore, updatedAt: new Date() } })
      const ccRestored: TicketEvent = {
        type: 'ticket.updated',
        workspaceId: member.workspaceId,
        ticketId: reply.ticketId,
        number: reply.number,
        changes: { cc: ccBefore },
        actorUserId: member.userId,
        at: new Date().toISOString(),
      }
      // The send's own change of the list reached webhooks (replyToTicket): so does this one.
      await enqueueWebhooks(tx, member.workspaceId, [ccRestored])
      events.push(ccRestored)
    }
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'message.unsent',
      targetType: 'ticket',
      targetId: reply.ticketId,
      data: {
        messageId: reply.id,
        attachments: reply.files.length,
        statusRestored: events.some((e) => e.type === 'ticket.updated' && 'status' in e.changes),
      },
    })
    return { kind: 'undone' as const, body: reply.bodyText, events }
  })
}

function sameList(a: string[], b: string[]) {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * Called by the email job before it delivers: a held reply whose undo window is over becomes
 * visible to everyone, with a translated reply's note. Returns their `message.created` events to
 * publish (and enqueues their webhooks in the same transaction); nothing for emails that were not held.
 */
export async function releaseHeldReply(emailId: string): Promise<TicketEvent[]> {
  return getDb().transaction(async (tx) => {
    const released = await releaseHeldMessage(tx, { emailId })
    if (!released) return []
    const created = (messageId: string, kind: 'reply' | 'note', at: Date): TicketEvent => ({
      type: 'message.created',
      workspaceId: released.workspaceId,
      ticketId: released.ticketId,
      number: released.number,
      messageId,
      kind,
      fromCustomer: false,
      actorUserId: released.authorUserId,
      at: at.toISOString(),
    })
    const events = [created(released.id, 'reply', released.createdAt)]
    // A translated reply's note, which keeps the agent's original, was held with it.
    if (released.note) events.push(created(released.note.id, 'note', released.note.createdAt))
    await enqueueWebhooks(tx, released.workspaceId, events)
    return events
  })
}

/** The agent's undo-send delay in seconds (the account page). */
export async function undoSendDelay(userId: string) {
  return undoSendSeconds(getDb(), { userId })
}

export async function changeUndoSendDelay(userId: string, seconds: number) {
  await setUndoSendSeconds(getDb(), { userId, seconds })
}
