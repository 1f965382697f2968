import { getDb } from '#db/client.ts'
import {
  getTicketByNumber,
  getTicketPageLists,
  listThreadTail,
  listTicketActivity,
} from '#db/queries/tickets.ts'
import { listCannedResponses } from '#db/queries/canned-responses.ts'
import { fillPlaceholders } from '#app/utils/canned.ts'
import { notFound } from './errors.server.ts'
import { loadQueue, parseQueueQuery } from './queue.server.ts'
import {
  addTags,
  markViewed,
  removeTag,
  updateTickets,
  type TicketChanges,
  type UpdateOutcome,
} from './tickets.server.ts'
import type { Member } from './workspaces.server.ts'
import { splitQuotedText } from './inbound-display.server.ts'

/** "The full thread": every message (a bound all the same). */
const MAX_THREAD = 100_000

/** Ticket numbers are positive PostgreSQL integers; anything else in the URL is a 404. */
const MAX_TICKET_NUMBER = 2_147_483_647

export function ticketNumberFrom(param: string | undefined) {
  if (!param || !/^[1-9][0-9]{0,9}$/.test(param)) throw notFound('Ticket not found')
  const number = Number(param)
  if (number > MAX_TICKET_NUMBER) throw notFound('Ticket not found')
  return number
}

/** The ticket `number` of the member's workspace, with its contact and mailbox; a 404 if none. */
export async function requireTicket(member: Member, number: number) {
  const ticket = await getTicketByNumber(getDb(), { workspaceId: member.workspaceId, number })
  if (!ticket) throw notFound('Ticket not found')
  return ticket
}

/**
 * How many of the newest messages the ticket page renders; the earlier ones collapse behind
 * "Show N earlier messages" (a 200-message thread was 290 KB of HTML).
 */
export const THREAD_TAIL = 20
/** Field changes shown inline in the thread, at most (the newest). */
const MAX_ACTIVITY = 200

/**
 * Everything the ticket page shows, for an agent of the ticket's workspace. Opening the page
 * marks the ticket read for this agent: the one write a GET makes, safe because it is this
 * agent's own marker, idempotent, and changes nothing anyone else sees (docs/security.md); and
 * made only when the ticket had activity since the agent's marker.
 * The thread is its newest THREAD_TAIL messages unless `fullThread`.
 */
export type PageTicket = Awaited<ReturnType<typeof requireTicket>>

export async function loadTicketPage(member: Member, ticket: PageTicket, { fullThread = false } = {}) {
  const db = getDb()
  const [thread, lists, activity] = await Promise.all([
    listThreadTail(db, {
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      newest: fullThread ? MAX_THREAD : THREAD_TAIL,
    }),
    getTicketPageLists(db, { workspaceId: member.workspaceId, ticketId: ticket.id }),
    // The field changes between the messages shown (the thread shows the messages themselves).
    listTicketActivity(db, {
      workspaceId: member.workspaceId,
      ticketId: ticket.id,
      limit: MAX_ACTIVITY,
      fieldChanges: true,
      sinceNewestMessages: fullThread ? undefined : THREAD_TAIL,
    }),
    markViewed(member.userId, ticket.id),
  ])
  const { tags: allTags, members, cannedResponses } = lists
  return {
    ticket: {
      id: ticket.id,
      number: ticket.number,
      subject: ticket.subject,
      status: ticket.status,
      priority: ticket.priority,
      channel: ticket.channel,
      assigneeId: ticket.assigneeId,
      createdAt: ticket.createdAt,
      lastActivityAt: ticket.lastActivityAt,
      customer: { name: ticket.contactName, email: ticket.contactEmail },
      // Copied on replies (reply-all); the composer shows them for the agent to keep or remove.
      cc: ticket.cc,
    },
    earlierMessages: thread.total - thread.messages.length,
    thread: thread.messages.map((m) => ({
      id: m.id,
      kind: m.kind,
      bodyText: m.bodyText,
      createdAt: m.createdAt,
      deliveryStatus: m.deliveryStatus,
      deliveryError: m.deliveryStatus === 'failed' ? m.deliveryError : null,
      fromCustomer: m.authorUserId === null,
      authorUserId: m.authorUserId,
      author: m.authorUserName ?? (m.authorContactName || m.authorContactEmail) ?? 'Unknown',
      inbound: m.threadedBy
        ? {
            threadedBy: m.threadedBy,
            hasHtml: m.hasHtml,
            notFromParticipant: m.notFromParticipant,
            ...(m.hasHtml ? { visibleText: m.bodyText, quotedText: '' } : splitQuotedText(m.bodyText)),
          }
        : null,
      attachments: m.attachments,
    })),
    tags: allTags.filter((t) => t.onTicket).map((t) => ({ id: t.id, name: t.name })),
    workspaceTags: allTags.map((t) => ({ id: t.id, name: t.name })),
    members: members.map((m) => ({ userId: m.userId, name: m.name })),
    mailbox: { name: ticket.mailboxName, address: ticket.mailboxAddress },
    activity: activity.map((a) => ({
      id: a.id,
      action: a.action,
      data: isRecord(a.data) ? a.data : {},
      actorName: a.actorName,
      createdAt: a.createdAt,
    })),
    cannedResponses,
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The ticket beside `number` in the queue page the agent came from (`from`, the queue's query
 * string: view, filters, sort, page), the next or the previous one, crossing into the following
 * or preceding page when `number` ends its page; with the query string of the page it is on,
 * so the next step goes on from there. Undefined when the view has nothing there.
 * "Send & next" reads it before the reply changes the ticket, which may take it out of the view.
 */
export async function ticketBesideInQueue(
  member: Member,
  number: number,
  from: string,
  direction: 'next' | 'previous',
): Promise<{ number: number; from: string } | undefined> {
  const params = new URLSearchParams(from)
  const page = await loadQueue(member, parseQueueQuery(params))
  const at = page.rows.findIndex((row) => row.number === number)
  if (at === -1) {
    const first = direction === 'next' ? page.rows.find((row) => row.number !== number) : undefined
    return first && { number: first.number, from }
  }
  const beside = page.rows[direction === 'next' ? at + 1 : at - 1]
  if (beside) return { number: beside.number, from }
  const cursor = direction === 'next' ? page.nextCursor : page.prevCursor
  if (!cursor) return undefined
  params.delete('after')
  params.delete('before')
  params.set(direction === 'next' ? 'after' : 'before', cursor)
  const rows = (await loadQueue(member, parseQueueQuery(params))).rows
  const found = direction === 'next' ? rows[0] : rows.at(-1)
  return found && { number: found.number, from: params.toString() }
}

export const nextTicketInQueue = (member: Member, number: number, from: string) =>
  ticketBesideInQueue(member, number, from, 'next')

/** Status, priority and/or assignee of the ticket `number` (see updateTickets). */
export async function changeTicket(member: Member, number: number, changes: TicketChanges) {
  const ticket = await requireTicket(member, number)
  return updateTickets(member, [ticket.id], changes)
}

export async function tagTicket(member: Member, number: number, name: string): Promise<UpdateOutcome> {
  const ticket = await requireTicket(member, number)
  return addTags(member, [ticket.id], [name])
}

export async function untagTicket(member: Member, number: number, tagId: string): Promise<UpdateOutcome> {
  const ticket = await requireTicket(member, number)
  return removeTag(member, ticket.id, tagId)
}

/** A canned response of the workspace with its placeholders filled for this ticket and agent. */
export async function fillCannedResponse(
  member: Member & { user: { name: string } },
  number: number,
  cannedId: string,
) {
  const ticket = await requireTicket(member, number)
  const canned = await listCannedResponses(getDb(), member.workspaceId)
  const chosen = canned.find((c) => c.id === cannedId)
  if (!chosen) return undefined
  return fillPlaceholders(chosen.body, {
    customer: { name: ticket.contactName, email: ticket.contactEmail },
    agent: { name: member.user.name },
    ticket: { number: ticket.number, subject: ticket.subject },
  })
}
