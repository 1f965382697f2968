import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { getTicketByNumber } from '#db/queries/tickets.ts'
import { getTicketPage } from '#db/queries/ticket-page.ts'
import {
  getThreadPage,
  type PageActivity,
  type PageThreadMessage,
  type ThreadPageRequest,
} from '#db/queries/ticket-thread.ts'
import { listCannedResponses } from '#db/queries/canned-responses.ts'
import { fillPlaceholders } from '#app/utils/canned.ts'
import { notFound } from './errors.server.ts'
import { loadQueue, parseQueueQuery } from './queue.server.ts'
import { CARD_OTHER_TICKETS } from './customer-profile.server.ts'
import {
  addTags,
  removeTag,
  updateTickets,
  type TicketChanges,
  type UpdateOutcome,
} from './tickets.server.ts'
import type { Member } from './workspaces.server.ts'
import { splitQuotedText } from './inbound-display.server.ts'

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
 * "Show N earlier messages" (a 200-message thread was 290 KB of HTML). The page opens at the
 * newest message and 3-5 of them fill a 1440x900 screen, so 10 keeps a few screens of context;
 * 20 cost a quarter more server CPU per page view (React render of the thread, its JSON).
 */
export const THREAD_TAIL = 10
/**
 * Messages per earlier page ("Show N earlier messages", `?before=<id>`): the customer's page size.
 * A body is at most 200,000 characters (an inbound email's; 100 KB typed), so a page is bounded
 * whatever the thread's length, and a 300-message thread is 15 clicks back to its start.
 */
export const EARLIER_PAGE = 20
/** Field changes shown inline in the thread, at most (the newest). */
const MAX_ACTIVITY = 200

/**
 * Which page of the thread a ticket page URL asks for: `?before=<id>` the EARLIER_PAGE messages
 * before that message, `?thread=all` (the old "whole thread" link, kept for bookmarks) the page
 * before the newest one, else the newest THREAD_TAIL. A `before` that is not a uuid is ignored.
 */
export function threadPageFrom(search: URLSearchParams): ThreadPageRequest {
  const before = search.get('before')
  const page = { newest: THREAD_TAIL, earlier: EARLIER_PAGE }
  if (before !== null && z.uuid().safeParse(before).success) return { ...page, cursor: { beforeId: before } }
  if (search.get('thread') === 'all') return { ...page, cursor: { afterNewest: THREAD_TAIL - 1 } }
  return page
}

/**
 * Everything the ticket page shows of the ticket `number`, for an agent of its workspace (a 404
 * if it has none), read in one statement: the ticket, one page of its thread (`page`: the newest
 * THREAD_TAIL messages, or an earlier page), the pick lists, the field changes among those
 * messages, the AI state (cached translations into `language`), the composer state and the
 * customer card. Opening the page marks the ticket read for this agent: the one write a GET
 * makes, safe because it is this agent's own marker, idempotent, and changes nothing anyone else
 * sees (docs/security.md); and made only when the ticket had activity since the agent's marker.
 * Dates are ISO strings (no Date objects for the HTML's hydration data to encode).
 */
export async function loadTicketPage(
  member: Member,
  number: number,
  {
    page = { newest: THREAD_TAIL, earlier: EARLIER_PAGE },
    language,
  }: { page?: ThreadPageRequest; language: string },
) {
  const row = await getTicketPage(getDb(), {
    workspaceId: member.workspaceId,
    number,
    userId: member.userId,
    language,
    page,
    activityLimit: MAX_ACTIVITY,
    othersLimit: CARD_OTHER_TICKETS,
    readAt: new Date(),
  })
  if (!row) throw notFound('Ticket not found')
  const { tags: allTags, members, canned } = row.lists
  return {
    ticket: {
      id: row.id,
      number: row.number,
      subject: row.subject,
      status: row.status,
      priority: row.priority,
      channel: row.channel,
      assigneeId: row.assigneeId,
      createdAt: row.createdAt,
      // When it last changed: a live join that answers otherwise makes the page reload (use-presence.ts).
      changedAt: row.changedAt,
      customer: { name: row.contactName, email: row.contactEmail },
      // Copied on replies (reply-all); the composer shows them for the agent to keep or remove.
      cc: row.cc,
    },
    /**
     * The mailing list the customer's latest message came through ('' unnamed), else null: the
     * composer says a reply goes to the customer only, not to the list.
     */
    latestCustomerViaList: row.latestCustomerViaList,
    ...threadPageView(row.thread, row.activity),
    /** The thread's newest message, shown or not: the composer's last seen one, the AI views'. */
    newestMessageId: row.thread.newestId ?? undefined,
    /** Messages this agent sees on the ticket, on every page. */
    messageCount: row.thread.total,
    tags: allTags.filter((t) => t.onTicket).map((t) => ({ id: t.id, name: t.name })),
    workspaceTags: allTags.map((t) => ({ id: t.id, name: t.name })),
    members,
    mailbox: { name: row.mailboxName, address: row.mailboxAddress },
    cannedResponses: canned,
    /** For the panels' own view functions (ticketAiViews, ticketDraftsFrom, customerCardFrom). */
    ai: row.ai,
    composer: row.composer,
    customer: row.customer,
  }
}

/**
 * The page of the ticket `number`'s thread before the message `before` ("Show N earlier
 * messages" with JavaScript), as loadTicketPage shapes its thread, with the field changes among
 * those messages. `before` null: it names no message this agent sees on this ticket (nothing to
 * add to the page). A 404 when the workspace has no such ticket.
 */
export async function loadEarlierMessages(member: Member, number: number, before: string) {
  const cursor = z.uuid().safeParse(before).success ? { beforeId: before } : undefined
  const row = await getThreadPage(getDb(), {
    workspaceId: member.workspaceId,
    number,
    userId: member.userId,
    page: { newest: 0, earlier: EARLIER_PAGE, cursor },
    activityLimit: MAX_ACTIVITY,
  })
  if (!row) throw notFound('Ticket not found')
  // No such message: nothing (the statement read no message, and the field changes since the
  // start of the thread are no page's).
  if (!row.thread.earlierPage) {
    return {
      ticketId: row.id,
      before: null,
      earlierMessages: 0,
      earlierPage: false,
      thread: [],
      activity: [],
    }
  }
  return { ticketId: row.id, before, ...threadPageView(row.thread, row.activity) }
}

/**
 * A page of the thread as the ticket page shows it: its messages (a failed reply's reason and an
 * email's details only where they apply, so the hydration data carries no nulls for the others),
 * how many come before them, whether it is an earlier page, and its field changes.
 */
function threadPageView(
  thread: { earlier: number; earlierPage: boolean; messages: PageThreadMessage[] },
  activity: PageActivity[],
) {
  return {
    earlierMessages: thread.earlier,
    earlierPage: thread.earlierPage,
    thread: thread.messages.map(
      ({
        hasHtml,
        threadedBy,
        notFromParticipant,
        automatic,
        authorEmail,
        deliveryError,
        deliveryMaybeAccepted,
        filesNotKept,
        viaList,
        ...m
      }) => ({
        ...m,
        ...(authorEmail === null ? {} : { authorEmail }),
        ...(filesNotKept === null ? {} : { filesNotKept }),
        ...(viaList === null ? {} : { viaList }),
        ...(deliveryError === null ? {} : { deliveryError }),
        ...(deliveryMaybeAccepted ? { deliveryMaybeAccepted } : {}),
        ...(threadedBy === null
          ? {}
          : {
              inbound: {
                threadedBy,
                hasHtml,
                notFromParticipant,
                ...(automatic ? { automatic } : {}),
                ...(hasHtml ? { visibleText: m.bodyText, quotedText: '' } : splitQuotedText(m.bodyText)),
              },
            }),
      }),
    ),
    activity: activity.map((a) => ({ ...a, data: isRecord(a.data) ? a.data : {} })),
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
