import { and, eq, gt, isNotNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { attachments, auditEvents, emails, messages, tickets, users } from '../schema.ts'
import { addFileNamesToSearch, addWordsToSearch } from './tickets.ts'

/** The agent's undo-send delay in seconds (0 sends at once). */
export async function undoSendSeconds(db: DbOrTx, { userId }: { userId: string }) {
  const [row] = await db.select({ seconds: users.undoSendSeconds }).from(users).where(eq(users.id, userId))
  return row?.seconds ?? 0
}

export async function setUndoSendSeconds(
  db: DbOrTx,
  { userId, seconds }: { userId: string; seconds: number },
) {
  await db.update(users).set({ undoSendSeconds: seconds, updatedAt: new Date() }).where(eq(users.id, userId))
}

/**
 * Releases the held reply behind this email (its undo window is over): clears `held_until` and
 * returns what the announcement needs, or undefined when there is nothing held (already released,
 * undone, or not a held reply). Waits for an undo holding the message's row lock. A translated
 * reply's note (its `translatedFrom.noteId`, held with it) is released with it and returned as `note`.
 */
export async function releaseHeldMessage(db: DbOrTx, { emailId }: { emailId: string }) {
  const [row] = await db
    .update(messages)
    .set({ heldUntil: null })
    .from(emails)
    .where(and(eq(emails.id, emailId), eq(messages.id, emails.messageId), isNotNull(messages.heldUntil)))
    .returning({
      id: messages.id,
      workspaceId: messages.workspaceId,
      ticketId: messages.ticketId,
      authorUserId: messages.authorUserId,
      createdAt: messages.createdAt,
      number: sql<number>`(select t.number from tickets t where t.id = ${messages.ticketId})`,
      bodyText: messages.bodyText,
      noteId: sql<string | null>`${messages.translatedFrom}->>'noteId'`,
    })
  if (!row) return undefined
  const [note] = row.noteId
    ? await db
        .update(messages)
        .set({ heldUntil: null })
        .where(
          and(
            eq(messages.id, row.noteId),
            eq(messages.ticketId, row.ticketId),
            isNotNull(messages.heldUntil),
          ),
        )
        .returning({ id: messages.id, createdAt: messages.createdAt, bodyText: messages.bodyText })
    : []
  // Their words join the ticket's search document now (recordAgentMessage left them out while held).
  await addWordsToSearch(db, { ticketId: row.ticketId, words: row.bodyText })
  if (note) await addWordsToSearch(db, { ticketId: row.ticketId, words: note.bodyText })
  await addFileNamesToSearch(db, { messageIds: note ? [row.id, note.id] : [row.id] })
  const { bodyText: _bodyText, noteId: _noteId, ...released } = row
  return { ...released, note: note ? { id: note.id, createdAt: note.createdAt } : undefined }
}

/** When the message is released from its undo window (null: it is not held). */
export async function heldUntilOf(db: DbOrTx, { messageId }: { messageId: string }) {
  const [row] = await db
    .select({ heldUntil: messages.heldUntil })
    .from(messages)
    .where(eq(messages.id, messageId))
  return row?.heldUntil ?? null
}

/** Marks a reply as the AI translation of `original`, whose note `noteId` keeps it in the thread. */
export async function setTranslatedFrom(
  db: DbOrTx,
  {
    messageId,
    translatedFrom,
  }: { messageId: string; translatedFrom: { language: string; original: string; noteId: string } },
) {
  await db.update(messages).set({ translatedFrom }).where(eq(messages.id, messageId))
}

/**
 * The agent's reply `messageId`, still in its undo window, with its ticket's number: what "Send &
 * next" offers to undo on the page it lands on. Undefined when it was sent, undone, is not theirs
 * or not in this workspace.
 */
export async function heldReplyOf(
  db: DbOrTx,
  key: { workspaceId: string; userId: string; messageId: string },
): Promise<{ messageId: string; number: number; heldUntil: Date } | undefined> {
  const [row] = await db
    .select({ messageId: messages.id, number: tickets.number, heldUntil: messages.heldUntil })
    .from(messages)
    .innerJoin(tickets, eq(tickets.id, messages.ticketId))
    .where(
      and(
        eq(messages.id, key.messageId),
        eq(messages.workspaceId, key.workspaceId),
        eq(tickets.workspaceId, key.workspaceId),
        eq(messages.authorUserId, key.userId),
        gt(messages.heldUntil, sql`now()`),
      ),
    )
  return row?.heldUntil ? { ...row, heldUntil: row.heldUntil } : undefined
}

/**
 * The agent's still-held reply on this ticket, locked for the undo (with its queued email), or
 * undefined when it was released, already sent, or is not theirs.
 */
export async function lockHeldReply(
  db: DbOrTx,
  key: { workspaceId: string; number: number; userId: string; messageId: string },
) {
  const [row] = await db
    .select({
      id: messages.id,
      ticketId: messages.ticketId,
      bodyText: messages.bodyText,
      createdAt: messages.createdAt,
      firstResponseAt: tickets.firstResponseAt,
      number: tickets.number,
      status: tickets.status,
      cc: tickets.cc,
      translatedFrom: messages.translatedFrom,
    })
    .from(messages)
    .innerJoin(tickets, eq(tickets.id, messages.ticketId))
    .where(
      and(
        eq(messages.id, key.messageId),
        eq(messages.workspaceId, key.workspaceId),
        eq(tickets.workspaceId, key.workspaceId),
        eq(tickets.number, key.number),
        eq(messages.authorUserId, key.userId),
        eq(messages.kind, 'reply'),
        isNotNull(messages.heldUntil),
      ),
    )
    // The ticket too: its status and CC are read here to decide what Undo puts back, so a
    // teammate's change must either have committed (and be seen) or wait for this transaction.
    .for('update', { of: [messages, tickets] })
  if (!row) return undefined
  const mail = await db
    .select({ id: emails.id, jobId: emails.jobId, status: emails.status, cc: emails.cc, bcc: emails.bcc })
    .from(emails)
    .where(eq(emails.messageId, row.id))
    .for('update')
  const files = await db
    .select({
      filename: attachments.filename,
      contentType: attachments.contentType,
      size: attachments.size,
      sha256: attachments.sha256,
    })
    .from(attachments)
    .where(eq(attachments.messageId, row.id))
    .orderBy(attachments.createdAt, attachments.id)
  const [sent] = await db
    .select({ data: auditEvents.data })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.workspaceId, key.workspaceId),
        eq(auditEvents.targetId, row.ticketId),
        eq(auditEvents.action, 'message.replied'),
        sql`${auditEvents.data}->>'messageId' = ${row.id}`,
      ),
    )
  return { ...row, emails: mail, files, sent: sent?.data as Record<string, unknown> | undefined }
}

/**
 * Takes a held reply back out of the ticket: its email rows, attachments and the message, and a
 * translated reply's note (held with it) too.
 */
export async function deleteHeldReply(
  db: DbOrTx,
  reply: {
    id: string
    ticketId: string
    createdAt: Date
    firstResponseAt: Date | null
    translatedFrom: { noteId: string } | null
  },
) {
  await db.delete(emails).where(eq(emails.messageId, reply.id))
  await db.delete(attachments).where(eq(attachments.messageId, reply.id))
  await db.delete(messages).where(eq(messages.id, reply.id))
  const notes = reply.translatedFrom
    ? await db
        .delete(messages)
        .where(
          and(
            eq(messages.id, reply.translatedFrom.noteId),
            eq(messages.ticketId, reply.ticketId),
            isNotNull(messages.heldUntil),
          ),
        )
        .returning({ id: messages.id })
    : []
  const wasFirstResponse = reply.firstResponseAt?.getTime() === reply.createdAt.getTime()
  await db
    .update(tickets)
    .set({
      messageCount: sql`greatest(${tickets.messageCount} - ${1 + notes.length}, 0)`,
      ...(wasFirstResponse ? { firstResponseAt: null } : {}),
      updatedAt: new Date(),
    })
    .where(eq(tickets.id, reply.ticketId))
}
