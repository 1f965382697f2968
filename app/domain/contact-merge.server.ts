import { getDb } from '#db/client.ts'
import {
  addNameToTicketSearch,
  deleteContact,
  listContacts,
  lockContactsForMerge,
  moveContactActivity,
  setContactName,
  setContactProfile,
} from '#db/queries/contacts.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { hasRole } from '#app/utils/roles.ts'
import { recordAudit } from './audit.server.ts'
import { forbidden, notFound } from './errors.server.ts'
import { enqueueWebhooks } from './webhooks.server.ts'
import { lockedActorRole, type Member } from './workspaces.server.ts'

/** Merging deletes a contact for good: like the other destructive settings, owners and admins only. */
export const MERGE_ROLE = 'admin'
export const MERGE_REFUSED = 'Only owners and admins can merge customers.'

const CANDIDATES_LIMIT = 10

/** Contacts of the workspace matching `q` (name or email) that could be merged into `contactId`. */
export async function mergeCandidates(member: Member, contactId: string, q: string) {
  const rows = await listContacts(getDb(), {
    workspaceId: member.workspaceId,
    q,
    limit: CANDIDATES_LIMIT,
  })
  return rows
    .filter((row) => row.id !== contactId)
    .slice(0, CANDIDATES_LIMIT)
    .map((row) => ({ id: row.id, name: row.name, email: row.email, ticketCount: row.ticketCount }))
}

export type MergeOutcome =
  | { kind: 'same-contact' }
  | { kind: 'merged'; ticketCount: number; messageCount: number; events: TicketEvent[] }

/**
 * Merges `mergeId` into `keepId`, two contacts of the member's workspace that are the same person:
 * the other's tickets (with their emails) and the messages they wrote move to the kept contact,
 * which keeps its own name, company and zone, filling what it lacks from the other and adding
 * the other's notes and address to its notes; then the other contact is deleted. One transaction
 * with its audit row; either id outside the workspace is a 404. Owners and admins only (403),
 * judged on the actor's membership as this transaction locks it (a demotion that raced wins).
 */
export async function mergeContacts(
  member: Member,
  { keepId, mergeId }: { keepId: string; mergeId: string },
): Promise<MergeOutcome> {
  if (keepId === mergeId) return { kind: 'same-contact' }
  return getDb().transaction(async (tx) => {
    if (!hasRole(await lockedActorRole(tx, member), MERGE_ROLE)) throw forbidden(MERGE_REFUSED)
    const workspaceId = member.workspaceId
    const locked = await lockContactsForMerge(tx, { workspaceId, contactIds: [keepId, mergeId] })
    const keep = locked.find((c) => c.id === keepId)
    const other = locked.find((c) => c.id === mergeId)
    if (!keep || !other) throw notFound('No such customer')

    const moved = await moveContactActivity(tx, { workspaceId, fromContactId: mergeId, toContactId: keepId })
    const notes = [keep.notes, other.notes, `Also wrote from ${other.email}.`].filter(Boolean).join('\n\n')
    await setContactProfile(tx, {
      workspaceId,
      contactId: keepId,
      company: keep.company ?? other.company,
      timeZone: keep.timeZone ?? other.timeZone,
      notes,
    })
    // The kept contact's own tickets show the name it takes from the other: updated, as a rename's.
    let renamed: Array<{ id: string; number: number }> = []
    if (!keep.name && other.name) {
      await setContactName(tx, { workspaceId, id: keepId, name: other.name })
      const movedIds = new Set(moved.tickets.map((t) => t.id))
      renamed = (
        await addNameToTicketSearch(tx, { workspaceId, contactId: keepId, name: other.name })
      ).filter((t) => !movedIds.has(t.id))
    }
    await deleteContact(tx, { workspaceId, contactId: mergeId })
    await recordAudit(tx, {
      workspaceId,
      actorUserId: member.userId,
      action: 'contact.merged',
      targetType: 'contact',
      targetId: keepId,
      data: {
        mergedContactId: mergeId,
        mergedEmail: other.email,
        mergedName: other.name,
        ticketCount: moved.tickets.length,
        messageCount: moved.messageCount,
      },
    })
    const at = new Date().toISOString()
    const events = [...moved.tickets, ...renamed].map((ticket): TicketEvent => ({
      type: 'ticket.updated',
      workspaceId,
      ticketId: ticket.id,
      number: ticket.number,
      changes: { contactId: keepId },
      actorUserId: member.userId,
      at,
    }))
    // Integrations hear of it as of any other change of a ticket's fields: `changes.contact`.
    await enqueueWebhooks(tx, workspaceId, events)
    return { kind: 'merged', ticketCount: moved.tickets.length, messageCount: moved.messageCount, events }
  })
}
