import { and, eq, gt, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import { uuidv7 } from '../uuid.ts'
import { contacts, customerLinks, memberships, tickets, workspaces, type TicketStatus } from '../schema.ts'
import { activeWebhookEndpointsColumn, type ActiveWebhookEndpoint } from './webhooks.ts'

// Messages on a ticket: the agent's reply or note and the customer's reply (app/domain/messages.server.ts
// opens the transaction and passes `tx`). The thread's reads are in tickets.ts.

/**
 * The ticket an agent replies to, by number, locked FOR UPDATE (the ticket row only), with what
 * the reply and its email need that no concurrent message changes: the contact's address, the
 * ticket's mailbox (same workspace), the workspace's slug, and the replying agent's undo-send
 * delay and signature, and the workspace's active webhook endpoints (for enqueueWebhooks). One
 * statement.
 */
export async function lockTicketForReply(
  db: DbOrTx,
  { workspaceId, number, userId }: { workspaceId: string; number: number; userId: string },
) {
  // A named prepared statement: parsed and planned once per connection, not on every reply.
  const result = await executePrepared<{
    id: string
    number: number
    subject: string
    status: TicketStatus
    resolvedAt: string | null
    firstResponseAt: string | null
    mailboxId: string
    threadMessageId: string
    replyToken: string | null
    cc: string[]
    contactEmail: string
    mailboxKey: string
    mailboxAddress: string
    mailboxFromName: string
    mailboxSignature: string
    workspaceSlug: string
    undoSendSeconds: number
    authorSignature: string
    webhookEndpoints: ActiveWebhookEndpoint[]
  }>(
    db,
    sql`
    select t.id, t.number, t.subject, t.status,
      to_json(t.resolved_at) as "resolvedAt", to_json(t.first_response_at) as "firstResponseAt",
      t.mailbox_id as "mailboxId", t.thread_message_id as "threadMessageId", t.reply_token as "replyToken", t.cc,
      c.email as "contactEmail", mb.key as "mailboxKey", mb.address as "mailboxAddress",
      mb.from_name as "mailboxFromName", mb.signature as "mailboxSignature",
      (select w.slug from workspaces w where w.id = t.workspace_id) as "workspaceSlug",
      coalesce((select u.undo_send_seconds from users u where u.id = ${userId}::uuid), 0) as "undoSendSeconds",
      coalesce((select u.signature from users u where u.id = ${userId}::uuid), '') as "authorSignature",
      ${activeWebhookEndpointsColumn(sql`t.workspace_id`)} as "webhookEndpoints"
    from tickets t
    join contacts c on c.id = t.contact_id
    join mailboxes mb on mb.id = t.mailbox_id and mb.workspace_id = t.workspace_id
    where t.workspace_id = ${workspaceId}::uuid and t.number = ${number}::int
    for update of t`,
  )
  const row = result.rows[0]
  if (!row) return undefined
  return {
    ...row,
    resolvedAt: row.resolvedAt === null ? null : new Date(row.resolvedAt),
    firstResponseAt: row.firstResponseAt === null ? null : new Date(row.firstResponseAt),
  }
}

/** A message of the ticket newer than the composer's last-seen one, with its author (collision check). */
export type NewerMessageRow = {
  id: string
  kind: 'reply' | 'note'
  bodyText: string
  createdAt: Date
  userName: string | null
  contactName: string | null
  contactEmail: string | null
  /** A reply still in its undo window: not sent yet, and it may be taken back. */
  sending: boolean
  /** An inbound email from someone neither the customer nor CC'd (docs/security.md). */
  notFromParticipant: boolean
}

/**
 * What an agent reply's email threads with: the Message-IDs of the ticket's earlier emails
 * (newest first, with whether the customer wrote each) and its last public replies before the new
 * message with their authors (newest first).
 */
export type ReplyThreadContext = {
  emailed: Array<{ emailMessageId: string; fromCustomer: boolean }>
  quoted: Array<{
    bodyText: string
    /** It came in as an email (only an email carries quoted history to leave out). */
    byEmail: boolean
    createdAt: Date
    userName: string | null
    contactName: string | null
    contactEmail: string | null
  }>
}

export type AgentMessageValues = {
  workspaceId: string
  ticketId: string
  userId: string
  /** The composer's last-seen message: when anyone wrote since, nothing is written. */
  lastSeenMessageId: string | null
  message: {
    id: string
    kind: 'reply' | 'note'
    body: string
    emailMessageId: string | null
    inReplyTo: string | null
    deliveryStatus: 'queued' | null
    heldUntil: Date | null
    createdAt: Date
  }
  /** The ticket row: the first response (kept if it has one), the new CC list, a missing token. */
  firstResponseAt: Date | null
  cc: string[] | null
  replyToken: string | null
  audit: { id: string; action: string; data: Record<string, unknown> }
  /** Replies: the customer's new private link (its hash) for the email. */
  customerLink: { id: string; tokenHash: string; expiresAt: Date } | null
  /** Replies: read the email's thread context (References and the quoted messages). */
  thread: { referencesLimit: number; quotedLimit: number } | null
  readAt: Date
}

/**
 * The collision check's steps, `seen`, `known` (the last-seen id names a message of this ticket
 * this agent can see, or none was given) and `newer` (what came after it), for a statement to
 * start `with`: recordAgentMessage, and messagesSinceLastSeen before work that is wasted on a
 * collision.
 */
function collisionSteps(
  v: Pick<AgentMessageValues, 'workspaceId' | 'ticketId' | 'userId' | 'lastSeenMessageId'>,
) {
  return sql`
    seen as (
      -- The message the composer last saw: one of this ticket's that this agent can see.
      select s.created_at, s.id from messages s
      where s.id = ${v.lastSeenMessageId}::uuid and s.ticket_id = ${v.ticketId}::uuid
        and s.workspace_id = ${v.workspaceId}::uuid
        and (s.held_until is null or s.author_user_id = ${v.userId}::uuid)),
    -- A last-seen id that names no such message (another ticket's, a made-up one, a reply taken
    -- back) proves nothing was seen: nothing is written, and every message counts as newer.
    known as (select (${v.lastSeenMessageId}::uuid is null or exists (select 1 from seen)) as ok),
    -- Ids and times only: the text of the newest few is read by newerAsJson.
    newer as (
      select m.id, m.created_at
      from messages m
      where m.ticket_id = ${v.ticketId}::uuid and m.workspace_id = ${v.workspaceId}::uuid
        -- A teammate's reply in its undo window counts too (marked sending): it is not in their
        -- thread (it may be taken back), but it is about to reach the customer, and left out it
        -- let two agents answer the customer seconds apart without a warning.
        and ${v.lastSeenMessageId}::uuid is not null
        and (not exists (select 1 from seen) or (m.created_at, m.id) > (select seen.created_at, seen.id from seen)))`
}

/**
 * How many of the messages a reply collides with are read and shown: the newest ones. A burst of
 * notes, or a last-seen id that names nothing (every message then counts as newer), read every
 * message of the thread with its text (a 30 MB thread for one refused post); the rest is counted.
 */
export const COLLISION_SHOWN = 20

/**
 * The `newer` step as two columns: `newer`, the newest COLLISION_SHOWN of its messages with their
 * text and authors, oldest first, and `newerCount`, how many there are in all.
 */
function newerAsJson() {
  return sql`(select coalesce(json_agg(json_build_object('id', n.id, 'kind', m.kind, 'bodyText', m.body_text,
          'createdAt', n.created_at, 'userName', u.name, 'contactName', c.name,
          'contactEmail', c.email, 'sending', m.held_until is not null,
          'notFromParticipant', m.not_from_participant) order by n.created_at, n.id), '[]'::json)
        from (select id, created_at from newer order by created_at desc, id desc limit ${COLLISION_SHOWN}) n
        join messages m on m.id = n.id
        left join users u on u.id = m.author_user_id
        left join contacts c on c.id = m.author_contact_id) as newer,
      (select count(*)::int from newer) as "newerCount"`
}

/**
 * The messages an agent's reply would collide with now (recordAgentMessage's check, read without
 * a lock or a write): for refusing before costly work, such as a translation, that a collision
 * would waste. recordAgentMessage still decides, under the ticket's lock.
 */
export async function messagesSinceLastSeen(
  db: DbOrTx,
  v: Pick<AgentMessageValues, 'workspaceId' | 'ticketId' | 'userId' | 'lastSeenMessageId'>,
) {
  const result = await executePrepared<{
    lastSeenKnown: boolean
    newer: Array<Omit<NewerMessageRow, 'createdAt'> & { createdAt: string }>
    newerCount: number
  }>(
    db,
    sql`
    with ${collisionSteps(v)}
    select
      (select ok from known) as "lastSeenKnown",
      ${newerAsJson()}`,
  )
  const row = result.rows[0]!
  return {
    lastSeenKnown: row.lastSeenKnown,
    newer: row.newer.map((n) => ({ ...n, createdAt: new Date(n.createdAt) })),
    newerCount: row.newerCount,
  }
}

/**
 * An agent's reply or note after the ticket's lock (lockTicketForReply), in one statement so the
 * transaction makes one round trip instead of seven: the collision check (messages newer than the
 * composer's last-seen one: then nothing below is written), the message, the ticket row (count,
 * search document, activity, first response, CC list, reply token), the audit row, the
 * customer's private link, the agent's read marker and the deletion of their draft, and what the
 * email threads with. Replies still in their undo window (`held_until` set, anyone's, this
 * agent's too) are left out of the References and the quoted history: they may be taken back,
 * and this email may go before they do (docs/data-flow.md, "Undo send and the thread"). Nor are
 * inbound emails flagged "Not from a participant": a stranger's words never reach the customer. Runs in its own snapshot after the lock, so it sees every message committed
 * before the lock was granted (as the separate statements did). The message's insert trigger
 * (ticket_message_stats) runs at the end of the statement, as it did after the insert alone.
 */
export async function recordAgentMessage(db: DbOrTx, v: AgentMessageValues) {
  const { message: m } = v
  const result = await executePrepared<{
    messageId: string | null
    lastSeenKnown: boolean
    draftGeneration: number | null
    newer: Array<Omit<NewerMessageRow, 'createdAt'> & { createdAt: string }>
    newerCount: number
    emailed: ReplyThreadContext['emailed']
    quoted: Array<Omit<ReplyThreadContext['quoted'][number], 'createdAt'> & { createdAt: string }>
  }>(
    db,
    sql`
    with ${collisionSteps(v)},
    go as (select not exists (select 1 from newer) and (select ok from known) as ok),
    msg as (
      insert into messages (id, workspace_id, ticket_id, kind, author_user_id, body_text, email_message_id,
        in_reply_to, delivery_status, held_until, created_at)
      select ${m.id}::uuid, ${v.workspaceId}::uuid, ${v.ticketId}::uuid, ${m.kind}::message_kind, ${v.userId}::uuid,
        ${m.body}::text, ${m.emailMessageId}::text, ${m.inReplyTo}::text, ${m.deliveryStatus}::email_status,
        ${m.heldUntil}::timestamptz, ${m.createdAt}::timestamptz
      from go where go.ok
      returning id),
    ticket as (
      update tickets t set
        message_count = t.message_count + 1,
        -- A held reply's words join the search document when it is released (releaseHeldMessage):
        -- an undone one's never do.
        search = case when ${m.heldUntil === null}::boolean and pg_column_size(t.search) < 600000
          then t.search || setweight(to_tsvector('english', left(${m.body}::text, 200000)), 'B')
          else t.search end,
        last_activity_at = ${m.createdAt}::timestamptz,
        updated_at = ${m.createdAt}::timestamptz,
        first_response_at = coalesce(t.first_response_at, ${v.firstResponseAt}::timestamptz),
        -- array() of no elements is '{}', not null: a null list keeps the ticket's CCs.
        cc = case when ${v.cc === null}::boolean then t.cc else array(select a.address
          from jsonb_array_elements_text(${JSON.stringify(v.cc ?? [])}::jsonb) with ordinality a(address, n)
          order by a.n) end,
        reply_token = coalesce(t.reply_token, ${v.replyToken}::text)
      from go
      where go.ok and t.id = ${v.ticketId}::uuid and t.workspace_id = ${v.workspaceId}::uuid),
    audit as (
      insert into audit_events (id, workspace_id, actor_user_id, action, target_type, target_id, data)
      select ${v.audit.id}::uuid, ${v.workspaceId}::uuid, ${v.userId}::uuid, ${v.audit.action}::text, 'ticket',
        ${v.ticketId}::text, ${JSON.stringify(v.audit.data)}::jsonb
      from go where go.ok),
    link as (
      insert into customer_links (id, workspace_id, ticket_id, token_hash, expires_at)
      select ${v.customerLink?.id ?? null}::uuid, ${v.workspaceId}::uuid, ${v.ticketId}::uuid,
        ${v.customerLink?.tokenHash ?? null}::text, ${v.customerLink?.expiresAt ?? null}::timestamptz
      from go where go.ok and ${v.customerLink !== null}::boolean),
    read as (
      insert into ticket_reads (user_id, ticket_id, read_at)
      select ${v.userId}::uuid, ${v.ticketId}::uuid, ${v.readAt}::timestamptz from go where go.ok
      on conflict (user_id, ticket_id) do update set read_at = excluded.read_at),
    -- The draft is emptied and its generation advanced (kept as a row even when there was none):
    -- a save still on the wire from before the send carries the old one and is ignored (saveDraft).
    draft as (
      insert into drafts (id, workspace_id, ticket_id, user_id, body, kind, generation, updated_at)
      select ${uuidv7()}::uuid, ${v.workspaceId}::uuid, ${v.ticketId}::uuid, ${v.userId}::uuid, '',
        ${m.kind}::message_kind, 1, ${m.createdAt}::timestamptz
      from go where go.ok
      on conflict (ticket_id, user_id) do update set body = '', cc = null, bcc = '{}', status = null,
        files = '[]', translation = null, generation = drafts.generation + 1, updated_at = excluded.updated_at
      returning generation)
    select
      (select msg.id from msg) as "messageId",
      (select ok from known) as "lastSeenKnown",
      (select draft.generation from draft) as "draftGeneration",
      ${newerAsJson()},
      (select coalesce(json_agg(json_build_object('emailMessageId', e.email_message_id, 'fromCustomer', e.from_customer)
          order by e.created_at desc, e.id desc), '[]'::json)
        from (select m.id, m.created_at, m.email_message_id, m.author_user_id is null as from_customer
          from messages m
          where ${v.thread !== null}::boolean and m.ticket_id = ${v.ticketId}::uuid
            and m.email_message_id is not null and m.id <> ${m.id}::uuid and m.held_until is null
            and not m.not_from_participant
          order by m.created_at desc, m.id desc limit ${v.thread?.referencesLimit ?? 0}::int) e) as emailed,
      (select coalesce(json_agg(json_build_object('bodyText', q.body_text, 'byEmail', q.by_email, 'createdAt', q.created_at,
            'userName', q.user_name, 'contactName', q.contact_name, 'contactEmail', q.contact_email)
          order by q.created_at desc, q.id desc), '[]'::json)
        from (select m.id, m.created_at, m.body_text, m.threaded_by is not null as by_email, u.name as user_name, c.name as contact_name, c.email as contact_email
          from messages m
          left join users u on u.id = m.author_user_id
          left join contacts c on c.id = m.author_contact_id
          where ${v.thread !== null}::boolean and m.ticket_id = ${v.ticketId}::uuid and m.kind = 'reply'
            and m.held_until is null and not m.not_from_participant
            and (m.created_at, m.id) < (${m.createdAt}::timestamptz, ${m.id}::uuid)
          order by m.created_at desc, m.id desc limit ${v.thread?.quotedLimit ?? 0}::int) q) as quoted`,
  )
  const row = result.rows[0]!
  return {
    messageId: row.messageId,
    lastSeenKnown: row.lastSeenKnown,
    draftGeneration: row.draftGeneration,
    newer: row.newer.map((n) => ({ ...n, createdAt: new Date(n.createdAt) })),
    newerCount: row.newerCount,
    thread: {
      emailed: row.emailed,
      quoted: row.quoted.map((q) => ({ ...q, createdAt: new Date(q.createdAt) })),
    } satisfies ReplyThreadContext,
  }
}

/**
 * The membership of the ticket's assignee (read without the ticket's lock), locked FOR KEY SHARE
 * until the transaction ends: the user id while they are a member, else undefined. Taken before the
 * ticket's lock, in a removal's order (memberships, then tickets).
 */
export async function lockAssigneeMembershipOfTicket(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [row] = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(
      and(
        eq(memberships.workspaceId, workspaceId),
        eq(
          memberships.userId,
          sql`(select ${tickets.assigneeId} from ${tickets} where ${tickets.id} = ${ticketId} and ${tickets.workspaceId} = ${workspaceId})`,
        ),
      ),
    )
    .for('key share')
  return row?.userId
}

/** The ticket a customer replies to, locked FOR UPDATE (its assignee's membership: lockAssigneeMembershipOfTicket). */
export async function lockTicketForCustomerReply(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  const [row] = await db
    .select({
      number: tickets.number,
      status: tickets.status,
      resolvedAt: tickets.resolvedAt,
      assigneeId: tickets.assigneeId,
      // The customer as the lock has it: a contact merge that committed first moved the ticket.
      contactId: tickets.contactId,
    })
    .from(tickets)
    .where(and(eq(tickets.id, ticketId), eq(tickets.workspaceId, workspaceId)))
    .for('update')
  return row
}

/**
 * A new message on the ticket: sets the given fields, counts the message and appends its body to
 * the search document, bounded so it never exceeds PostgreSQL's limit.
 */
export async function recordTicketMessage(
  db: DbOrTx,
  { ticketId, body, set }: { ticketId: string; body: string; set: Partial<typeof tickets.$inferInsert> },
) {
  await db
    .update(tickets)
    .set({
      ...set,
      messageCount: sql`${tickets.messageCount} + 1`,
      search: sql`case when pg_column_size(${tickets.search}) < 600000
    then ${tickets.search} || setweight(to_tsvector('english', left(${body}, 200000)), 'B')
    else ${tickets.search} end`,
    })
    .where(eq(tickets.id, ticketId))
}

/** The ticket behind a customer's private link (by the token's hash), unless the link expired. */
export async function findTicketByCustomerTokenHash(db: DbOrTx, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
    .select({
      ticketId: tickets.id,
      workspaceId: tickets.workspaceId,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      createdAt: tickets.createdAt,
      contactId: tickets.contactId,
      contactName: contacts.name,
      workspaceName: workspaces.name,
    })
    .from(customerLinks)
    .innerJoin(tickets, eq(tickets.id, customerLinks.ticketId))
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .innerJoin(workspaces, eq(workspaces.id, tickets.workspaceId))
    // The database's clock, which set the expiry (a migration's `expires_at = now()`): this
    // process's, in whole milliseconds, still found a link expired in the same millisecond.
    .where(and(eq(customerLinks.tokenHash, tokenHash), gt(customerLinks.expiresAt, sql`now()`)))
  return row
}

/** The attachments' content addresses of a message, sorted: what makes two posts the same. */
const attachmentSet = (messageId: SQL) =>
  sql`(select coalesce(array_agg(a.sha256 order by a.sha256), '{}'::text[]) from attachments a where a.message_id = ${messageId})`

/**
 * The customer's message on this ticket with exactly this text and these files, written in the
 * last `seconds`: the same form posted twice (a double click, a browser resending). Read after
 * the ticket's row lock, so a concurrent duplicate is already committed or still waiting.
 */
export async function findRepeatedCustomerMessage(
  db: DbOrTx,
  input: { ticketId: string; contactId: string; body: string; sha256s: string[]; seconds: number },
) {
  const shas = [...input.sha256s].sort()
  const result = await db.execute<{ id: string }>(sql`
    select m.id from messages m
    where m.ticket_id = ${input.ticketId} and m.author_contact_id = ${input.contactId} and m.kind = 'reply'
      and m.created_at > now() - make_interval(secs => ${input.seconds})
      and m.body_text = ${input.body}
      and ${attachmentSet(sql`m.id`)} = ${sql.param(shas)}::text[]
      -- Still the ticket's last message: "Yes" again after the agent asked something new is an answer.
      and not exists (select 1 from messages later where later.ticket_id = m.ticket_id
                      and (later.created_at, later.id) > (m.created_at, m.id))
    order by m.created_at desc limit 1`)
  return result.rows[0]?.id
}

/**
 * A web-form ticket of this mailbox opened in the last `seconds` by this address with the same
 * subject, text and files: the support form posted twice. Run under lockSupportSender.
 */
export async function findRepeatedWebTicket(
  db: DbOrTx,
  input: {
    workspaceId: string
    mailboxId: string
    email: string
    subject: string
    body: string
    sha256s: string[]
    seconds: number
  },
) {
  const shas = [...input.sha256s].sort()
  const result = await db.execute<{ id: string; number: number }>(sql`
    select t.id, t.number from contacts c
    join tickets t on t.contact_id = c.id and t.workspace_id = c.workspace_id
    join messages m on m.ticket_id = t.id and m.author_contact_id = c.id and m.kind = 'reply'
    where c.workspace_id = ${input.workspaceId} and lower(c.email) = lower(${input.email})
      and t.channel = 'web' and t.mailbox_id = ${input.mailboxId} and t.subject = ${input.subject}
      and t.created_at > now() - make_interval(secs => ${input.seconds})
      and m.body_text = ${input.body}
      and ${attachmentSet(sql`m.id`)} = ${sql.param(shas)}::text[]
    order by t.created_at desc limit 1`)
  return result.rows[0]
}

/** Serializes one sender's support-form posts to a workspace until the transaction ends. */
export async function lockSupportSender(db: DbOrTx, input: { workspaceId: string; email: string }) {
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`support-form:${input.workspaceId}:${input.email.toLowerCase()}`}, 0))`,
  )
}
