import { z } from 'zod'
import { database, getDb } from '#db/client.ts'
import { listApiTicketsPage, type ApiTicketFilters } from '#db/queries/api-tickets.ts'
import { getContact, listContacts } from '#db/queries/contacts.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import {
  getThreadMessage,
  getTicketByNumber,
  listThreadAfter,
  listThreadLengthsAfter,
  listThreadWindow,
  listTicketTags,
  listWorkspaceTags,
  lockTicketsForUpdate,
} from '#db/queries/tickets.ts'
import { getUserById } from '#db/queries/users.ts'
import { listMembers } from '#db/queries/workspaces.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { CursorId, CursorTime, decodeCursor, encodeCursor, listKey } from './cursor.server.ts'
import {
  addTags,
  changeSubject,
  lockAssignee,
  removeTag,
  updateTickets,
  type TicketChanges,
} from './tickets.server.ts'
import type { Member } from './workspaces.server.ts'

/**
 * What the public API reads, and the one composite write it has (a ticket update touching
 * several fields), built on the queue's query and the inbox's domain operations. Lists are
 * keyset pages: a cursor is the sort key of the last row, so rows inserted meanwhile never
 * shift or repeat what follows. A cursor that does not decode, or that another list gave out
 * (each names its list: listKey), is `invalid-cursor` (a 400).
 */

export type Page<T> = { kind: 'page'; rows: T[]; nextCursor: string | null } | { kind: 'invalid-cursor' }

/**
 * A snapshot's xmin as the tickets list gives it out (db/queries/api-tickets.ts, changesMark): at
 * most 18 digits, so a forged one is still a bigint (19 could overflow it: a 500).
 */
const ChangesMark = z.string().regex(/^\d{1,18}$/)
/** A tickets page's position, and the mark of the poll's first page (every page gives that one). */
const TicketKey = z.union([
  listKey('tickets', CursorTime, CursorId),
  listKey('tickets', CursorTime, CursorId, ChangesMark),
])
/** `changed_after`: the mark of a poll's pages, which `next_changed_after` gave out. */
const ChangesKey = listKey('changes', ChangesMark)
const MessageKey = listKey('messages', CursorId)

/**
 * Newest first by (created_at, id): creation never changes, so pages are stable. The page comes
 * as JSON text from its one statement (db/queries/api-tickets.ts), the queue's filters included.
 */
export async function listTicketsPage(
  member: Member,
  { changedAfter, ...filters }: Omit<ApiTicketFilters, 'changedAfter'> & { changedAfter?: string },
  cursor: string | undefined,
  limit: number,
): Promise<
  | { kind: 'page'; json: string; nextCursor: string | null; nextChangedAfter: string }
  | { kind: 'invalid-cursor' }
  | { kind: 'invalid-changed-after' }
> {
  const key = cursor === undefined ? undefined : decodeCursor(cursor, TicketKey)
  if (cursor !== undefined && !key) return { kind: 'invalid-cursor' }
  const since = changedAfter === undefined ? undefined : decodeCursor(changedAfter, ChangesKey)
  if (changedAfter !== undefined && !since) return { kind: 'invalid-changed-after' }
  const page = await listApiTicketsPage(database().pool, {
    workspaceId: member.workspaceId,
    filters: { ...filters, changedAfter: since?.[1] },
    after: key && [key[1], key[2]],
    limit,
  })
  // A poll's pages all give out its first page's mark: a change committed while the client pages
  // on, to a ticket of a page it has read, is after that mark but may be before a later page's.
  const mark = key?.[3] ?? page.changesMark
  return {
    kind: 'page',
    json: page.data,
    nextCursor: page.next ? encodeCursor(['tickets', ...page.next, mark]) : null,
    nextChangedAfter: encodeCursor(['changes', mark]),
  }
}

/** A ticket with its tags and assignee, or undefined (another workspace's number too). */
export async function getApiTicket(member: Member, number: number) {
  const db = getDb()
  const ticket = await getTicketByNumber(db, { workspaceId: member.workspaceId, number })
  if (!ticket) return undefined
  const [tags, assignee] = await Promise.all([
    listTicketTags(db, ticket.id),
    ticket.assigneeId ? getUserById(db, ticket.assigneeId) : undefined,
  ])
  return { ...ticket, tags, assignee: assignee ? { id: assignee.id, name: assignee.name } : null }
}

export type ApiTicketChanges = TicketChanges & { subject?: string; tags?: string[] }

/**
 * Applies an API ticket update with the UI's operations, in one transaction that first locks the
 * ticket row: status, priority and assignee (which checks the assignee before writing anything),
 * then the subject, then the tag set, read under that lock and made exactly the requested one.
 * Concurrent updates of one ticket therefore run one after the other: three PATCHes with three
 * different tag sets end with one of them, not their union (each step in its own transaction
 * read the tags before any of them had written).
 */
export async function updateApiTicket(member: Member, number: number, changes: ApiTicketChanges) {
  return getDb().transaction(async (tx) => {
    const workspaceId = member.workspaceId
    const found = await getTicketByNumber(tx, { workspaceId, number })
    if (!found) return { kind: 'not-found' as const }
    if (!(await lockAssignee(tx, member, changes))) return { kind: 'unknown-assignee' as const }
    const [ticket] = await lockTicketsForUpdate(tx, { workspaceId, ticketIds: [found.id] })
    if (!ticket) return { kind: 'not-found' as const }
    const events: TicketEvent[] = []
    const { subject, tags, ...fields } = changes
    if (Object.values(fields).some((v) => v !== undefined)) {
      const outcome = await updateTickets(member, [ticket.id], fields, tx)
      if (outcome.kind !== 'updated') return outcome
      events.push(...outcome.events)
    }
    if (subject !== undefined) {
      const outcome = await changeSubject(member, ticket.id, subject, tx)
      if (outcome.kind !== 'updated') return outcome
      events.push(...outcome.events)
    }
    if (tags !== undefined) {
      const before = await listTicketTags(tx, ticket.id)
      const wanted = new Map(tags.map((name) => [name.toLowerCase(), name]))
      const current = new Set(before.map((t) => t.name.toLowerCase()))
      const toAdd = [...wanted].filter(([lower]) => !current.has(lower)).map(([, name]) => name)
      if (toAdd.length > 0) {
        const outcome = await addTags(member, [ticket.id], toAdd, tx)
        if (outcome.kind !== 'updated') return outcome
        events.push(...outcome.events)
      }
      for (const tag of before.filter((t) => !wanted.has(t.name.toLowerCase()))) {
        const outcome = await removeTag(member, ticket.id, tag.id, tx)
        if (outcome.kind === 'updated') events.push(...outcome.events)
      }
    }
    return { kind: 'updated' as const, events }
  })
}

type ThreadMessage = Awaited<ReturnType<typeof listThreadAfter>>[number]

/**
 * A ticket's messages oldest first, notes included (the API acts as an agent); the cursor is the
 * last message's id. Read a page at a time: a thread can hold thousands of 100 KB messages, and
 * cutting the page from the whole thread read all of it for every page.
 */
/**
 * The text one page of a ticket's messages may carry: `limit` is a most, and a page of long
 * messages ends earlier, with a next cursor (always at least one message, whatever its length).
 */
export const MESSAGES_PAGE_CHARS = 1_000_000

export async function listMessagesPage(
  member: Member,
  number: number,
  cursor: string | undefined,
  limit: number,
): Promise<Page<ThreadMessage> | { kind: 'not-found' }> {
  const db = getDb()
  const ticket = await getTicketByNumber(db, { workspaceId: member.workspaceId, number })
  if (!ticket) return { kind: 'not-found' }
  const where = { workspaceId: member.workspaceId, ticketId: ticket.id }
  let afterId: string | undefined
  if (cursor !== undefined) {
    const key = decodeCursor(cursor, MessageKey)
    if (!key || !(await getThreadMessage(db, { ...where, messageId: key[1] }))) {
      return { kind: 'invalid-cursor' }
    }
    afterId = key[1]
  }
  // How many fit the page's text budget (at least one), and one more to know whether a next
  // page exists: 100 notes of 126 KB were one 12.6 MB answer, read whole into memory first.
  const lengths = await listThreadLengthsAfter(db, { ...where, afterId, limit: limit + 1 })
  let fit = 0
  for (let used = 0; fit < Math.min(limit, lengths.length); fit++) {
    used += lengths[fit]!
    if (fit > 0 && used > MESSAGES_PAGE_CHARS) break
  }
  const page = fit === 0 ? [] : await listThreadAfter(db, { ...where, afterId, limit: fit })
  const last = page.at(-1)
  return {
    kind: 'page',
    rows: page,
    nextCursor: lengths.length > page.length && last ? encodeCursor(['messages', last.id]) : null,
  }
}

/**
 * The newest messages of a ticket's thread that fit `budgetChars` characters of text (at most
 * `maxMessages`), before the message `olderThanId` when given, oldest first, and how many earlier
 * ones were left out: the newest is always there, its text cut to the budget when longer (the only
 * one that can be cut: `bodyBytes` is its whole size). MCP's get_ticket reads a thread this way,
 * as the AI prompts do (aiThreadWindow): it answered with the whole thread, 60 notes of 126 KB
 * in one 18 MB answer.
 */
export async function getThreadWindow(
  member: Member,
  number: number,
  {
    olderThanId,
    budgetChars,
    maxMessages,
  }: { olderThanId?: string; budgetChars: number; maxMessages: number },
) {
  const db = getDb()
  const ticket = await getTicketByNumber(db, { workspaceId: member.workspaceId, number })
  if (!ticket) return undefined
  // A cursor that is not a message of this thread (another ticket's, another workspace's, made
  // up) is refused, as the API's cursors are: it read as "no earlier messages", an empty window.
  if (
    olderThanId &&
    !(await getThreadMessage(db, {
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      messageId: olderThanId,
    }))
  ) {
    return { kind: 'unknown-before' as const }
  }
  const window = await listThreadWindow(db, {
    workspaceId: member.workspaceId,
    ticketId: ticket.id,
    olderThanId,
    limit: maxMessages,
    bodyChars: budgetChars,
  })
  const shown: typeof window.newestFirst = []
  let used = 0
  for (const message of window.newestFirst) {
    if (shown.length > 0 && used + message.bodyText.length > budgetChars) break
    shown.push(message)
    used += message.bodyText.length
  }
  return {
    kind: 'window' as const,
    messages: shown.reverse(),
    earlier: window.earlier + window.newestFirst.length - shown.length,
  }
}

export async function getApiMessage(member: Member, number: number, messageId: string) {
  const ticket = await getTicketByNumber(getDb(), { workspaceId: member.workspaceId, number })
  if (!ticket) return undefined
  return getThreadMessage(getDb(), { workspaceId: member.workspaceId, ticketId: ticket.id, messageId })
}

const ContactKey = listKey('contacts', CursorTime, CursorId)

/** Contacts newest first by (created_at, id), optionally matching `q` in name or email. */
export async function listContactsPage(
  member: Member,
  q: string | undefined,
  cursor: string | undefined,
  limit: number,
) {
  const key = cursor === undefined ? undefined : decodeCursor(cursor, ContactKey)
  if (cursor !== undefined && !key) return { kind: 'invalid-cursor' as const }
  const rows = await listContacts(getDb(), {
    workspaceId: member.workspaceId,
    q,
    after: key ? { createdAt: key[1], id: key[2] } : undefined,
    limit,
  })
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    kind: 'page' as const,
    rows: page,
    nextCursor: rows.length > limit && last ? encodeCursor(['contacts', last.cursorAt, last.id]) : null,
  }
}

export async function getApiContact(member: Member, contactId: string) {
  return getContact(getDb(), { workspaceId: member.workspaceId, id: contactId })
}

/** The workspace's active mailboxes, oldest first. */
export async function listMailboxesPage(member: Member, cursor: string | undefined, limit: number) {
  const rows = await listMailboxes(getDb(), { workspaceId: member.workspaceId })
  return pageAfterId('mailboxes', rows, cursor, limit)
}

/** The workspace's tags by name. */
export async function listTagsPage(member: Member, cursor: string | undefined, limit: number) {
  return pageAfterId('tags', await listWorkspaceTags(getDb(), member.workspaceId), cursor, limit)
}

/** The workspace's members by name. */
export async function listMembersPage(member: Member, cursor: string | undefined, limit: number) {
  const rows = await listMembers(getDb(), member.workspaceId)
  return pageAfterId(
    'members',
    rows.map((r) => ({ ...r, id: r.userId })),
    cursor,
    limit,
  )
}

/**
 * A page of a short, fully loaded list (a thread, mailboxes, tags, members), continuing after
 * the row whose id the cursor names.
 */
export function pageAfterId<T extends { id: string }>(
  list: string,
  rows: T[],
  cursor: string | undefined,
  limit: number,
): Page<T> {
  let start = 0
  if (cursor !== undefined) {
    const key = decodeCursor(cursor, listKey(list, CursorId))
    const index = key ? rows.findIndex((r) => r.id === key[1]) : -1
    if (index === -1) return { kind: 'invalid-cursor' }
    start = index + 1
  }
  const page = rows.slice(start, start + limit)
  const last = page.at(-1)
  return {
    kind: 'page',
    rows: page,
    nextCursor: start + limit < rows.length && last ? encodeCursor([list, last.id]) : null,
  }
}
