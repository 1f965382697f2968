import { and, desc, eq, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { attachments, contacts, emails, inboundEmails, mailboxes, messages, tickets } from '../schema.ts'
import { uuidv7 } from '../uuid.ts'

/** When the mailbox last received an email that was filed (or deliberately not filed). */
export async function lastInboundReceivedAt(
  db: DbOrTx,
  { workspaceId, mailboxId }: { workspaceId: string; mailboxId: string },
) {
  const [row] = await db
    .select({ at: inboundEmails.receivedAt })
    .from(inboundEmails)
    .where(
      and(
        eq(inboundEmails.workspaceId, workspaceId),
        eq(inboundEmails.mailboxId, mailboxId),
        inArray(inboundEmails.status, ['filed', 'duplicate', 'bounce', 'dropped']),
      ),
    )
    .orderBy(desc(inboundEmails.receivedAt))
    .limit(1)
  return row?.at
}

/** The mailbox's last inbound email that failed or carries an error. */
export async function lastInboundFailure(
  db: DbOrTx,
  { workspaceId, mailboxId }: { workspaceId: string; mailboxId: string },
) {
  const [row] = await db
    .select({ at: inboundEmails.receivedAt, error: inboundEmails.error })
    .from(inboundEmails)
    .where(
      and(
        eq(inboundEmails.workspaceId, workspaceId),
        eq(inboundEmails.mailboxId, mailboxId),
        sql`(${inboundEmails.status} = 'failed' or ${inboundEmails.error} is not null)`,
      ),
    )
    .orderBy(desc(inboundEmails.receivedAt))
    .limit(1)
  return row
}

/** An inbound message's stored (sanitized) HTML, when it has one. */
export async function getMessageHtml(
  db: DbOrTx,
  { workspaceId, messageId }: { workspaceId: string; messageId: string },
) {
  const [row] = await db
    .select({ html: messages.bodyHtml })
    .from(messages)
    .where(
      and(eq(messages.id, messageId), eq(messages.workspaceId, workspaceId), isNotNull(messages.bodyHtml)),
    )
  return row?.html ?? undefined
}

/** The message's attachments by content hash (inline images are referenced as cid:<sha256>). */
export async function listMessageAttachmentHashes(
  db: DbOrTx,
  { workspaceId, messageId }: { workspaceId: string; messageId: string },
) {
  return db
    .select({ id: attachments.id, sha256: attachments.sha256 })
    .from(attachments)
    .where(and(eq(attachments.messageId, messageId), eq(attachments.workspaceId, workspaceId)))
}

// Filing (app/domain/inbound-email.server.ts): storing a post, the job's reads and writes.

/** Stores a post unless one with this sha256 exists; returns the new row's id, or undefined. */
export async function insertInboundEmailIfNew(
  db: DbOrTx,
  {
    sha256,
    contentType,
    rawSha256,
    size,
  }: { sha256: string; contentType: string; rawSha256: string; size: number },
) {
  const [row] = await db
    .insert(inboundEmails)
    .values({ id: uuidv7(), sha256, contentType, rawSha256, size })
    .onConflictDoNothing({ target: inboundEmails.sha256 })
    .returning({ id: inboundEmails.id })
  return row?.id
}

export async function findInboundEmailIdBySha256(db: DbOrTx, { sha256 }: { sha256: string }) {
  const [row] = await db
    .select({ id: inboundEmails.id })
    .from(inboundEmails)
    .where(eq(inboundEmails.sha256, sha256))
  return row
}

/** A stored post to file: its state, content type and where its bytes are. */
export async function getInboundPost(db: DbOrTx, { id }: { id: string }) {
  const [row] = await db
    .select({
      status: inboundEmails.status,
      // Set while `received` only on a workspace's copy of a post (insertInboundCopies).
      workspaceId: inboundEmails.workspaceId,
      error: inboundEmails.error,
      contentType: inboundEmails.contentType,
      rawSha256: inboundEmails.rawSha256,
      // Only posts stored before raw_sha256 existed have their bytes here.
      raw: sql<Buffer | null>`case when ${inboundEmails.rawSha256} is null then ${inboundEmails.raw} end`,
    })
    .from(inboundEmails)
    .where(eq(inboundEmails.id, id))
  return row
}

/**
 * One copy of the post per workspace, for an email addressed to several: the same stored bytes,
 * the workspace set, `received`. Its dedup key derives from the post's and the workspace, so a
 * second attempt at the fan-out inserts nothing; returns the ids of the copies it inserted.
 */
export async function insertInboundCopies(
  db: DbOrTx,
  { postId, workspaceIds }: { postId: string; workspaceIds: string[] },
) {
  if (workspaceIds.length === 0) return []
  const ids = workspaceIds.map(() => uuidv7())
  const result = await db.execute<{ id: string }>(sql`
    insert into inbound_emails (id, sha256, content_type, raw, raw_sha256, size, workspace_id, received_at)
    select c.id, encode(sha256(convert_to(p.sha256 || ':' || c.workspace_id::text, 'UTF8')), 'hex'),
      p.content_type, p.raw, p.raw_sha256, p.size, c.workspace_id, p.received_at
    from inbound_emails p
    cross join unnest(${sql.param(ids)}::uuid[], ${sql.param(workspaceIds)}::uuid[]) as c(id, workspace_id)
    where p.id = ${postId}
    on conflict (sha256) do nothing
    returning id`)
  return result.rows.map((r) => r.id)
}

/**
 * The message of the workspace already filed as this email: under its dedup key (Message-ID and
 * the email's hash, else sha256), or, filed before the key held the hash (its key then was
 * `mid:<Message-ID>` alone, `legacyKey`), with that Message-ID from the same sender. Both indexed
 * (messages_workspace_inbound_key).
 */
export async function findMessageByInboundKey(
  db: DbOrTx,
  {
    workspaceId,
    inboundKey,
    legacyKey,
    sender,
  }: { workspaceId: string; inboundKey: string; legacyKey: string | undefined; sender: string },
) {
  const [row] = await db
    .select({ id: messages.id, ticketId: messages.ticketId })
    .from(messages)
    .leftJoin(contacts, eq(contacts.id, messages.authorContactId))
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        legacyKey === undefined
          ? eq(messages.inboundKey, inboundKey)
          : sql`(${messages.inboundKey} = ${inboundKey} or (${messages.inboundKey} = ${legacyKey} and lower(${contacts.email}) = ${sender.toLowerCase()}))`,
      ),
    )
    .limit(1)
  return row
}

/** The ticket's customer, CC list and customer address (an email replying on it). */
export async function getTicketParticipants(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [row] = await db
    .select({ contactId: tickets.contactId, cc: tickets.cc, contactEmail: contacts.email })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(and(eq(tickets.id, ticketId), eq(tickets.workspaceId, workspaceId)))
  return row
}

/** The sender's newest not-closed "rate-limited" ticket (`sender` lower-case). */
export async function findRateLimitedTicket(
  db: DbOrTx,
  { workspaceId, sender }: { workspaceId: string; sender: string },
) {
  const [row] = await db
    .select({ ticketId: messages.ticketId })
    .from(messages)
    .innerJoin(tickets, eq(tickets.id, messages.ticketId))
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        eq(messages.threadedBy, 'rate-limited'),
        sql`lower(${contacts.email}) = ${sender}`,
        ne(tickets.status, 'closed'),
      ),
    )
    .orderBy(desc(messages.createdAt))
    .limit(1)
  return row?.ticketId
}

/** The workspace's sent email with one of these Message-IDs (a delivery report's original). */
export async function findEmailByMessageIds(
  db: DbOrTx,
  { workspaceId, messageIds }: { workspaceId: string; messageIds: string[] },
) {
  const [row] = await db
    .select({
      emailId: emails.id,
      ticketId: emails.ticketId,
      status: emails.status,
      to: emails.toAddress,
      cc: emails.cc,
      bcc: emails.bcc,
    })
    .from(emails)
    .where(
      and(eq(emails.workspaceId, workspaceId), inArray(sql`${emails.headers} ->> 'Message-ID'`, messageIds)),
    )
    .limit(1)
  return row
}

/** A permanent failure report: the sent (or delivered) email and its message become bounced. */
export async function markEmailBounced(db: DbOrTx, { emailId, reason }: { emailId: string; reason: string }) {
  await db
    .update(emails)
    .set({ status: 'bounced', error: reason })
    .where(and(eq(emails.id, emailId), inArray(emails.status, ['sent', 'delivered'])))
  await db
    .update(messages)
    .set({ deliveryStatus: 'bounced' })
    .where(sql`${messages.id} = (select message_id from emails where id = ${emailId})`)
}

/** The workspace's contact with this address (any case) is shown as bouncing. */
export async function markContactBouncing(
  db: DbOrTx,
  { workspaceId, address, reason }: { workspaceId: string; address: string; reason: string },
) {
  await db
    .update(contacts)
    .set({ bouncedAt: new Date(), bounceReason: reason })
    .where(
      and(eq(contacts.workspaceId, workspaceId), sql`lower(${contacts.email}) = ${address.toLowerCase()}`),
    )
}

/** Records how the post was filed (or why not). */
export async function finishInboundEmail(
  db: DbOrTx,
  {
    id,
    values,
  }: {
    id: string
    values: Partial<
      Pick<
        typeof inboundEmails.$inferInsert,
        'status' | 'workspaceId' | 'mailboxId' | 'ticketId' | 'emailId' | 'error'
      >
    >
  },
  /** Only a post still in this status changes (another attempt may have recorded an outcome). */
  { onlyIf }: { onlyIf?: (typeof inboundEmails.$inferSelect)['status'] } = {},
) {
  await db
    .update(inboundEmails)
    .set({ ...values, processedAt: new Date() })
    .where(
      onlyIf ? and(eq(inboundEmails.id, id), eq(inboundEmails.status, onlyIf)) : eq(inboundEmails.id, id),
    )
}

/**
 * Whether a Message-ID is one we gave an email of this workspace: an agent's reply or a ticket's
 * thread root (its confirmation's). Both indexed (messages_workspace_email_message_id_idx,
 * tickets_workspace_thread_message_id_idx).
 */
export async function isOurOwnMessageId(
  db: DbOrTx,
  { workspaceId, messageId }: { workspaceId: string; messageId: string },
) {
  const result = await db.execute<{ ours: boolean }>(sql`
    select exists (
      select 1 from messages m
      where m.workspace_id = ${workspaceId} and m.email_message_id = ${messageId} and m.author_user_id is not null
    ) or exists (
      select 1 from tickets t where t.workspace_id = ${workspaceId} and t.thread_message_id = ${messageId}
    ) as ours`)
  return result.rows[0]?.ours === true
}

/** The workspace's active mailbox addresses, lower-case. */
export async function listActiveMailboxAddresses(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  return db
    .select({ address: sql<string>`lower(${mailboxes.address})` })
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), isNull(mailboxes.archivedAt)))
}

/** A new ticket's subject and reply token with its mailbox's sender and auto-acknowledgement settings. */
export async function getTicketAcknowledgementContext(db: DbOrTx, { ticketId }: { ticketId: string }) {
  const [row] = await db
    .select({
      subject: tickets.subject,
      replyToken: tickets.replyToken,
      threadMessageId: tickets.threadMessageId,
      key: mailboxes.key,
      address: mailboxes.address,
      fromName: mailboxes.fromName,
      autoAcknowledge: mailboxes.autoAcknowledge,
      autoAcknowledgeText: mailboxes.autoAcknowledgeText,
    })
    .from(tickets)
    .innerJoin(mailboxes, eq(mailboxes.id, tickets.mailboxId))
    .where(eq(tickets.id, ticketId))
  return row
}

// Retention (app/domain/inbound-retention.server.ts): the raw posts of processed emails.

const PROCESSED = ['filed', 'duplicate', 'bounce', 'dropped'] as const
const NOT_FILED = ['unrouted', 'failed'] as const

/**
 * Forgets the stored bytes of up to `limit` posts: processed ones (filed, duplicate, bounce,
 * dropped) processed before `processedBefore`, unrouted and failed ones before `failedBefore`.
 * Posts still `received` (not filed yet, or dead-lettered) are never touched. The row stays, as
 * the record of what arrived (mailbox wiring, dedup of a late retry); returns the content
 * addresses whose files may now be unused.
 */
export async function forgetInboundRaw(
  db: DbOrTx,
  { processedBefore, failedBefore, limit }: { processedBefore: Date; failedBefore: Date; limit: number },
) {
  const picked = db
    .select({ id: inboundEmails.id })
    .from(inboundEmails)
    .where(
      and(
        sql`(${inboundEmails.rawSha256} is not null or ${inboundEmails.raw} is not null)`,
        sql`(
          (${inboundEmails.status} in ${PROCESSED} and ${inboundEmails.processedAt} < ${processedBefore})
          or (${inboundEmails.status} in ${NOT_FILED} and ${inboundEmails.processedAt} < ${failedBefore})
        )`,
      ),
    )
    .limit(limit)
  const old = db
    .$with('old')
    .as(
      db
        .select({ id: inboundEmails.id, rawSha256: inboundEmails.rawSha256 })
        .from(inboundEmails)
        .where(inArray(inboundEmails.id, picked))
        .for('update', { skipLocked: true }),
    )
  const rows = await db
    .with(old)
    .update(inboundEmails)
    .set({ raw: null, rawSha256: null })
    .from(old)
    .where(eq(inboundEmails.id, old.id))
    .returning({ rawSha256: old.rawSha256 })
  return rows.map((r) => r.rawSha256)
}
