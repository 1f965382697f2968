import { getDb } from '#db/client.ts'
import { upsertDraft } from '#db/queries/drafts.ts'
import {
  deleteHeldReply,
  lockHeldReply,
  releaseHeldMessage,
  setUndoSendSeconds,
  undoSendSeconds,
} from '#db/queries/held-replies.ts'
import { deleteJob } from '#app/jobs/queue.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { recordAudit } from './audit.server.ts'
import { enqueueWebhooks } from './webhooks.server.ts'
import type { Member } from './workspaces.server.ts'

/** The longest undo-send delay an agent may choose, in seconds. */
export const MAX_UNDO_SEND_SECONDS = 30

export type UndoOutcome = { kind: 'undone'; body: string } | { kind: 'too-late' }

/**
 * Undo send: takes a reply still in its undo window back, in one transaction: its email job, the
 * email row, its attachments and the message go; the text becomes the agent's draft again (the
 * composer restores it). Too late once the email job has released it (or it was never held).
 */
export async function undoReply(member: Member, number: number, messageId: string): Promise<UndoOutcome> {
  return getDb().transaction(async (tx) => {
    const reply = await lockHeldReply(tx, {
      workspaceId: member.workspaceId,
      number,
      userId: member.userId,
      messageId,
    })
    if (!reply || reply.emails.some((e) => e.status !== 'queued')) return { kind: 'too-late' as const }
    for (const email of reply.emails) if (email.jobId) await deleteJob(tx, 'email.send', email.jobId)
    await deleteHeldReply(tx, reply)
    await upsertDraft(tx, {
      workspaceId: member.workspaceId,
      ticketId: reply.ticketId,
      userId: member.userId,
      body: reply.bodyText,
      kind: 'reply',
    })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'message.unsent',
      targetType: 'ticket',
      targetId: reply.ticketId,
      data: { messageId: reply.id },
    })
    return { kind: 'undone' as const, body: reply.bodyText }
  })
}

/**
 * Called by the email job before it delivers: a held reply whose undo window is over becomes
 * visible to everyone. Returns its `message.created` event to publish (and enqueues its
 * webhooks in the same transaction); nothing for emails that were not held.
 */
export async function releaseHeldReply(emailId: string): Promise<TicketEvent[]> {
  return getDb().transaction(async (tx) => {
    const released = await releaseHeldMessage(tx, { emailId })
    if (!released) return []
    const events: TicketEvent[] = [
      {
        type: 'message.created',
        workspaceId: released.workspaceId,
        ticketId: released.ticketId,
        number: released.number,
        messageId: released.id,
        kind: 'reply',
        fromCustomer: false,
        actorUserId: released.authorUserId,
        at: released.createdAt.toISOString(),
      },
    ]
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
