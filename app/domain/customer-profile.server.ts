import { getDb } from '#db/client.ts'
import {
  contactMergedInto,
  getContactProfile,
  setContactProfile,
  type CustomerCardRow,
} from '#db/queries/contacts.ts'
import {
  effectiveCompany,
  parseProfileBase,
  type CustomerProfileInput,
  type ProfileField,
} from '#app/utils/customer-profile.ts'
import { drawnSave, type TeammateSavedFirst } from '#app/utils/drawn-base.ts'
import { recordAudit } from './audit.server.ts'
import { loadQueue, parseQueueQuery } from './queue.server.ts'
import { notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

/** How many of the customer's other conversations the card lists. */
export const CARD_OTHER_TICKETS = 5

type ProfileRow = NonNullable<Awaited<ReturnType<typeof getContactProfile>>>

/** A contact's profile as loaders send it: dates as ISO strings, the company already resolved. */
export function profileView(row: ProfileRow) {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    company: effectiveCompany(row),
    timeZone: row.timeZone,
    notes: row.notes,
    bouncing: row.bouncedAt ? { at: row.bouncedAt.toISOString(), reason: row.bounceReason } : null,
    ticketCount: row.ticketCount,
    createdAt: row.createdAt.toISOString(),
  }
}

export type CustomerProfileView = ReturnType<typeof profileView>

/**
 * The ticket sidebar's customer card, from the ticket page's statement: who wrote the ticket, their
 * profile, and their latest other conversations (CARD_OTHER_TICKETS).
 */
export function customerCardFrom(row: CustomerCardRow) {
  return {
    ...profileView({
      ...row,
      bouncedAt: row.bouncedAt === null ? null : new Date(row.bouncedAt),
      createdAt: new Date(row.createdAt),
    }),
    others: row.others.map((t) => ({
      id: t.id,
      number: t.number,
      subject: t.subject,
      status: t.status,
      lastActivityAt: new Date(t.lastActivityAt).toISOString(),
    })),
  }
}

export type CustomerCardData = ReturnType<typeof customerCardFrom>

/**
 * Where a contact of the member's workspace that is gone was merged into (the contact it now lives
 * on, by name and email), or undefined: a page or a form of it says so instead of "not found".
 */
export async function customerMergedInto(member: Member, contactId: string) {
  return contactMergedInto(getDb(), { workspaceId: member.workspaceId, id: contactId })
}

/** A contact of the member's workspace with their profile; another workspace's is a 404. */
export async function loadCustomerProfile(member: Member, contactId: string) {
  const row = await getContactProfile(getDb(), { workspaceId: member.workspaceId, contactId })
  if (!row) throw notFound('No such customer')
  return profileView(row)
}

/**
 * Saves company, time zone and notes. The audit row names what changed, with the old and new
 * company and zone; the notes' text stays out of it (they are private and can be long).
 *
 * A field posted as the form was drawn (`input.base`) was not edited: it keeps what is stored,
 * which may be a teammate's change saved since the form was drawn (two agents on two tickets of
 * one customer; the second save used to put back the values its form had been drawn with). A
 * field the agent edited is saved as posted. One a teammate saved since the form was drawn, to
 * something else than the agent typed, is a conflict: nothing is saved and the outcome names what
 * is stored now (found from outside: the second of two agents typing notes silently replaced the
 * first's), unless the post says the agent saw the teammate's value and replaces it (`replace`).
 */
export async function updateContactProfile(
  member: Member,
  contactId: string,
  input: CustomerProfileInput,
): Promise<ProfileOutcome> {
  const base = parseProfileBase(input.base)
  return getDb().transaction(async (tx): Promise<ProfileOutcome> => {
    // Locked: a teammate's save at the same moment waits, then keeps what this one wrote.
    const before = await getContactProfile(tx, {
      workspaceId: member.workspaceId,
      contactId,
      forUpdate: true,
    })
    if (!before) throw notFound('No such customer')
    // Compared as the form shows them: no company or zone is an empty field.
    const { edited, conflicts } = drawnSave({
      stored: {
        company: effectiveCompany(before) ?? '',
        timeZone: before.timeZone ?? '',
        notes: before.notes,
      },
      posted: { company: input.company, timeZone: input.timeZone ?? '', notes: input.notes },
      base: base && { company: base.company, timeZone: base.timeZone ?? '', notes: base.notes },
      replace: input.replace,
    })
    if (conflicts.length > 0) return { kind: 'teammate-saved', fields: conflicts }
    const company = 'company' in edited ? input.company : effectiveCompany(before)
    const timeZone = 'timeZone' in edited ? input.timeZone : before.timeZone
    const notes = 'notes' in edited ? input.notes : before.notes
    const changed: Record<string, unknown> = {}
    if (company !== effectiveCompany(before)) {
      changed.company = { before: effectiveCompany(before), after: company }
    }
    if (timeZone !== before.timeZone) changed.timeZone = { before: before.timeZone, after: timeZone }
    if (notes !== before.notes) changed.notes = true
    if (Object.keys(changed).length === 0) return { kind: 'saved' }
    await setContactProfile(tx, {
      workspaceId: member.workspaceId,
      contactId,
      // Unchanged, a derived company stays derived (so a later rule change still applies).
      company: 'company' in changed ? company : before.company,
      timeZone,
      notes,
    })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'contact.profile-updated',
      targetType: 'contact',
      targetId: contactId,
      data: changed,
    })
    return { kind: 'saved' }
  })
}

export type ProfileOutcome =
  | { kind: 'saved' }
  /** Saved by a teammate since the form was drawn, to something else: what is stored now. */
  | TeammateSavedFirst<ProfileField>

/**
 * A page of the customer's tickets as queue rows (the inbox's row design), newest activity first,
 * with the queue's cursors (`after` / `before` in the page's query string).
 */
export async function loadCustomerTickets(member: Member, contactId: string, searchParams: URLSearchParams) {
  const paging = new URLSearchParams({ view: 'all', sort: 'activity' })
  for (const key of ['after', 'before']) {
    const value = searchParams.get(key)
    if (value) paging.set(key, value)
  }
  const query = parseQueueQuery(paging)
  return loadQueue(member, { ...query, filters: { ...query.filters, contactId } })
}
