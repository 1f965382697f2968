import { and, desc, eq, inArray, ne, or, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { auditEvents, contacts, messages, tickets } from '../schema.ts'
import { uuidv7 } from '../uuid.ts'
import { isoMicros } from './sql.ts'

/** A position in the customer list: created_at as ISO 8601 with microseconds (isoMicros), and id. */
export type ContactCursor = { createdAt: string; id: string }

export type ListContactsInput = {
  q?: string
  after?: ContactCursor
  before?: ContactCursor
  limit: number
}

/** `q` as an ILIKE pattern matching it literally anywhere: %, _ and \ lose their meaning. */
export function containsPattern(q: string) {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * One page of the workspace's contacts, newest first, keyset-paginated by (created_at, id).
 * `before` reads the page above a cursor (for "previous"); the rows still come back newest first.
 * Returns up to limit + 1 rows so the caller can tell whether there is more in that direction.
 */
export async function listContacts(
  db: DbOrTx,
  { workspaceId, ...input }: ListContactsInput & { workspaceId: string },
) {
  const where: SQL[] = [eq(contacts.workspaceId, workspaceId)]
  if (input.q) {
    const pattern = containsPattern(input.q)
    where.push(or(sql`${contacts.name} ilike ${pattern}`, sql`${contacts.email} ilike ${pattern}`)!)
  }
  const position = input.after ?? input.before
  if (position) {
    const cursor = sql`(${position.createdAt}::timestamptz, ${position.id}::uuid)`
    where.push(
      input.after
        ? sql`(${contacts.createdAt}, ${contacts.id}) < ${cursor}`
        : sql`(${contacts.createdAt}, ${contacts.id}) > ${cursor}`,
    )
  }
  const rows = await db
    .select({
      id: contacts.id,
      name: contacts.name,
      email: contacts.email,
      createdAt: contacts.createdAt,
      cursorAt: isoMicros(sql`${contacts.createdAt}`),
      // Qualified by hand: inside the subquery, Drizzle's unqualified "id" would mean tickets.id.
      ticketCount: sql<number>`(select count(*) from tickets t where t.contact_id = ${contacts}.id)::int`,
    })
    .from(contacts)
    .where(and(...where))
    .orderBy(
      ...(input.before ? [contacts.createdAt, contacts.id] : [desc(contacts.createdAt), desc(contacts.id)]),
    )
    .limit(input.limit + 1)
  return rows
}

export async function getContact(db: DbOrTx, { workspaceId, id }: { workspaceId: string; id: string }) {
  const [row] = await db
    .select({ id: contacts.id, name: contacts.name, email: contacts.email, createdAt: contacts.createdAt })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id)))
  return row
}

/** How many merges a contact's trail is followed through (a merged into b, b into c…). */
const MERGE_TRAIL_LIMIT = 10

/**
 * The contact a merged-away contact now lives on (following later merges of that one too), by the
 * merges' audit rows (audit_events_merged_contact_idx); undefined when `id` was not merged away in
 * this workspace or its trail ends at no contact.
 */
export async function contactMergedInto(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  let current = id
  for (let hop = 0; hop < MERGE_TRAIL_LIMIT; hop++) {
    const [merge] = await db
      .select({ keptId: auditEvents.targetId })
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.workspaceId, workspaceId),
          sql`(${auditEvents.data}->>'mergedContactId') = ${current}`,
          eq(auditEvents.action, 'contact.merged'),
        ),
      )
      .orderBy(desc(auditEvents.createdAt))
      .limit(1)
    if (!merge?.keptId) return undefined
    const kept = await getContact(db, { workspaceId, id: merge.keptId })
    if (kept) return kept
    current = merge.keptId
  }
  return undefined
}

/**
 * The contact's most recently active tickets (tickets_contact_idx), without `exceptTicketId`
 * when given (the ticket the customer card is on).
 */
export async function listContactTickets(
  db: DbOrTx,
  input: { workspaceId: string; contactId: string; exceptTicketId?: string; limit: number },
) {
  return db
    .select({
      id: tickets.id,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      lastActivityAt: tickets.lastActivityAt,
    })
    .from(tickets)
    .where(
      and(
        eq(tickets.workspaceId, input.workspaceId),
        eq(tickets.contactId, input.contactId),
        input.exceptTicketId === undefined ? undefined : ne(tickets.id, input.exceptTicketId),
      ),
    )
    .orderBy(desc(tickets.lastActivityAt))
    .limit(input.limit)
}

export async function setContactName(
  db: DbOrTx,
  { workspaceId, id, name }: { workspaceId: string; id: string; name: string },
) {
  await db
    .update(contacts)
    .set({ name, updatedAt: new Date() })
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id)))
}

/**
 * Adds the contact's new name to the search document of their tickets, so searching for it finds
 * them (the old name stays searchable too: rebuilding the document would mean re-reading every body),
 * and marks them updated: the API shows each ticket's contact by name (`updated_since`, and the
 * row write is what `changed_after` lists). The tickets it wrote, for their `ticket.updated`.
 */
export async function addNameToTicketSearch(
  db: DbOrTx,
  { workspaceId, contactId, name }: { workspaceId: string; contactId: string; name: string },
) {
  return db
    .update(tickets)
    .set({
      search: sql`${tickets.search} || setweight(to_tsvector('simple', ${name}), 'A')`,
      updatedAt: new Date(),
    })
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.contactId, contactId)))
    .returning({ id: tickets.id, number: tickets.number })
}

// The customer card, the profile (company, time zone, notes) and merging two contacts.

const profileColumns = {
  id: contacts.id,
  name: contacts.name,
  email: contacts.email,
  company: contacts.company,
  timeZone: contacts.timeZone,
  notes: contacts.notes,
  bouncedAt: contacts.bouncedAt,
  bounceReason: contacts.bounceReason,
  createdAt: contacts.createdAt,
  // Qualified by hand: inside the subquery, Drizzle's unqualified "id" would mean tickets.id.
  ticketCount: sql<number>`(select count(*) from tickets t where t.contact_id = ${contacts}.id)::int`,
}

/** A contact with their profile and ticket count (notes included: agents only). */
export async function getContactProfile(
  db: DbOrTx,
  {
    workspaceId,
    contactId,
    forUpdate = false,
  }: { workspaceId: string; contactId: string; forUpdate?: boolean },
) {
  const query = db
    .select(profileColumns)
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
  // Locks only the contact's row (the profile's ticket count is a subquery, not joined).
  const [row] = forUpdate ? await query.for('update', { of: contacts }) : await query
  return row
}

/** The customer card column of the ticket page's statement as PostgreSQL returns it (dates as JSON text). */
export type CustomerCardRow = {
  id: string
  name: string
  email: string
  company: string | null
  timeZone: string | null
  notes: string
  bouncedAt: string | null
  bounceReason: string | null
  createdAt: string
  ticketCount: number
  others: Array<{
    id: string
    number: number
    subject: string
    status: (typeof tickets.$inferSelect)['status']
    lastActivityAt: string
  }>
}

/**
 * The customer card of the ticket `ticketId` (a column of the ticket page's statement,
 * db/queries/ticket-page.ts): the profile of the customer behind it (profileColumns) and their
 * `othersLimit` most recently active other tickets (tickets_contact_idx).
 */
export function customerCardColumn({ ticketId, othersLimit }: { ticketId: SQL; othersLimit: number }) {
  return sql`(select json_build_object(
      'id', c.id, 'name', c.name, 'email', c.email, 'company', c.company, 'timeZone', c.time_zone,
      'notes', c.notes, 'bouncedAt', c.bounced_at, 'bounceReason', c.bounce_reason, 'createdAt', c.created_at,
      'ticketCount', (select count(*) from tickets tc where tc.contact_id = c.id)::int,
      'others', (select coalesce(json_agg(o order by o."lastActivityAt" desc), '[]'::json) from (
          select o.id, o.number, o.subject, o.status, o.last_activity_at as "lastActivityAt"
          from tickets o
          where o.workspace_id = tk.workspace_id and o.contact_id = c.id and o.id <> tk.id
          order by o.last_activity_at desc
          limit ${othersLimit}) o))
    from tickets tk join contacts c on c.id = tk.contact_id
    where tk.id = ${ticketId})`
}

export async function setContactProfile(
  db: DbOrTx,
  input: {
    workspaceId: string
    contactId: string
    company: string | null
    timeZone: string | null
    notes: string
  },
) {
  await db
    .update(contacts)
    .set({ company: input.company, timeZone: input.timeZone, notes: input.notes, updatedAt: new Date() })
    .where(and(eq(contacts.workspaceId, input.workspaceId), eq(contacts.id, input.contactId)))
}

/** Both contacts of a merge, locked (FOR UPDATE) so a concurrent merge or rename waits. */
export async function lockContactsForMerge(
  db: DbOrTx,
  { workspaceId, contactIds }: { workspaceId: string; contactIds: string[] },
) {
  return db
    .select({
      id: contacts.id,
      name: contacts.name,
      email: contacts.email,
      company: contacts.company,
      timeZone: contacts.timeZone,
      notes: contacts.notes,
    })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), inArray(contacts.id, contactIds)))
    .orderBy(contacts.id)
    .for('update')
}

/** Moves the tickets (with their emails) and the authored messages of one contact to another. */
export async function moveContactActivity(
  db: DbOrTx,
  input: { workspaceId: string; fromContactId: string; toContactId: string },
) {
  const moved = await db
    .update(tickets)
    // A ticket's contact is part of it as the API shows it (updated_since).
    .set({ contactId: input.toContactId, updatedAt: new Date() })
    .where(and(eq(tickets.workspaceId, input.workspaceId), eq(tickets.contactId, input.fromContactId)))
    .returning({ id: tickets.id, number: tickets.number })
  const messagesMoved = await db
    .update(messages)
    .set({ authorContactId: input.toContactId })
    .where(
      and(eq(messages.workspaceId, input.workspaceId), eq(messages.authorContactId, input.fromContactId)),
    )
    .returning({ id: messages.id })
  return { tickets: moved, messageCount: messagesMoved.length }
}

export async function deleteContact(
  db: DbOrTx,
  { workspaceId, contactId }: { workspaceId: string; contactId: string },
) {
  await db.delete(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
}

/**
 * Inserts the contact unless the workspace already has one with this email (in any case); the
 * unique index decides, so two concurrent inserts make one contact. Returns the new id, or
 * undefined when it existed.
 */
export async function insertContactIfNew(
  db: DbOrTx,
  { workspaceId, email, name }: { workspaceId: string; email: string; name: string },
) {
  const inserted = await db.execute<{ id: string }>(sql`
    insert into contacts (id, workspace_id, email, name)
    values (${uuidv7()}, ${workspaceId}, ${email}, ${name})
    on conflict (workspace_id, lower(email)) do nothing
    returning id`)
  return inserted.rows[0]?.id
}

/** The id of the workspace's contact with this email (in any case). */
export async function findContactIdByEmail(
  db: DbOrTx,
  { workspaceId, email }: { workspaceId: string; email: string },
) {
  const found = await db.execute<{ id: string }>(sql`
    select id from contacts where workspace_id = ${workspaceId} and lower(email) = lower(${email})`)
  return found.rows[0]?.id
}

/**
 * Finds or creates the contact by email (case-insensitive); a known contact keeps its name unless it
 * had none. `inserted` tells a new contact from a known one (xmax = 0 only on a row this statement
 * inserted).
 */
export async function upsertContactByEmail(
  db: DbOrTx,
  { workspaceId, email, name }: { workspaceId: string; email: string; name: string },
) {
  const result = await db.execute<{ id: string; name: string; email: string; inserted: boolean }>(sql`
    insert into contacts (id, workspace_id, email, name)
    values (${uuidv7()}, ${workspaceId}, ${email}, ${name})
    on conflict (workspace_id, lower(email))
    do update set name = case when contacts.name = '' then excluded.name else contacts.name end
    returning id, name, email, (xmax = 0) as inserted`)
  return result.rows[0]
}
