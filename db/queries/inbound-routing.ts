import { and, eq, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { contacts, messages, tickets } from '../schema.ts'

// Where an inbound email goes: by a reply token, a forwarding address, a mailbox's public
// address, and the ticket its In-Reply-To / References name.

export type RecipientRouteRow = {
  kind: 'token' | 'forwarding' | 'public'
  /** The token, `<slug>.<key>` or lower-case public address the row was found by. */
  matched: string
  ticketId: string | null
  workspaceId: string
  workspaceSlug: string
  mailboxId: string
  mailboxAddress: string
}

/**
 * Every route the recipients name, in one statement: the tickets with these reply tokens (with
 * their workspace and mailbox), the active mailboxes of these forwarding addresses
 * (`<slug>.<key>`), and the active mailboxes with these public addresses (lower case) that no
 * other active mailbox claims too. Each list is bounded by the caller (inbound-routing.server.ts).
 */
export async function findRoutesForRecipients(
  db: DbOrTx,
  {
    tokens,
    forwarding,
    publicAddresses,
  }: { tokens: string[]; forwarding: string[]; publicAddresses: string[] },
) {
  if (tokens.length + forwarding.length + publicAddresses.length === 0) return []
  const slugs = [...new Set(forwarding.map((f) => f.slice(0, f.indexOf('.'))))]
  const result = await db.execute<RecipientRouteRow>(sql`
    select 'token' as kind, t.reply_token as matched, t.id as "ticketId", w.id as "workspaceId",
      w.slug as "workspaceSlug", m.id as "mailboxId", m.address as "mailboxAddress"
    from tickets t
    join workspaces w on w.id = t.workspace_id
    join mailboxes m on m.id = t.mailbox_id
    where t.reply_token = any(${sql.param(tokens)}::text[])
    union all
    select 'forwarding', w.slug || '.' || m.key, null, w.id, w.slug, m.id, m.address
    from workspaces w
    join mailboxes m on m.workspace_id = w.id and m.archived_at is null
    where w.slug = any(${sql.param(slugs)}::text[])
      and w.slug || '.' || m.key = any(${sql.param(forwarding)}::text[])
    union all
    select 'public', p.matched, null, p.workspace_id, p.slug, p.id, p.address
    from (
      select lower(m.address) as matched, w.id as workspace_id, w.slug, m.id, m.address,
        count(*) over (partition by lower(m.address)) as claims
      from mailboxes m
      join workspaces w on w.id = m.workspace_id
      where m.archived_at is null and lower(m.address) = any(${sql.param(publicAddresses)}::text[])
    ) p
    where p.claims = 1`)
  return result.rows
}

/** The workspace's messages and ticket roots carrying any of these Message-IDs. */
export async function findTicketsByMessageIds(
  db: DbOrTx,
  { workspaceId, messageIds }: { workspaceId: string; messageIds: string[] },
) {
  const found = await db
    .select({ ticketId: messages.ticketId, messageId: messages.emailMessageId })
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.emailMessageId, messageIds)))
  const roots = await db
    .select({ ticketId: tickets.id, messageId: tickets.threadMessageId })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), inArray(tickets.threadMessageId, messageIds)))
  return { found, roots }
}

/** Which of these tickets of the workspace have this address as their customer's or on their CC list. */
export async function findTicketsWithParticipant(
  db: DbOrTx,
  { workspaceId, ticketIds, address }: { workspaceId: string; ticketIds: string[]; address: string },
) {
  const rows = await db
    .select({ ticketId: tickets.id })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(
      and(
        eq(tickets.workspaceId, workspaceId),
        inArray(tickets.id, ticketIds),
        sql`(lower(${contacts.email}) = ${address} or exists (select 1 from unnest(${tickets.cc}) as c(a) where lower(c.a) = ${address}))`,
      ),
    )
  return rows.map((r) => r.ticketId)
}

/**
 * The workspace's ticket with this number, its customer's address and CC list, locked until the
 * filing commits (the sender's right to write there is decided from them: a contact merge or a CC
 * change must wait until the email is filed).
 */
export async function lockTicketByNumber(
  db: DbOrTx,
  { workspaceId, number }: { workspaceId: string; number: number },
) {
  const [row] = await db
    .select({ ticketId: tickets.id, contactEmail: contacts.email, cc: tickets.cc })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.number, number)))
    .for('update', { of: tickets })
  return row
}
