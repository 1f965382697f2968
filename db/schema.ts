import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  primaryKey,
  integer,
  json,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { uuidv7 } from './uuid.ts'

const id = () => uuid().primaryKey().$defaultFn(uuidv7)
const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow()

/** The owning workspace of a tenant row: every such table carries one, deleted with it. */
const workspaceRef = () =>
  uuid()
    .notNull()
    .references(() => workspaces.id, { onDelete: 'cascade' })

export const membershipRole = pgEnum('membership_role', ['owner', 'admin', 'agent'])

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text().notNull(),
    name: text().notNull(),
    passwordHash: text().notNull(),
    emailVerifiedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Undo send: how long this agent's replies wait before their email goes (0–30 s, Zod-checked).
    undoSendSeconds: integer().notNull().default(5),
    // IANA zone every date is shown in (account page; Zod-checked against Intl). null = not chosen
    // yet: the browser reports its zone on the first visit, and until then dates are in UTC.
    timeZone: text(),
    // Appended after the mailbox signature in this agent's replies (account page; at most 2,000 characters).
    signature: text().notNull().default(''),
  },
  (t) => [uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`)],
)

export const sessions = pgTable(
  'sessions',
  {
    // 256 random bits, base64url; the signed cookie carries only this id.
    id: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    ip: text(),
    userAgent: text(),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt)],
)

export const workspaces = pgTable('workspaces', {
  id: id(),
  name: text().notNull(),
  slug: text().notNull().unique(),
  nextTicketNumber: integer().notNull().default(1),
  settings: jsonb().notNull().default({}),
  createdAt: createdAt(),
})

export const memberships = pgTable(
  'memberships',
  {
    id: id(),
    workspaceId: workspaceRef(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: membershipRole().notNull(),
    // The home page's getting-started checklist, hidden by this member (it also hides once done).
    checklistDismissedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('memberships_workspace_user_key').on(t.workspaceId, t.userId),
    index('memberships_user_id_idx').on(t.userId),
  ],
)

export const invitations = pgTable(
  'invitations',
  {
    id: id(),
    workspaceId: workspaceRef(),
    email: text().notNull(),
    role: membershipRole().notNull(),
    // sha256 of the token; the token itself is shown once, in the invite link.
    tokenHash: text().notNull().unique(),
    invitedById: uuid().references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    acceptedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('invitations_workspace_id_idx').on(t.workspaceId)],
)

export const accountTokenPurpose = pgEnum('account_token_purpose', ['verify-email', 'password-reset'])

/**
 * One-time links of account emails (app/domain/account-emails.server.ts): 256 random bits in
 * the link, only the sha256 stored here. `email` is the address the link was sent to: a
 * verify-email link confirms that address only, and stops working if the account's email changed.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: accountTokenPurpose().notNull(),
    tokenHash: text().notNull().unique(),
    email: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('account_tokens_user_idx').on(t.userId, t.purpose)],
)

/**
 * Rate-limit counters: one row per key and fixed window, shared by every app instance. A slot is
 * taken with one atomic upsert (app/domain/rate-limit.server.ts); `expires_at` (the end of the
 * window after this one, the last moment the row still counts) lets the cleanup job delete rows
 * whatever their window length.
 */
export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    key: text().notNull(),
    windowStart: timestamp({ withTimezone: true }).notNull(),
    hits: integer().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
)

export const auditEvents = pgTable(
  'audit_events',
  {
    id: id(),
    workspaceId: uuid().references(() => workspaces.id, { onDelete: 'cascade' }),
    actorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    action: text().notNull(),
    targetType: text().notNull(),
    targetId: text(),
    data: jsonb().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_events_workspace_created_idx').on(t.workspaceId, t.createdAt),
    index('audit_events_target_idx').on(t.targetId, t.createdAt),
    // Where a merged-away contact went (contactMergedInto): a page or form of it says so.
    index('audit_events_merged_contact_idx')
      .on(t.workspaceId, sql`(${t.data}->>'mergedContactId')`)
      .where(sql`${t.action} = 'contact.merged'`),
  ],
)

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' })

export const ticketStatus = pgEnum('ticket_status', ['open', 'pending', 'resolved', 'closed'])
// Declared low → urgent so ORDER BY priority sorts by urgency.
export const ticketPriority = pgEnum('ticket_priority', ['low', 'normal', 'high', 'urgent'])
export const ticketChannel = pgEnum('ticket_channel', ['email', 'web', 'api', 'phone'])
export const messageKind = pgEnum('message_kind', ['reply', 'note'])
/**
 * An email's life: queued → sending (claimed by one job attempt, see emails.lease_expires_at) →
 * sent (accepted by the transport) → delivered | bounced (delivery events), or failed.
 * Messages show the same vocabulary as their delivery badge.
 */
export const emailStatus = pgEnum('email_status', [
  'queued',
  'sending',
  'sent',
  'delivered',
  'bounced',
  'failed',
])

/**
 * Why an inbound email landed where it did: its reply token, its In-Reply-To/References, a new
 * ticket, the sender's rate-limited ticket, or the ticket reference in its subject (`[#12]`, from
 * the ticket's customer or a CC'd address only).
 */
export const inboundThreading = pgEnum('inbound_threading', [
  'token',
  'header',
  'new',
  'rate-limited',
  'subject',
])
/**
 * An inbound post's life: received (stored, job queued) → filed (a message exists), duplicate
 * (that message already existed), unrouted (no mailbox matched), bounce (a DSN, attached to the
 * email it reports on), dropped (noise we keep no message for), failed (could not be parsed).
 */
export const inboundStatus = pgEnum('inbound_status', [
  'received',
  'filed',
  'duplicate',
  'unrouted',
  'bounce',
  'dropped',
  'failed',
])

export const mailboxes = pgTable(
  'mailboxes',
  {
    id: id(),
    workspaceId: workspaceRef(),
    name: text().notNull(),
    // The local part of the forwarding address: <workspace-slug>.<key>@<INBOUND_DOMAIN>.
    key: text().notNull(),
    address: text().notNull(),
    fromName: text().notNull(),
    signature: text().notNull().default(''),
    // Auto-acknowledgement of tickets that arrive by email (off by default; at most one per sender per hour).
    autoAcknowledge: boolean().notNull().default(false),
    autoAcknowledgeText: text().notNull().default(''),
    archivedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('mailboxes_workspace_key').on(t.workspaceId, t.key)],
)

export const contacts = pgTable(
  'contacts',
  {
    id: id(),
    workspaceId: workspaceRef(),
    email: text().notNull(),
    name: text().notNull().default(''),
    // Set by a hard bounce (delivery event or DSN): mail to this address does not arrive.
    bouncedAt: timestamp({ withTimezone: true }),
    bounceReason: text(),
    // Null: derived from the email domain for display; '' means the agents cleared it.
    company: text(),
    // IANA zone name (Europe/Paris), set by agents; the customer card shows their local time.
    timeZone: text(),
    // Private notes about the customer, for agents only.
    notes: text().notNull().default(''),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('contacts_workspace_email_key').on(t.workspaceId, sql`lower(${t.email})`),
    index('contacts_name_trgm').using('gin', sql`${t.name} gin_trgm_ops`),
    index('contacts_email_trgm').using('gin', sql`${t.email} gin_trgm_ops`),
  ],
)

export const tickets = pgTable(
  'tickets',
  {
    id: id(),
    workspaceId: workspaceRef(),
    number: integer().notNull(),
    mailboxId: uuid()
      .notNull()
      .references(() => mailboxes.id),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id),
    subject: text().notNull(),
    status: ticketStatus().notNull().default('open'),
    priority: ticketPriority().notNull().default('normal'),
    assigneeId: uuid().references(() => users.id, { onDelete: 'set null' }),
    channel: ticketChannel().notNull(),
    // The Message-ID of the first email of the thread, for In-Reply-To / References.
    threadMessageId: text().notNull(),
    // Routes replies: our emails carry Reply-To <slug>.<key>+<reply token>@INBOUND_DOMAIN. Random
    // (100 bits, lower-case base32); it routes mail to this ticket and authenticates nobody.
    replyToken: text(),
    // The customer's CC'd addresses, copied on agent replies (reply-all). Inbound email adds to it.
    cc: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    messageCount: integer().notNull().default(0),
    firstResponseAt: timestamp({ withTimezone: true }),
    resolvedAt: timestamp({ withTimezone: true }),
    lastActivityAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastCustomerMessageAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // How many times the status and the assignee have changed, counted by a trigger on every
    // writer (migration 0033): a bulk Undo puts a ticket back only if its count is still the one
    // the batch left, so a change and a change back (A → B → A) since the batch is seen.
    statusVersion: integer().notNull().default(0),
    assigneeVersion: integer().notNull().default(0),
    // Subject (A), customer (A) and every message body (B), kept up to date by the domain.
    search: tsvector()
      .notNull()
      .default(sql`''::tsvector`),
  },
  (t) => [
    uniqueIndex('tickets_workspace_number_key').on(t.workspaceId, t.number),
    uniqueIndex('tickets_reply_token_key').on(t.replyToken),
    index('tickets_queue_status_idx').on(t.workspaceId, t.status, t.lastActivityAt.desc(), t.id.desc()),
    index('tickets_queue_assignee_idx').on(
      t.workspaceId,
      t.assigneeId,
      t.status,
      t.lastActivityAt.desc(),
      t.id.desc(),
    ),
    index('tickets_queue_mailbox_idx').on(
      t.workspaceId,
      t.mailboxId,
      t.status,
      t.lastActivityAt.desc(),
      t.id.desc(),
    ),
    index('tickets_queue_activity_idx').on(t.workspaceId, t.lastActivityAt.desc(), t.id.desc()),
    // "Mine" and "Unassigned" cover active tickets (open or pending): partial indexes keep both ordered.
    index('tickets_queue_mine_idx')
      .on(t.workspaceId, t.assigneeId, t.lastActivityAt.desc(), t.id.desc())
      .where(sql`status in ('open', 'pending')`),
    index('tickets_queue_unassigned_idx')
      .on(t.workspaceId, t.lastActivityAt.desc(), t.id.desc())
      .where(sql`assignee_id is null and status in ('open', 'pending')`),
    index('tickets_queue_priority_idx').on(
      t.workspaceId,
      t.status,
      t.priority.desc(),
      t.lastActivityAt.desc(),
      t.id.desc(),
    ),
    // Priority sort without a status (the All view) and for Mine: both sorted straight from an index.
    index('tickets_queue_all_priority_idx').on(
      t.workspaceId,
      t.priority.desc(),
      t.lastActivityAt.desc(),
      t.id.desc(),
    ),
    index('tickets_queue_mine_priority_idx')
      .on(t.workspaceId, t.assigneeId, t.priority.desc(), t.lastActivityAt.desc(), t.id.desc())
      .where(sql`status in ('open', 'pending')`),
    index('tickets_queue_created_idx').on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    index('tickets_contact_idx').on(t.contactId, t.lastActivityAt.desc()),
    index('tickets_workspace_thread_message_id_idx').on(t.workspaceId, t.threadMessageId),
    index('tickets_search_idx').using('gin', t.search),
  ],
)

/**
 * How many tickets each (workspace, assignee, status) has: the navigation's Mine and Unassigned
 * counts read these rows instead of counting tickets. PostgreSQL keeps them exact itself, in the
 * same transaction as every change to tickets (statement-level triggers with transition tables,
 * migration 0021_queue_counts). No foreign keys: a deleted workspace's or user's rows are
 * corrected by the triggers when the cascade deletes or unassigns their tickets.
 */
export const queueCounts = pgTable(
  'queue_counts',
  {
    workspaceId: uuid().notNull(),
    assigneeId: uuid(),
    status: ticketStatus().notNull(),
    n: integer().notNull(),
  },
  (t) => [unique('queue_counts_key').on(t.workspaceId, t.assigneeId, t.status).nullsNotDistinct()],
)

/**
 * The inbox row's details per ticket, so the queue reads one row instead of looking into each
 * ticket's messages, tags, triage and contact: how many messages (replies in their undo window not
 * counted), the last reply the customer can see with its preview line and whether an agent
 * wrote it, when an agent last replied (the "waiting since" marker), whether any message has a
 * file, the ticket's tags (`[{id, name}]` by name), the triage's gist and the contact's name and
 * email. PostgreSQL keeps it: triggers on messages and attachments (migrations 0023–0027), on
 * ticket_tags and tags (0042), on ticket_triage (0043) and on contacts and tickets.contact_id
 * (0044) recompute the touched tickets' row in the same transaction. Every ticket with a message
 * has a row; one without may have none (the queue then reads its contact itself).
 */
export const ticketMessageStats = pgTable('ticket_message_stats', {
  ticketId: uuid()
    .primaryKey()
    .references(() => tickets.id, { onDelete: 'cascade' }),
  messageCount: integer().notNull(),
  lastReplyId: uuid(),
  lastAgentReplyAt: timestamp({ withTimezone: true }),
  hasAttachments: boolean().notNull(),
  /** inbox_preview_line(body_text) of last_reply_id's message (migration 0045): the row's preview line. */
  lastReplyPreview: text(),
  /** Whether last_reply_id's message has an author user (an agent's reply). */
  lastReplyFromAgent: boolean(),
  /** The ticket's contact's name and email, as the inbox shows them. */
  contactName: text(),
  contactEmail: text(),
  /** ticket_triage.gist, the AI's one line under the subject (null without a triage row). */
  gist: text(),
  /** The ticket's tags as the inbox shows them: `[{"id", "name"}]` ordered by name. */
  tags: json()
    .$type<Array<{ id: string; name: string }>>()
    .notNull()
    .default(sql`'[]'::json`),
})

/**
 * Private links that let a customer see one ticket's public thread (/support/t/<token>).
 * Only the sha256 of the token is stored; every email we send carries a fresh one.
 */
export const customerLinks = pgTable(
  'customer_links',
  {
    id: id(),
    workspaceId: workspaceRef(),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull().unique(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('customer_links_ticket_idx').on(t.ticketId)],
)

export const tags = pgTable(
  'tags',
  {
    id: id(),
    workspaceId: workspaceRef(),
    name: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('tags_workspace_name_key').on(t.workspaceId, sql`lower(${t.name})`)],
)

export const ticketTags = pgTable(
  'ticket_tags',
  {
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    tagId: uuid()
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    workspaceId: workspaceRef(),
    // The bulk action (its batch id) that added this tag, null for any other add: its Undo removes
    // only the rows it added, never the tag a teammate removed and added again since.
    bulkBatchId: uuid(),
  },
  (t) => [
    primaryKey({ columns: [t.ticketId, t.tagId] }),
    index('ticket_tags_tag_idx').on(t.tagId, t.ticketId),
  ],
)

export const messages = pgTable(
  'messages',
  {
    id: id(),
    workspaceId: workspaceRef(),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    kind: messageKind().notNull(),
    authorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    authorContactId: uuid().references(() => contacts.id, { onDelete: 'set null' }),
    bodyText: text().notNull(),
    bodyHtml: text(),
    emailMessageId: text(),
    inReplyTo: text(),
    deliveryStatus: emailStatus(),
    // Inbound email only: the stored post it came from, why it landed on this ticket, whether the
    // sender was not the customer or a CC'd address, and its dedup key (Message-ID and the email's
    // hash, sameEmailHash; else sha256; before 2026-12 the Message-ID alone).
    inboundEmailId: uuid().references((): AnyPgColumn => inboundEmails.id, { onDelete: 'set null' }),
    threadedBy: inboundThreading(),
    notFromParticipant: boolean().notNull().default(false),
    inboundKey: text(),
    // Inbound email only: its attachments that were not kept (an executable, past 10 files or
    // 25 MB), by name and why, and `more` not named (past the parser's 50): shown on the message.
    // Null when every file was kept. The type is app/utils/files-not-kept.ts's FilesNotKept.
    filesNotKept: jsonb().$type<{
      files: Array<{ filename: string; reason: 'executable' | 'over-limit' }>
      more: number
    }>(),
    // Inbound email only: the mailing list it came through (List-Id, List-Post or Precedence:
    // list, mailingListOf in app/domain/inbound-email.server.ts), as its headers name it: the
    // list's name and address, one line, at most 200 characters; '' when only Precedence: list
    // said so. An agent's reply goes to the customer, not to the list. Null for every other message.
    viaList: text(),
    // Inbound email only: mail software sent it on its own (an out-of-office or vacation reply,
    // automaticMailReason in app/domain/inbound-noise.server.ts): shown as "Automatic reply"; it
    // reopened nothing and marked nothing unread.
    automatic: boolean().notNull().default(false),
    // An agent's reply in its undo window: not announced (live events, webhooks) nor shown to the
    // customer until the email job releases it and clears this; and the note keeping a translated
    // reply's original (translatedFrom), held and released with it. Null for everything else.
    heldUntil: timestamp({ withTimezone: true }),
    // A reply sent as an AI translation ("Translate to <language>"): the agent's own text, the
    // language, and the internal note that keeps the original in the thread. Undo send takes that
    // note back with the reply and gives the draft back as the translation it was. Null otherwise.
    translatedFrom: jsonb().$type<{ language: string; original: string; noteId: string }>(),
    createdAt: createdAt(),
    search: tsvector()
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('english', left(body_text, 200000))`),
  },
  (t) => [
    index('messages_ticket_created_idx').on(t.ticketId, t.createdAt, t.id),
    // Threading by In-Reply-To / References looks Message-IDs up per workspace.
    index('messages_workspace_email_message_id_idx')
      .on(t.workspaceId, t.emailMessageId)
      .where(sql`email_message_id is not null`),
    // SendGrid retries, and one email sent to two of our addresses, never file a second message.
    uniqueIndex('messages_workspace_inbound_key')
      .on(t.workspaceId, t.inboundKey)
      .where(sql`inbound_key is not null`),
  ],
)

export const attachments = pgTable(
  'attachments',
  {
    id: id(),
    workspaceId: workspaceRef(),
    messageId: uuid()
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    filename: text().notNull(),
    contentType: text().notNull(),
    size: bigint({ mode: 'number' }).notNull(),
    sha256: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('attachments_message_idx').on(t.messageId)],
)

/**
 * An agent's unsent composer text, one per ticket and agent, saved as they type and deleted when
 * they send. Teammates in the workspace may read it (shared drafts, like Help Scout's).
 */
export const drafts = pgTable(
  'drafts',
  {
    id: id(),
    workspaceId: workspaceRef(),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text().notNull(),
    kind: messageKind().notNull(),
    // What the composer's reply fields show: its CC (null: the ticket's list), BCC and "then set
    // status" choice, written by each autosave with the text and by Undo send, which also keeps
    // the undone reply's files (stored by sha256, attached again when it is sent; an autosave
    // leaves them, emptying the text drops them).
    cc: text().array(),
    bcc: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    status: ticketStatus(),
    files: jsonb()
      .$type<Array<{ filename: string; contentType: string; size: number; sha256: string }>>()
      .notNull()
      .default([]),
    // The body is an AI translation the agent has yet to send ("Translate to <language>"): their
    // own text, the language and the model's translation as it came (`text`; absent on drafts
    // saved before 2026-12-08: the body stands for it). The composer shows the original with it
    // (restorable), and the reply sent from it keeps the original as an internal note. Dropped by a
    // save of the composer that no longer shows a translation, or whose text is no longer derived
    // from `text` (derivesFromTranslation), by a send, and when the draft is emptied.
    translation: jsonb().$type<{ language: string; original: string; text?: string }>(),
    // Advanced by every send of this agent on the ticket and by Undo send: a save must carry the
    // generation its composer was given, so an autosave still on the wire when the reply was sent
    // cannot bring the sent text back as a draft. A sent draft, or one emptied after a send, is
    // kept as an empty row (body '') for an hour so its generation outlives it (deleteEmptyDrafts);
    // one emptied that never had a send is deleted.
    generation: integer().notNull().default(0),
    // A new value on every write of the text: a composer's save carries the revision it last saw
    // (its page's, or its own last save's) and overwrites only that one, an empty draft, or one its
    // own tab (`writer`, a random id per page) wrote last. Another tab's or device's newer text is
    // never replaced unseen: the save is refused as stale and the composer asks (saveDraft).
    revision: uuid()
      .notNull()
      .default(sql`gen_random_uuid()`),
    writer: text(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('drafts_ticket_user_key').on(t.ticketId, t.userId),
    // The queue's "your draft" markers: this agent's drafts in this workspace.
    index('drafts_workspace_user_idx').on(t.workspaceId, t.userId),
    // The queue row's "your draft" marker and the ticket page's "has a draft" list look for drafts
    // with text only. A send leaves its sender's row empty for an hour (for its generation), so
    // the tickets an agent just replied to, the top of every queue, had a row to fetch and discard
    // on each page: this index holds only the drafts with text (docs/performance.md, session 28).
    index('drafts_with_text_idx')
      .on(t.ticketId, t.userId)
      .where(sql`${t.body} <> ''`),
  ],
)

/** When each agent last opened each ticket: drives the unread marker. */
export const ticketReads = pgTable(
  'ticket_reads',
  {
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    readAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.ticketId] })],
)

export const cannedResponses = pgTable(
  'canned_responses',
  {
    id: id(),
    workspaceId: workspaceRef(),
    title: text().notNull(),
    body: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('canned_responses_workspace_idx').on(t.workspaceId)],
)

/** Every outgoing email, rendered. The transport (local outbox or SendGrid) sends it from a job. */
export const emails = pgTable(
  'emails',
  {
    id: id(),
    workspaceId: uuid().references(() => workspaces.id, { onDelete: 'cascade' }),
    ticketId: uuid().references(() => tickets.id, { onDelete: 'set null' }),
    messageId: uuid().references(() => messages.id, { onDelete: 'set null' }),
    kind: text().notNull(),
    fromAddress: text().notNull(),
    fromName: text().notNull(),
    toAddress: text().notNull(),
    cc: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    bcc: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    replyTo: text(),
    subject: text().notNull(),
    html: text().notNull(),
    text: text().notNull(),
    // The copy BCC recipients get when it must differ from the customer's: an agent reply whose
    // customer copy carries the customer's private link. Null: every recipient gets html/text.
    bccHtml: text(),
    bccText: text(),
    // The private link whose token the sent copy carries in place of its placeholder (a customer
    // link, an invitation, a reset or confirmation link: app/domain/email-link.server.ts); the
    // stored html/text hold no working link. Null: the email carries none (or is from before 0040).
    linkId: uuid(),
    // The attachments (attachments.id, of this email's workspace) sent with it, in the order the
    // email lists them: read from storage by each send (app/domain/email-attachments.server.ts).
    // Those of the message that did not fit are named in html/text as not attached instead.
    attachmentIds: uuid()
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    headers: jsonb().$type<Record<string, string>>().notNull().default({}),
    status: emailStatus().notNull().default('queued'),
    // Delivery attempts made (transport calls), across retries and Retry-After reschedules.
    attempts: integer().notNull().default(0),
    // The email.send job that may deliver it, and until when its claim ('sending') holds: only
    // that job's retry takes over a claim whose lease has run out (see deliverEmail).
    jobId: text(),
    leaseExpiresAt: timestamp({ withTimezone: true }),
    // An attempt ended without SendGrid's answer after its request may have reached it (a timeout,
    // a reset, a shutdown, a lease that lapsed): SendGrid may hold a copy. Never cleared while the
    // email is unsettled, so a `failed` email with it is moved on by a late processed or delivered
    // event, and an agent's Retry of it warns that the customer may get it twice.
    maybeAccepted: boolean().notNull().default(false),
    // An email nobody can retry from a page (account and notification emails) whose last attempt
    // got no answer gets one more attempt after the lease (app/domain/email-doubt.server.ts):
    // set when that attempt is scheduled, so it is scheduled once.
    resentAfterDoubt: boolean().notNull().default(false),
    sentAt: timestamp({ withTimezone: true }),
    // 'local-outbox', or SendGrid's X-Message-Id (delivery events name it as sg_message_id's prefix).
    providerId: text(),
    error: text(),
    isTest: boolean().notNull().default(false),
    // A notification email's recipient (kind 'notification'): sent only while they are still a
    // member of the email's workspace (claimEmail), and marked failed by their removal.
    recipientUserId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('emails_created_idx').on(t.createdAt.desc()),
    // A removal's sweep of the member's queued notification emails, and the foreign key's cascade.
    index('emails_recipient_idx')
      .on(t.recipientUserId)
      .where(sql`${t.recipientUserId} is not null`),
    // Delivery events name SendGrid's X-Message-Id; bounces (DSNs) name our Message-ID.
    index('emails_provider_id_idx').on(t.providerId),
    // A message's delivery state and a ticket's failed replies; and the foreign keys' ON DELETE
    // SET NULL, which scanned the whole table for each deleted ticket or message without these.
    index('emails_message_idx').on(t.messageId),
    index('emails_ticket_idx').on(t.ticketId),
    // The cleanup's sweep of emails a dead job left `sending` (settleAbandonedEmails): only the
    // few rows in flight, not a scan of every email ever sent.
    index('emails_sending_lease_idx')
      .on(t.leaseExpiresAt)
      .where(sql`${t.status} = 'sending'`),
  ],
)

/**
 * Every SendGrid Inbound Parse post, stored raw before we answer 200; the email.inbound job
 * parses and files it. `sha256` of the post dedups SendGrid's retries of the same request.
 */
export const inboundEmails = pgTable(
  'inbound_emails',
  {
    id: id(),
    sha256: text().notNull().unique(),
    // The post's Content-Type (multipart boundary) and body, exactly as received: the body is a
    // file in the attachment store (DATA_DIR/files) at raw_sha256, its content address. Posts
    // stored before that keep their bytes in raw (a 1 MB bytea cost ~100 ms to write, ~50 ms to read).
    contentType: text().notNull(),
    raw: customType<{ data: Buffer }>({ dataType: () => 'bytea' })(),
    rawSha256: text(),
    size: integer().notNull(),
    status: inboundStatus().notNull().default('received'),
    // Known once the job has routed it.
    workspaceId: uuid().references(() => workspaces.id, { onDelete: 'cascade' }),
    mailboxId: uuid().references(() => mailboxes.id, { onDelete: 'set null' }),
    ticketId: uuid().references(() => tickets.id, { onDelete: 'set null' }),
    // The outgoing email a bounce reports on.
    emailId: uuid().references(() => emails.id, { onDelete: 'set null' }),
    error: text(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('inbound_emails_mailbox_idx').on(t.mailboxId, t.receivedAt.desc()),
    index('inbound_emails_received_idx').on(t.receivedAt.desc()),
    // files.cleanup keeps the stored posts a row still names.
    index('inbound_emails_raw_sha256_idx').on(t.rawSha256),
  ],
)

/** SendGrid Event Webhook events we recorded, one row per sg_event_id (SendGrid retries posts). */
export const emailEvents = pgTable(
  'email_events',
  {
    sgEventId: text().primaryKey(),
    emailId: uuid().references(() => emails.id, { onDelete: 'cascade' }),
    event: text().notNull(),
    // Bounce classification or drop reason, as SendGrid words it (no addresses).
    reason: text(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('email_events_email_idx').on(t.emailId, t.occurredAt)],
)

export type MembershipRole = (typeof membershipRole.enumValues)[number]
export type TicketStatus = (typeof ticketStatus.enumValues)[number]
export type TicketPriority = (typeof ticketPriority.enumValues)[number]

/** Used by @socket.io/postgres-adapter for payloads too large for NOTIFY. */
export const socketIoAttachments = pgTable('socket_io_attachments', {
  id: bigserial({ mode: 'number' }).unique(),
  createdAt: timestamp({ withTimezone: true }).defaultNow(),
  payload: customType<{ data: Buffer }>({ dataType: () => 'bytea' })(),
})

export const notificationKind = pgEnum('notification_kind', [
  'assigned',
  'customer-replied',
  'webhook-disabled',
  'mentioned',
])

/** In-app notifications for one agent (the bell). */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    workspaceId: workspaceRef(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: notificationKind().notNull(),
    // The ticket it is about; none for a workspace notice (webhook-disabled names an endpoint).
    ticketId: uuid().references(() => tickets.id, { onDelete: 'cascade' }),
    webhookEndpointId: uuid().references((): AnyPgColumn => webhookEndpoints.id, { onDelete: 'cascade' }),
    actorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    readAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_user_idx').on(t.userId, t.workspaceId, t.createdAt.desc()),
    // The bell's unread count on every page reads only the unread ones, however many were read.
    index('notifications_unread_idx')
      .on(t.userId, t.workspaceId)
      .where(sql`${t.readAt} is null`),
  ],
)

/** Notification kinds a user does not want by email (account page, or the link in the email). */
export const notificationEmailOptOuts = pgTable(
  'notification_email_opt_outs',
  {
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: notificationKind().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind] })],
)

export const apiTokenScope = pgEnum('api_token_scope', [
  'tickets:read',
  'tickets:write',
  'contacts:read',
  'contacts:write',
  'webhooks:manage',
])

/**
 * Personal access tokens for the REST API (and later webhooks management and MCP). The token
 * (`sb_pat_…`) is shown once; only its sha256 is stored. It acts as its creator's membership of
 * the workspace, so removing the creator disables it (app/domain/api-tokens.server.ts).
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    workspaceId: workspaceRef(),
    createdById: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    // The first characters of the token, shown in the list so people can tell tokens apart.
    prefix: text().notNull(),
    tokenHash: text().notNull().unique(),
    scopes: apiTokenScope().array().notNull(),
    expiresAt: timestamp({ withTimezone: true }),
    lastUsedAt: timestamp({ withTimezone: true }),
    lastUsedIp: text(),
    revokedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('api_tokens_workspace_idx').on(t.workspaceId, t.createdAt)],
)

/**
 * Idempotency-Key records of API POSTs: inserted first with no status (in progress), so a
 * concurrent duplicate conflicts on the primary key; completed with the first response, which
 * replays for 24 hours (the sessions.cleanup job deletes older rows).
 */
export const apiIdempotencyKeys = pgTable(
  'api_idempotency_keys',
  {
    tokenId: uuid()
      .notNull()
      .references(() => apiTokens.id, { onDelete: 'cascade' }),
    key: text().notNull(),
    // sha256 of method, path and body: the same key with another request is refused (422).
    requestHash: text().notNull(),
    status: integer(),
    responseBody: text(),
    responseHeaders: jsonb().$type<Record<string, string>>(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tokenId, t.key] }),
    index('api_idempotency_keys_created_idx').on(t.createdAt),
  ],
)

/** What an AI call was for (app/ai/features.ts mirrors this list for the settings page). */
export const aiFeature = pgEnum('ai_feature', ['draft', 'rewrite', 'translate', 'summarize', 'triage'])
/**
 * How an AI call ended: ok; invalid (the answer failed its schema twice and was dropped); failed
 * (the provider answered an error, see error_class); timeout; cancelled (the agent stopped it).
 */
export const aiOutcome = pgEnum('ai_outcome', ['ok', 'invalid', 'failed', 'timeout', 'cancelled'])

/**
 * One row per call to the model provider (app/ai/client.server.ts): usage, budget and the
 * settings page's chart read it. Never the API key; the prompt and the answer only while the
 * workspace's debug logging is on (it turns itself off after 24 hours).
 */
export const aiRuns = pgTable(
  'ai_runs',
  {
    id: id(),
    workspaceId: workspaceRef(),
    ticketId: uuid().references(() => tickets.id, { onDelete: 'set null' }),
    userId: uuid().references(() => users.id, { onDelete: 'set null' }),
    feature: aiFeature().notNull(),
    model: text().notNull(),
    tokensIn: integer().notNull().default(0),
    tokensOut: integer().notNull().default(0),
    // Some of the tokens are an estimate (4 characters a token): the server sent no usage for them
    // (many compatible servers never do; a cancelled, timed-out or broken stream never gets it).
    tokensEstimated: boolean().notNull().default(false),
    latencyMs: integer().notNull(),
    outcome: aiOutcome().notNull(),
    // The error's class (e.g. RateLimitError, APIConnectionTimeoutError, invalid_json): never its text.
    errorClass: text(),
    prompt: jsonb(),
    answer: text(),
    createdAt: createdAt(),
  },
  (t) => [index('ai_runs_workspace_created_idx').on(t.workspaceId, t.createdAt)],
)

/** What an outbound webhook endpoint can subscribe to (app/domain/webhooks.server.ts mirrors it). */
export const webhookEventType = pgEnum('webhook_event_type', [
  'ticket.created',
  'ticket.updated',
  'message.created',
  'contact.created',
])

/**
 * Outbound webhook endpoints of a workspace (issue 9). The signing secret (`whsec_` + base64)
 * must be readable to sign, so it is stored as is and shown once; after a rotation the previous
 * one keeps signing beside it until previous_secret_expires_at. failing_since is the first failed
 * attempt since the last success: three days of that disable the endpoint (disabled_at).
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: id(),
    workspaceId: workspaceRef(),
    url: text().notNull(),
    description: text().notNull().default(''),
    events: webhookEventType().array().notNull(),
    // message.created carries internal notes only when this is on.
    includeNotes: boolean().notNull().default(false),
    secret: text().notNull(),
    previousSecret: text(),
    previousSecretExpiresAt: timestamp({ withTimezone: true }),
    failingSince: timestamp({ withTimezone: true }),
    disabledAt: timestamp({ withTimezone: true }),
    disabledReason: text(),
    createdById: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [index('webhook_endpoints_workspace_idx').on(t.workspaceId, t.createdAt)],
)

/** pending (an attempt is scheduled) → succeeded (2xx) | failed (retries exhausted or endpoint disabled). */
export const webhookDeliveryStatus = pgEnum('webhook_delivery_status', ['pending', 'succeeded', 'failed'])

/**
 * One message to one endpoint: the exact signed body (text, so every retry sends the same bytes),
 * its state and the last attempt's outcome. event_id is the `webhook-id` header, shared by the
 * endpoints that got the same event and by redeliveries, so receivers can deduplicate.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    workspaceId: workspaceRef(),
    endpointId: uuid()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text().notNull(),
    // A subscribed event type, or webhook.test for "Send test event".
    eventType: text().notNull(),
    payload: text().notNull(),
    status: webhookDeliveryStatus().notNull().default('pending'),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }),
    lastAttemptAt: timestamp({ withTimezone: true }),
    responseStatus: integer(),
    // The first 500 characters of the last response body (never sent anywhere else).
    responseSnippet: text(),
    latencyMs: integer(),
    error: text(),
    // The pg-boss job attempting it: set by the claim, cleared when the attempt's outcome is
    // recorded. A first attempt's job may send another of the endpoint's deliveries than its own,
    // and run again after an interruption it sends that one; while the job is live no other job
    // claims an attempt of it (claimWebhookAttempt).
    attemptJobId: uuid(),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_deliveries_endpoint_created_idx').on(t.endpointId, t.createdAt),
    // The endpoint's next first attempt (firstUnsentDeliveryOfEndpoint), without reading its sent ones.
    index('webhook_deliveries_endpoint_unsent_idx')
      .on(t.endpointId, t.createdAt, t.id)
      .where(sql`status = 'pending' and attempts = 0`),
    // The every-minute sweep for deliveries no job will attempt (lockStuckWebhookDeliveries):
    // only the pending rows, by when they fall due.
    index('webhook_deliveries_pending_due_idx')
      .on(sql`coalesce(${t.nextAttemptAt}, ${t.createdAt})`)
      .where(sql`status = 'pending'`),
  ],
)

/** The tone triage read in a new ticket's first message (app/ai/triage.server.ts). */
export const aiSentiment = pgEnum('ai_sentiment', ['negative', 'neutral', 'positive'])

/**
 * Why a new ticket was not triaged: the workspace's triage calls per hour or day were used up
 * (AI_TRIAGE_PER_HOUR / AI_TRIAGE_PER_DAY), or its monthly token budget was; or the provider was
 * busy (429, 503): `retrying` while the triage job is queued to try again, `busy` once it gave up.
 */
export const aiTriageSkip = pgEnum('ai_triage_skip', ['limit', 'budget', 'retrying', 'busy'])

/**
 * What the triage job suggested for a new ticket, one row per ticket: only values from the
 * allowed sets survive (a workspace's existing tags by id, the four priorities, ISO 639-1
 * codes); anything else the model said was dropped before this row was written. `applied_at` is
 * set when the workspace's auto-apply mode applied it through the normal domain operations.
 * `skipped` says the job got no answer (a limit, the budget, a busy provider): the ticket stays
 * untriaged, and its panel offers "Triage now".
 */
export const ticketTriage = pgTable(
  'ticket_triage',
  {
    ticketId: uuid()
      .primaryKey()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    workspaceId: workspaceRef(),
    priority: ticketPriority(),
    tagIds: uuid()
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    language: text(),
    sentiment: aiSentiment(),
    gist: text().notNull().default(''),
    appliedAt: timestamp({ withTimezone: true }),
    // Set (and nothing else) when the job got no answer: the panel says why.
    skipped: aiTriageSkip(),
    // Retired: "Triage now" claimed with these until session 19; it now takes ai_run_claims like
    // the triage job. Nothing reads or writes them, but they stay for a release: an instance still
    // on the previous code selects and sets them during a rolling restart (dropped later).
    runClaim: uuid(),
    runClaimedUntil: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('ticket_triage_workspace_idx').on(t.workspaceId)],
)

/** A customer message translated for agents, cached per message and target language (ISO 639-1). */
export const messageTranslations = pgTable(
  'message_translations',
  {
    messageId: uuid()
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    language: text().notNull(),
    workspaceId: workspaceRef(),
    text: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.language] })],
)

/**
 * A model call under way: one claim per thing asked (`key`: `summary:<ticket id>`,
 * `translation:<message id>:<language>`, `triage:<ticket id>` for the triage job and an agent's
 * "Triage now" alike), so parallel clicks make one call. A row value with a lease, not a lock:
 * nothing is held during the call, and a claim whose process died frees up when `claimed_until`
 * passes and is deleted by the cleanup job (app/ai/run-claims.server.ts).
 */
export const aiRunClaims = pgTable(
  'ai_run_claims',
  {
    workspaceId: workspaceRef(),
    key: text().notNull(),
    claim: uuid().notNull(),
    claimedUntil: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.key] })],
)

/**
 * The tokens a model call under way may still spend, held against the workspace's monthly budget
 * from its start until its `ai_runs` row is written (in the same transaction that deletes the
 * hold), so calls started at the same moment cannot all pass the budget check
 * (`holdBudget` in app/ai/client.server.ts). A hold whose process died lapses at `expires_at`.
 */
export const aiBudgetHolds = pgTable(
  'ai_budget_holds',
  {
    id: id(),
    workspaceId: workspaceRef(),
    tokens: integer().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [index('ai_budget_holds_workspace_idx').on(t.workspaceId)],
)

/**
 * The AI summary of a ticket (issue, what was tried, what is pending as 3–6 bullets), cached per
 * ticket. It is stale once the thread's last message is no longer `last_message_id`.
 */
export const ticketSummaries = pgTable('ticket_summaries', {
  ticketId: uuid()
    .primaryKey()
    .references(() => tickets.id, { onDelete: 'cascade' }),
  workspaceId: workspaceRef(),
  bullets: jsonb().notNull(),
  messageCount: integer().notNull(),
  lastMessageId: uuid(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
})
