import { getDb } from '#db/client.ts'
import {
  addNameToTicketSearch,
  findContactIdByEmail,
  getContact,
  insertContactIfNew,
  listContactTickets,
  listContacts,
  setContactName,
  type ContactCursor,
} from '#db/queries/contacts.ts'
import { z } from 'zod'
import type { TicketEvent } from '#app/realtime/events.ts'
import { recordAudit } from './audit.server.ts'
import { enqueueWebhooks } from './webhooks.server.ts'
import { CursorId, CursorTime, decodeCursor, encodeCursor, listName } from './cursor.server.ts'
import { notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

export const CONTACTS_PAGE_SIZE = 50
export const CONTACT_TICKETS_LIMIT = 100

/** Cursors as the page links carry them (opaque). */
export type ContactSearch = { q?: string; after?: string; before?: string }

/** The customer list of one search: its cursors name it, so another search's or list's do not fit. */
const customersListName = (q: string | undefined) => listName('customers', [q ?? null])

const contactCursorKey = (list: string) =>
  z
    .tuple([z.literal(list), CursorTime, CursorId])
    .transform(([, createdAt, id]): ContactCursor => ({ createdAt, id }))

/**
 * One page of contacts matching `q` (name or email, literally), with cursors for the pages around
 * it. A cursor that is not one of this list's pages (forged, cut short, another search's, the
 * queue's) reads as the first page, with `cursorRefused` for the page to say so.
 */
export async function searchContacts(workspaceId: string, search: ContactSearch) {
  const list = customersListName(search.q)
  const key = contactCursorKey(list)
  const after = decodeCursor(search.after, key)
  const before = after ? undefined : decodeCursor(search.before, key)
  const cursorRefused = Boolean(search.after || search.before) && !after && !before
  const fetched = await listContacts(getDb(), {
    workspaceId,
    q: search.q,
    after,
    before,
    limit: CONTACTS_PAGE_SIZE,
  })
  const more = fetched.length > CONTACTS_PAGE_SIZE
  const page = fetched.slice(0, CONTACTS_PAGE_SIZE)
  if (before) page.reverse()
  const cursorOf = (row: (typeof page)[number] | undefined) =>
    row ? encodeCursor([list, row.cursorAt, row.id]) : null
  // Coming from a cursor means there is a page on the side we came from.
  const hasNext = before ? true : more
  const hasPrev = before ? more : Boolean(after)
  return {
    contacts: page.map(({ cursorAt: _, ...row }) => row),
    next: hasNext ? cursorOf(page.at(-1)) : null,
    prev: hasPrev ? cursorOf(page[0]) : null,
    cursorRefused,
  }
}

/** A contact and their latest tickets; another workspace's contact is a 404. */
export async function contactWithTickets(workspaceId: string, contactId: string) {
  const db = getDb()
  const contact = await getContact(db, { workspaceId, id: contactId })
  if (!contact) throw notFound('No such customer')
  const tickets = await listContactTickets(db, { workspaceId, contactId, limit: CONTACT_TICKETS_LIMIT })
  return { contact, tickets }
}

/**
 * A new name for a contact. Their tickets show it (the API's `contact.name`, the inbox's rows), so
 * each is marked updated in the same transaction (`updated_since`, `changed_after`) and gets a
 * `ticket.updated` with `changes.contact`, as a merge's moved tickets do: an integration that
 * follows tickets never heard of a rename before. The live events, for the caller to publish.
 */
export async function renameContact(
  member: Member,
  contactId: string,
  name: string,
): Promise<{ events: TicketEvent[] }> {
  return getDb().transaction(async (tx) => {
    const before = await getContact(tx, { workspaceId: member.workspaceId, id: contactId })
    if (!before) throw notFound('No such customer')
    if (before.name === name) return { events: [] }
    await setContactName(tx, { workspaceId: member.workspaceId, id: contactId, name })
    const shown = await addNameToTicketSearch(tx, { workspaceId: member.workspaceId, contactId, name })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'contact.renamed',
      targetType: 'contact',
      targetId: contactId,
      data: { before: before.name, after: name },
    })
    const events = contactShownEvents(member, contactId, shown)
    await enqueueWebhooks(tx, member.workspaceId, events)
    return { events }
  })
}

/** One `ticket.updated` per ticket whose contact (`changes.contact`) now reads differently. */
export function contactShownEvents(
  member: Member,
  contactId: string,
  tickets: ReadonlyArray<{ id: string; number: number }>,
): TicketEvent[] {
  const at = new Date().toISOString()
  return tickets.map((ticket) => ({
    type: 'ticket.updated',
    workspaceId: member.workspaceId,
    ticketId: ticket.id,
    number: ticket.number,
    changes: { contactId },
    actorUserId: member.userId,
    at,
  }))
}

export type CreateContactOutcome =
  { kind: 'created'; contactId: string } | { kind: 'exists'; contactId: string }

/**
 * A new contact. An email the workspace already knows (in any case) is `exists` and changes
 * nothing; the unique index decides, so two concurrent creations make one contact.
 */
export async function createContact(member: Member, input: { email: string; name: string }) {
  return getDb().transaction(async (tx): Promise<CreateContactOutcome> => {
    const which = { workspaceId: member.workspaceId, email: input.email }
    const createdId = await insertContactIfNew(tx, { ...which, name: input.name })
    if (!createdId) return { kind: 'exists', contactId: (await findContactIdByEmail(tx, which))! }
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'contact.created',
      targetType: 'contact',
      targetId: createdId,
      data: { email: input.email, name: input.name },
    })
    await enqueueWebhooks(tx, member.workspaceId, [
      {
        type: 'contact.created',
        workspaceId: member.workspaceId,
        contactId: createdId,
        at: new Date().toISOString(),
      },
    ])
    return { kind: 'created', contactId: createdId }
  })
}
