import { and, asc, desc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import {
  attachments,
  auditEvents,
  contacts,
  mailboxes,
  messages,
  tags,
  ticketTags,
  tickets,
  users,
} from '../schema.ts'

// One ticket's reads. The queue (listing, search, counts, filter options) is in queue.ts.

export async function getTicketByNumber(db: DbOrTx, workspaceId: string, number: number) {
  const [row] = await db
    .select({
      id: tickets.id,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      priority: tickets.priority,
      channel: tickets.channel,
      assigneeId: tickets.assigneeId,
      mailboxId: tickets.mailboxId,
      contactId: tickets.contactId,
      threadMessageId: tickets.threadMessageId,
      firstResponseAt: tickets.firstResponseAt,
      resolvedAt: tickets.resolvedAt,
      lastActivityAt: tickets.lastActivityAt,
      createdAt: tickets.createdAt,
      contactName: contacts.name,
      contactEmail: contacts.email,
      mailboxName: mailboxes.name,
    })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .innerJoin(mailboxes, eq(mailboxes.id, tickets.mailboxId))
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.number, number)))
  return row
}

export type ThreadMessage = Awaited<ReturnType<typeof listThread>>[number]

/** The thread oldest → newest with authors and attachments. `publicOnly` drops internal notes. */
export async function listThread(db: DbOrTx, workspaceId: string, ticketId: string, publicOnly = false) {
  return (await threadMessages(db, workspaceId, ticketId, { publicOnly })).messages
}

/**
 * The newest `newest` messages of the thread (oldest → newest) and how many the thread has in all:
 * the ticket page renders these and collapses the earlier ones.
 */
export async function listThreadTail(db: DbOrTx, workspaceId: string, ticketId: string, newest: number) {
  return threadMessages(db, workspaceId, ticketId, { publicOnly: false, newest })
}

async function threadMessages(
  db: DbOrTx,
  workspaceId: string,
  ticketId: string,
  { publicOnly, newest }: { publicOnly: boolean; newest?: number },
) {
  const query = db
    .select({
      id: messages.id,
      kind: messages.kind,
      bodyText: messages.bodyText,
      createdAt: messages.createdAt,
      deliveryStatus: messages.deliveryStatus,
      heldUntil: messages.heldUntil,
      authorUserId: messages.authorUserId,
      authorUserName: users.name,
      authorContactId: messages.authorContactId,
      authorContactName: contacts.name,
      authorContactEmail: contacts.email,
      // Inbound email: whether it has (sanitized) HTML, why it was threaded here, the sender flag.
      hasHtml: sql<boolean>`${messages.bodyHtml} is not null`,
      threadedBy: messages.threadedBy,
      notFromParticipant: messages.notFromParticipant,
      // The whole thread's length, counted before the LIMIT.
      total: sql<number>`(count(*) over ())::int`,
    })
    .from(messages)
    .leftJoin(users, eq(users.id, messages.authorUserId))
    .leftJoin(contacts, eq(contacts.id, messages.authorContactId))
    .where(
      publicOnly
        ? and(
            eq(messages.workspaceId, workspaceId),
            eq(messages.ticketId, ticketId),
            eq(messages.kind, 'reply'),
          )
        : and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId)),
    )
  const rows =
    newest === undefined
      ? await query.orderBy(asc(messages.createdAt), asc(messages.id))
      : (await query.orderBy(desc(messages.createdAt), desc(messages.id)).limit(newest)).reverse()
  const files =
    rows.length === 0
      ? []
      : await db
          .select({
            id: attachments.id,
            messageId: attachments.messageId,
            filename: attachments.filename,
            contentType: attachments.contentType,
            size: attachments.size,
          })
          .from(attachments)
          .innerJoin(messages, eq(messages.id, attachments.messageId))
          .where(and(eq(messages.ticketId, ticketId), eq(attachments.workspaceId, workspaceId)))
  return {
    total: rows[0]?.total ?? 0,
    messages: rows.map(({ total: _total, ...row }) => ({
      ...row,
      attachments: files.filter((f) => f.messageId === row.id),
    })),
  }
}

export async function listTicketTags(db: DbOrTx, ticketId: string) {
  return db
    .select({ id: tags.id, name: tags.name })
    .from(ticketTags)
    .innerJoin(tags, eq(tags.id, ticketTags.tagId))
    .where(eq(ticketTags.ticketId, ticketId))
    .orderBy(asc(tags.name))
}

export async function listWorkspaceTags(db: DbOrTx, workspaceId: string) {
  return db
    .select({ id: tags.id, name: tags.name })
    .from(tags)
    .where(eq(tags.workspaceId, workspaceId))
    .orderBy(asc(tags.name))
}

export async function listTicketActivity(db: DbOrTx, workspaceId: string, ticketId: string, limit = 100) {
  return db
    .select({
      id: auditEvents.id,
      action: auditEvents.action,
      data: auditEvents.data,
      createdAt: auditEvents.createdAt,
      actorName: users.name,
    })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorUserId))
    .where(and(eq(auditEvents.workspaceId, workspaceId), eq(auditEvents.targetId, ticketId)))
    .orderBy(desc(auditEvents.createdAt))
    .limit(limit)
}

export async function getAttachment(db: DbOrTx, { workspaceId, id }: { workspaceId: string; id: string }) {
  const [row] = await db
    .select({
      id: attachments.id,
      filename: attachments.filename,
      contentType: attachments.contentType,
      size: attachments.size,
      sha256: attachments.sha256,
      ticketId: messages.ticketId,
      kind: messages.kind,
    })
    .from(attachments)
    .innerJoin(messages, eq(messages.id, attachments.messageId))
    .where(and(eq(attachments.workspaceId, workspaceId), eq(attachments.id, id)))
  return row
}
