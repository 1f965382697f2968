import { getDb } from '#db/client.ts'
import {
  addNameToTicketSearch,
  getContact,
  listContactTickets,
  listContacts,
  setContactName,
  type ContactCursor,
} from '#db/queries/contacts.ts'
import { recordAudit } from './audit.server.ts'
import { notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

export type { ContactCursor }

export const CONTACTS_PAGE_SIZE = 50
export const CONTACT_TICKETS_LIMIT = 100

export type ContactSearch = { q?: string; after?: ContactCursor; before?: ContactCursor }

/** One page of contacts matching `q` (name or email, literally), with cursors for the pages around it. */
export async function searchContacts(workspaceId: string, search: ContactSearch) {
  const fetched = await listContacts(getDb(), workspaceId, { ...search, limit: CONTACTS_PAGE_SIZE })
  const more = fetched.length > CONTACTS_PAGE_SIZE
  const page = fetched.slice(0, CONTACTS_PAGE_SIZE)
  if (search.before) page.reverse()
  const cursorOf = (row: (typeof page)[number] | undefined) =>
    row ? { createdAt: row.cursorAt, id: row.id } : null
  // Coming from a cursor means there is a page on the side we came from.
  const hasNext = search.before ? true : more
  const hasPrev = search.before ? more : Boolean(search.after)
  return {
    contacts: page.map(({ cursorAt: _, ...row }) => row),
    next: hasNext ? cursorOf(page.at(-1)) : null,
    prev: hasPrev ? cursorOf(page[0]) : null,
  }
}

/** A contact and their latest tickets; another workspace's contact is a 404. */
export async function contactWithTickets(workspaceId: string, contactId: string) {
  const db = getDb()
  const contact = await getContact(db, workspaceId, contactId)
  if (!contact) throw notFound('No such customer')
  const tickets = await listContactTickets(db, workspaceId, contactId, CONTACT_TICKETS_LIMIT)
  return { contact, tickets }
}

export async function renameContact(member: Member, contactId: string, name: string) {
  await getDb().transaction(async (tx) => {
    const before = await getContact(tx, member.workspaceId, contactId)
    if (!before) throw notFound('No such customer')
    if (before.name === name) return
    await setContactName(tx, member.workspaceId, contactId, name)
    await addNameToTicketSearch(tx, member.workspaceId, contactId, name)
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'contact.renamed',
      targetType: 'contact',
      targetId: contactId,
      data: { before: before.name, after: name },
    })
  })
}
