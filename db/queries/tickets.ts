import { and, asc, count, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import {
  attachments,
  contacts,
  customerLinks,
  emails,
  mailboxes,
  messages,
  tags,
  ticketTags,
  tickets,
  users,
  workspaces,
} from '../schema.ts'
import { uuidv7 } from '../uuid.ts'
import { activeWebhookEndpointsColumn } from './webhooks.ts'

// One ticket's reads. The queue (listing, search, counts, filter options) is in queue.ts.

export async function getTicketByNumber(
  db: DbOrTx,
  { workspaceId, number }: { workspaceId: string; number: number },
) {
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
      mailboxAddress: mailboxes.address,
      // Copied on agent replies (reply-all); read here so the ticket page needs no second read.
      cc: tickets.cc,
    })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .innerJoin(mailboxes, eq(mailboxes.id, tickets.mailboxId))
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.number, number)))
  return row
}

export type ThreadMessage = Awaited<ReturnType<typeof listThread>>[number]

/**
 * One message of the thread, as `listThread` gives it: reading the whole thread to find it cost
 * every API message and webhook payload the ticket's entire text (a probe: 300 notes of 100 KB,
 * 30 MB read for each new note).
 */
export async function getThreadMessage(
  db: DbOrTx,
  { workspaceId, ticketId, messageId }: { workspaceId: string; ticketId: string; messageId: string },
) {
  const [row] = await threadMessages(db, workspaceId, ticketId, { publicOnly: false, messageId })
  if (!row) return undefined
  const { deliveryError: _deliveryError, ...message } = row
  return message
}

/**
 * At most `limit` messages of the thread after the message `afterId` (from the start without it),
 * in `listThread`'s order, notes included: a page of the API's list, read as a page.
 */
export async function listThreadAfter(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    afterId,
    limit,
  }: { workspaceId: string; ticketId: string; afterId?: string; limit: number },
) {
  const rows = await threadMessages(db, workspaceId, ticketId, { publicOnly: false, afterId, limit })
  return rows.map(({ deliveryError: _deliveryError, ...message }) => message)
}

/** The thread oldest → newest with authors and attachments. `publicOnly` drops internal notes. */
export async function listThread(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    publicOnly = false,
  }: { workspaceId: string; ticketId: string; publicOnly?: boolean },
) {
  const rows = await threadMessages(db, workspaceId, ticketId, { publicOnly })
  return rows.map(({ deliveryError: _deliveryError, ...message }) => message)
}

/**
 * What the customer's private page may show of a ticket: its replies, none in its undo window and
 * none from a non-participant (customerTicketView).
 */
const customerVisible = (workspaceId: string, ticketId: string) =>
  and(
    eq(messages.workspaceId, workspaceId),
    eq(messages.ticketId, ticketId),
    eq(messages.kind, 'reply'),
    isNull(messages.heldUntil),
    eq(messages.notFromParticipant, false),
  )

/** `(created_at, id)` of a message the customer may see on this ticket; null for any other id. */
const customerPosition = (workspaceId: string, ticketId: string, id: string) =>
  sql`(select m.created_at, m.id from ${messages} m
    where m.id = ${id} and m.workspace_id = ${workspaceId} and m.ticket_id = ${ticketId}
      and m.kind = 'reply' and m.held_until is null and not m.not_from_participant)`

/**
 * A page of the customer's thread: at most `limit` messages they may see, the newest ones before
 * the message `beforeId` (the newest of all without it, or when `beforeId` is not such a message
 * of this ticket), oldest → newest, and how many earlier ones there are. Read as a page (keyset
 * on `(created_at, id)` with LIMIT, then a count): showing the whole thread cost one view of a
 * 30 MB thread 5.9 s and 430 MB.
 */
export async function listCustomerThreadPage(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    beforeId,
    limit,
  }: { workspaceId: string; ticketId: string; beforeId?: string; limit: number },
) {
  const [cursor] = beforeId
    ? await db
        .select({ id: messages.id })
        .from(messages)
        .where(and(customerVisible(workspaceId, ticketId), eq(messages.id, beforeId)))
    : []
  const newestFirst = await threadMessages(db, workspaceId, ticketId, {
    publicOnly: true,
    customerOnly: true,
    beforeId: cursor?.id,
    limit,
  })
  const oldest = newestFirst.at(-1)
  const [earlier] = oldest
    ? await db
        .select({ n: count() })
        .from(messages)
        .where(
          and(
            customerVisible(workspaceId, ticketId),
            sql`(${messages.createdAt}, ${messages.id}) < ${customerPosition(workspaceId, ticketId, oldest.id)}`,
          ),
        )
    : [{ n: 0 }]
  return {
    messages: newestFirst.reverse().map(({ deliveryError: _deliveryError, ...message }) => message),
    earlier: earlier.n,
  }
}

async function threadMessages(
  db: DbOrTx,
  workspaceId: string,
  ticketId: string,
  {
    publicOnly,
    customerOnly,
    messageId,
    afterId,
    beforeId,
    newestFirst,
    bodyChars,
    limit,
  }: {
    publicOnly: boolean
    /** Also without a non-participant's messages, newest first (listCustomerThreadPage). */
    customerOnly?: boolean
    messageId?: string
    afterId?: string
    beforeId?: string
    /** Newest first, before the message `olderThanId` when given (listThreadWindow). */
    newestFirst?: { olderThanId?: string }
    /** Each body cut to this many characters by PostgreSQL (listThreadWindow). */
    bodyChars?: number
    limit?: number
  },
) {
  const query = db
    .select({
      id: messages.id,
      kind: messages.kind,
      bodyText:
        bodyChars === undefined ? messages.bodyText : sql<string>`left(${messages.bodyText}, ${bodyChars})`,
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
      filesNotKept: messages.filesNotKept,
      viaList: messages.viaList,
      // Why a failed reply's email failed (the transport's answer); looked up for failed ones only.
      deliveryError: sql<string | null>`case when ${messages.deliveryStatus} = 'failed' then (
        select ${emails.error} from ${emails}
        where ${emails.messageId} = ${messages.id} and ${emails.workspaceId} = ${workspaceId}
          and ${emails.status} = 'failed'
        order by ${emails.createdAt} desc limit 1
      ) end`,
      // A failed reply whose last attempt got no answer: SendGrid may have accepted it (an event
      // may still move it to sent or delivered). The API's and webhooks' `delivery_uncertain`.
      deliveryUncertain: sql<boolean>`${messages.deliveryStatus} = 'failed' and exists (
        select 1 from ${emails}
        where ${emails.messageId} = ${messages.id} and ${emails.workspaceId} = ${workspaceId}
          and ${emails.status} = 'failed' and ${emails.maybeAccepted}
      )`,
      // The message's files in the same statement (one round trip instead of two).
      attachments: sql<ThreadAttachment[]>`coalesce((
        select json_agg(json_build_object(
          'id', ${attachments.id}, 'filename', ${attachments.filename},
          'contentType', ${attachments.contentType}, 'size', ${attachments.size}
        ) order by ${attachments.id})
        from ${attachments}
        where ${attachments.messageId} = ${messages.id} and ${attachments.workspaceId} = ${workspaceId}
      ), '[]'::json)`,
    })
    .from(messages)
    .leftJoin(users, eq(users.id, messages.authorUserId))
    .leftJoin(contacts, eq(contacts.id, messages.authorContactId))
    .where(
      and(
        threadAfter(workspaceId, ticketId, afterId),
        publicOnly ? eq(messages.kind, 'reply') : undefined,
        messageId ? eq(messages.id, messageId) : undefined,
        newestFirst?.olderThanId
          ? sql`(${messages.createdAt}, ${messages.id}) < ${messagePosition(workspaceId, ticketId, newestFirst.olderThanId)}`
          : undefined,
        customerOnly ? eq(messages.notFromParticipant, false) : undefined,
        beforeId
          ? sql`(${messages.createdAt}, ${messages.id}) < ${customerPosition(workspaceId, ticketId, beforeId)}`
          : undefined,
      ),
    )
    .orderBy(
      ...(customerOnly || newestFirst
        ? [desc(messages.createdAt), desc(messages.id)]
        : [asc(messages.createdAt), asc(messages.id)]),
    )
  return limit === undefined ? query : query.limit(limit)
}

type ThreadAttachment = { id: string; filename: string; contentType: string; size: number }

/** The ticket's messages anyone may read (none in its undo window), after `afterId` when given. */
function threadAfter(workspaceId: string, ticketId: string, afterId: string | undefined) {
  return and(
    eq(messages.workspaceId, workspaceId),
    eq(messages.ticketId, ticketId),
    // Replies in their undo window are nobody's yet: not the API's, the customer's, webhooks'
    // or the AI's (its summary and drafts are shown to teammates).
    isNull(messages.heldUntil),
    afterId
      ? sql`(${messages.createdAt}, ${messages.id}) > ${messagePosition(workspaceId, ticketId, afterId)}`
      : undefined,
  )
}

/**
 * The length of each of the next `limit` messages' text after `afterId`, in listThreadAfter's
 * order: how many of them an API page can hold (listMessagesPage), read before their text is.
 */
export async function listThreadLengthsAfter(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    afterId,
    limit,
  }: { workspaceId: string; ticketId: string; afterId?: string; limit: number },
) {
  const rows = await db
    .select({ chars: sql<number>`length(${messages.bodyText})::int` })
    .from(messages)
    .where(threadAfter(workspaceId, ticketId, afterId))
    .orderBy(asc(messages.createdAt), asc(messages.id))
    .limit(limit)
  return rows.map((row) => row.chars)
}

/** A message's place in its thread, `(created_at, id)`: nothing when it is not this ticket's. */
const messagePosition = (workspaceId: string, ticketId: string, id: string) =>
  sql`(select m.created_at, m.id from ${messages} m
    where m.id = ${id} and m.workspace_id = ${workspaceId} and m.ticket_id = ${ticketId})`

/**
 * The newest messages of a thread (notes included), newest first, before the message
 * `olderThanId` when given: at most `limit`, each body cut to `bodyChars` characters by
 * PostgreSQL, with each body's whole size in bytes (`bodyBytes`, read without the text), and how
 * many earlier messages there are. MCP's get_ticket window: the whole thread was one answer.
 */
export async function listThreadWindow(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    olderThanId,
    limit,
    bodyChars,
  }: { workspaceId: string; ticketId: string; olderThanId?: string; limit: number; bodyChars: number },
) {
  const rows = await threadMessages(db, workspaceId, ticketId, {
    publicOnly: false,
    newestFirst: { olderThanId },
    bodyChars,
    limit,
  })
  const oldest = rows.at(-1)
  const [sizes, [earlier]] = await Promise.all([
    rows.length === 0
      ? []
      : db
          .select({ id: messages.id, bytes: sql<number>`octet_length(${messages.bodyText})` })
          .from(messages)
          .where(
            and(
              eq(messages.workspaceId, workspaceId),
              inArray(
                messages.id,
                rows.map((r) => r.id),
              ),
            ),
          ),
    oldest
      ? db
          .select({ n: count() })
          .from(messages)
          .where(
            and(
              eq(messages.workspaceId, workspaceId),
              eq(messages.ticketId, ticketId),
              isNull(messages.heldUntil),
              sql`(${messages.createdAt}, ${messages.id}) < ${messagePosition(workspaceId, ticketId, oldest.id)}`,
            ),
          )
      : [{ n: 0 }],
  ])
  const bytes = new Map(sizes.map((s) => [s.id, Number(s.bytes)]))
  return {
    newestFirst: rows.map(({ deliveryError: _deliveryError, ...message }) => ({
      ...message,
      bodyBytes: bytes.get(message.id) ?? 0,
    })),
    earlier: earlier?.n ?? 0,
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

/** An attachment row's file: what a download or an email needs of it. */
export const attachmentFileColumns = {
  id: attachments.id,
  filename: attachments.filename,
  contentType: attachments.contentType,
  size: attachments.size,
  sha256: attachments.sha256,
}

export async function getAttachment(db: DbOrTx, { workspaceId, id }: { workspaceId: string; id: string }) {
  const [row] = await db
    .select({
      ...attachmentFileColumns,
      ticketId: messages.ticketId,
      kind: messages.kind,
      /** A reply still in its author's undo window: not the customer's to see yet. */
      held: sql<boolean>`${messages.heldUntil} is not null`,
      /** An inbound email from someone neither the customer nor CC'd: not the customer's to see. */
      notFromParticipant: messages.notFromParticipant,
      authorUserId: messages.authorUserId,
    })
    .from(attachments)
    .innerJoin(messages, eq(messages.id, attachments.messageId))
    .where(and(eq(attachments.workspaceId, workspaceId), eq(attachments.id, id)))
  return row
}

/** The ticket's CC list (copied on agent replies). */
export async function getTicketCc(db: DbOrTx, { ticketId }: { ticketId: string }) {
  const [row] = await db.select({ cc: tickets.cc }).from(tickets).where(eq(tickets.id, ticketId))
  return row
}

// Writes of one ticket (app/domain/tickets.server.ts opens the transaction and passes `tx`).

export async function insertCustomerLink(
  db: DbOrTx,
  values: { id: string; workspaceId: string; ticketId: string; tokenHash: string; expiresAt: Date },
) {
  await db.insert(customerLinks).values(values)
}

/**
 * Takes the workspace's next ticket number; the row lock serializes concurrent creations. Also
 * returns the workspace's AI settings, so deciding on triage costs no extra query.
 */
export async function takeNextTicketNumber(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const [row] = await db
    .update(workspaces)
    .set({ nextTicketNumber: sql`${workspaces.nextTicketNumber} + 1` })
    .where(eq(workspaces.id, workspaceId))
    .returning({
      number: sql<number>`${workspaces.nextTicketNumber} - 1`,
      ai: sql<unknown>`${workspaces.settings} -> 'ai'`,
      // For enqueueWebhooks later in the same transaction: one statement fewer per ticket.
      // The workspace id bound, not the column: drizzle writes RETURNING's columns unqualified,
      // which inside the subquery would name the endpoint's own id.
      webhookEndpoints: activeWebhookEndpointsColumn(sql`${workspaceId}::uuid`),
    })
  return row
}

/**
 * Inserts a new ticket; its search document is the subject and the customer (weight A) and the
 * first message's body (B).
 */
export async function insertTicket(
  db: DbOrTx,
  {
    values,
    searchContact,
    body,
  }: {
    values: Omit<typeof tickets.$inferInsert, 'search'> & { subject: string }
    searchContact: string
    body: string
  },
) {
  // The columns the database fills in (defaults), so the caller can answer without reading the row back.
  const [row] = await db
    .insert(tickets)
    .values({
      ...values,
      search: sql`setweight(to_tsvector('english', ${values.subject}), 'A')
        || setweight(to_tsvector('simple', ${searchContact}), 'A')
        || setweight(to_tsvector('english', left(${body}, 200000)), 'B')`,
    })
    .returning({
      status: tickets.status,
      priority: tickets.priority,
      firstResponseAt: tickets.firstResponseAt,
      resolvedAt: tickets.resolvedAt,
    })
  return row!
}

export async function insertMessage(db: DbOrTx, values: typeof messages.$inferInsert) {
  const [row] = await db.insert(messages).values(values).returning({ id: messages.id })
  return row
}

export async function insertAttachmentRows(
  db: DbOrTx,
  {
    workspaceId,
    messageId,
    files,
  }: {
    workspaceId: string
    messageId: string
    files: Array<{ filename: string; contentType: string; size: number; sha256: string }>
  },
) {
  // Ids ascending in the files' order: every list of a message's files is ordered by id, and
  // uuidv7s made within one millisecond are random among themselves (an email's 12 files were
  // shown file6, file1, logo…).
  const ids = files.map(() => uuidv7()).sort()
  const rows = files.map((f, i) => ({ ...f, id: ids[i]!, workspaceId, messageId }))
  await db.insert(attachments).values(rows)
  await addFileNamesToSearch(db, { messageIds: [messageId] })
  return rows.map((r) => ({ id: r.id, filename: r.filename, contentType: r.contentType, size: r.size }))
}

/**
 * Adds the names of these messages' files to their tickets' search documents (weight C, under
 * the body's B), except a message still held in its undo window: releaseHeldMessage adds its
 * files' names when it is released, an undone reply's never join. Each name is read three ways,
 * since the parser reads `invoice-4411.pdf` as one file token that neither `invoice` nor `4411`
 * matches: as written, with dots and underscores as spaces (`invoice-4411`, `pdf`), and with
 * every other character as one too (`invoice`, `4411`). Bounded as every append is.
 */
export async function addFileNamesToSearch(db: DbOrTx, { messageIds }: { messageIds: string[] }) {
  await db.execute(sql`
    update tickets t set search = case when pg_column_size(t.search) < 600000
        then t.search || setweight(to_tsvector('english', f.names)
          || to_tsvector('english', regexp_replace(f.names, '[._]+', ' ', 'g'))
          || to_tsvector('english', regexp_replace(f.names, '[^[:alnum:]]+', ' ', 'g')), 'C')
        else t.search end
    from (
      select m.ticket_id, left(string_agg(a.filename, ' ' order by a.id), 20000) as names
      from messages m join attachments a on a.message_id = m.id
      where m.id in (${sql.join(
        messageIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}) and m.held_until is null
      group by m.ticket_id
    ) f
    where t.id = f.ticket_id`)
}

/**
 * Adds a message's words to its ticket's search document (weight B, the first 200,000
 * characters, bounded as every append is): a held reply's body once it is released, or an
 * email's HTML part's words its text part does not have (htmlOnlyWords).
 */
export async function addWordsToSearch(db: DbOrTx, { ticketId, words }: { ticketId: string; words: string }) {
  await db
    .update(tickets)
    .set({
      search: sql`case when pg_column_size(${tickets.search}) < 600000
    then ${tickets.search} || setweight(to_tsvector('english', left(${words}, 200000)), 'B')
    else ${tickets.search} end`,
    })
    .where(eq(tickets.id, ticketId))
}

/** A member's tickets that are not closed: the work in their hands, handed back when they leave. */
export async function listUnclosedTicketIdsAssignedTo(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  const rows = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(
      and(eq(tickets.workspaceId, workspaceId), eq(tickets.assigneeId, userId), ne(tickets.status, 'closed')),
    )
  return rows.map((row) => row.id)
}

/** The tickets' fields a status, priority or assignee change reads, locked FOR UPDATE in id order. */
export async function lockTicketsForUpdate(
  db: DbOrTx,
  { workspaceId, ticketIds }: { workspaceId: string; ticketIds: string[] },
) {
  return (
    db
      .select({
        id: tickets.id,
        number: tickets.number,
        status: tickets.status,
        priority: tickets.priority,
        assigneeId: tickets.assigneeId,
        resolvedAt: tickets.resolvedAt,
        statusVersion: tickets.statusVersion,
        assigneeVersion: tickets.assigneeVersion,
      })
      .from(tickets)
      .where(and(eq(tickets.workspaceId, workspaceId), inArray(tickets.id, ticketIds)))
      // Locked in id order, so two overlapping bulk updates queue instead of deadlocking.
      .orderBy(tickets.id)
      .for('update')
  )
}

/**
 * How often each ticket's status and assignee have changed (the counts migration 0033's trigger
 * keeps), for tickets the caller has locked.
 */
export async function getTicketChangeVersions(
  db: DbOrTx,
  { workspaceId, ticketIds }: { workspaceId: string; ticketIds: string[] },
) {
  return db
    .select({
      id: tickets.id,
      statusVersion: tickets.statusVersion,
      assigneeVersion: tickets.assigneeVersion,
    })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), inArray(tickets.id, ticketIds)))
}

export async function setTicketFields(
  db: DbOrTx,
  { ticketId, set }: { ticketId: string; set: Partial<typeof tickets.$inferInsert> },
) {
  await db.update(tickets).set(set).where(eq(tickets.id, ticketId))
}

/** The ticket's number and subject, locked FOR UPDATE (renaming). */
export async function lockTicketSubject(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [row] = await db
    .select({ id: tickets.id, number: tickets.number, subject: tickets.subject })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, ticketId)))
    .for('update')
  return row
}

/** Sets the subject; the new one is added to the search document (the old one stays searchable). */
export async function setTicketSubject(
  db: DbOrTx,
  { ticketId, subject, updatedAt }: { ticketId: string; subject: string; updatedAt: Date },
) {
  await db
    .update(tickets)
    .set({
      subject,
      updatedAt,
      search: sql`${tickets.search} || setweight(to_tsvector('english', ${subject}), 'A')`,
    })
    .where(eq(tickets.id, ticketId))
}

/** The workspace's tickets among these ids (id and number). */
/**
 * The tickets' ids and numbers, their rows locked for a change of their tags (in id order, as
 * lockTicketsForUpdate): a bulk Undo that locked them decides on their tags before or after
 * this change, never in the middle of it.
 */
export async function lockTicketNumbers(
  db: DbOrTx,
  { workspaceId, ticketIds }: { workspaceId: string; ticketIds: string[] },
) {
  return db
    .select({ id: tickets.id, number: tickets.number })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), inArray(tickets.id, ticketIds)))
    .orderBy(tickets.id)
    .for('update')
}

/**
 * Marks tickets changed (`updated_at`, the API's `updated_since`) by a change outside their row's
 * own columns: their tags. Tagging used to leave it as it was, so an integration polling with
 * updated_since never saw a tag-only change. `updated_at` is in no index: the update can be HOT.
 */
export async function touchTickets(db: DbOrTx, { ticketIds, at }: { ticketIds: string[]; at: Date }) {
  if (ticketIds.length === 0) return
  await db.update(tickets).set({ updatedAt: at }).where(inArray(tickets.id, ticketIds))
}

/** Finds or creates a tag by name (case-insensitive) in the workspace. */
export async function ensureTag(db: DbOrTx, { workspaceId, name }: { workspaceId: string; name: string }) {
  const result = await db.execute<{ id: string; name: string }>(sql`
      insert into tags (id, workspace_id, name) values (${uuidv7()}, ${workspaceId}, ${name})
      on conflict (workspace_id, lower(name)) do update set name = tags.name
      returning id, name`)
  return result.rows[0]
}

/** Tags the ticket (as part of a bulk action's batch, when given); returns the tag ids it did not have yet. */
export async function insertTicketTags(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    tagIds,
    bulkBatchId = null,
  }: { workspaceId: string; ticketId: string; tagIds: string[]; bulkBatchId?: string | null },
) {
  return db
    .insert(ticketTags)
    .values(tagIds.map((tagId) => ({ ticketId, tagId, workspaceId, bulkBatchId })))
    .onConflictDoNothing()
    .returning({ tagId: ticketTags.tagId })
}

/**
 * Untags the ticket; returns the removed rows (none when it did not have the tag). With
 * `bulkBatchId`, only the row that bulk action added: not one added again since.
 */
export async function deleteTicketTag(
  db: DbOrTx,
  {
    workspaceId,
    ticketId,
    tagId,
    bulkBatchId,
  }: { workspaceId: string; ticketId: string; tagId: string; bulkBatchId?: string },
) {
  return db
    .delete(ticketTags)
    .where(
      and(
        eq(ticketTags.ticketId, ticketId),
        eq(ticketTags.tagId, tagId),
        eq(ticketTags.workspaceId, workspaceId),
        bulkBatchId === undefined ? undefined : eq(ticketTags.bulkBatchId, bulkBatchId),
      ),
    )
    .returning({ tagId: ticketTags.tagId })
}

export async function getTagName(db: DbOrTx, { tagId }: { tagId: string }) {
  const [row] = await db.select({ name: tags.name }).from(tags).where(eq(tags.id, tagId))
  return row
}
