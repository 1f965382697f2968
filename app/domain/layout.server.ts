import { getDb } from '#db/client.ts'
import { loadLayoutRow, type LayoutColumnsRow } from '#db/queries/layout.ts'
import { checklistState, type ChecklistState } from '#db/queries/onboarding.ts'
import type { QueueListingInput, QueueOptionsRow } from '#db/queries/queue.ts'
import { parseQueueQuery, queueListingInputOf } from './queue.server.ts'
import type { Member } from './workspaces.server.ts'

/**
 * Which page's reads ride on the layout's statement (see layoutPlanOf): the inbox's filter
 * options and its page of tickets (`queuePage`: not for a search), the home page's checklist.
 */
export type LayoutPlan = {
  withQueueOptions: boolean
  withChecklist: boolean
  queuePage?: QueueListingInput | null
}

/**
 * The workspace layout's data (switcher, navigation counts, notification bell) for a member.
 * `withQueueOptions` / `withChecklist`: the queue filters' options or the home page's checklist
 * state come with it in the same statement (see app/routes/w.$slug.layout-data.server.ts).
 */
export async function workspaceLayout(
  member: Member,
  { withQueueOptions = false, withChecklist = false } = {},
) {
  const row = await loadLayoutRow(getDb(), {
    userId: member.userId,
    workspaceId: member.workspaceId,
    withQueueOptions,
    withChecklist,
  })
  return layoutFromRow(row, { withQueueOptions, withChecklist })
}

export type WorkspaceLayout = ReturnType<typeof layoutFromRow>

/** The layout's data from its row (loadLayoutRow's, or getIdentityWithLayout's layout columns). */
export function layoutFromRow(row: LayoutColumnsRow, { withChecklist }: LayoutPlan) {
  const queueOptions: QueueOptionsRow | null =
    row.mailboxes && row.members && row.tags
      ? { mailboxes: row.mailboxes, members: row.members, tags: row.tags }
      : null
  const checklist: ChecklistState | null =
    withChecklist &&
    row.dismissed !== undefined &&
    row.member_count !== undefined &&
    row.web_ticket !== undefined &&
    row.invited !== undefined &&
    row.answered !== undefined &&
    row.inbound_email !== undefined
      ? checklistState({
          dismissed: row.dismissed,
          member_count: row.member_count,
          web_ticket: row.web_ticket,
          invited: row.invited,
          answered: row.answered,
          inbound_email: row.inbound_email,
        })
      : null
  return {
    workspaces: row.workspaces,
    counts: { mine: row.mine, unassigned: row.unassigned },
    notifications: {
      unread: row.unread,
      items: row.notifications.map((n) => ({
        id: n.id,
        kind: n.kind,
        read: n.read_at !== null,
        number: n.number,
        subject: n.subject,
        actorName: n.actor_name,
      })),
    },
    queueOptions,
    checklist,
  }
}

/** Where one request's layout data is memoized (app/http/request-scope.server.ts). */
export const layoutMemoKey = (workspaceId: string, userId: string) => `layout:${workspaceId}:${userId}`

/**
 * `/w/:slug/tickets` is the inbox, `/w/:slug` the home page (a `.data` suffix, as a single-fetch
 * request's path has it, is ignored); other paths under `/w/:slug/…` are 'other'; null outside.
 */
export function layoutPageOf(pathname: string) {
  const segments = pathname
    .replace(/\.data$/, '')
    .replace(/\/$/, '')
    .split('/')
  if (segments[1] !== 'w' || segments.length < 3) return null
  if (segments.length === 4 && segments[3] === 'tickets') return 'queue'
  if (segments.length === 3) return 'home'
  if (segments.length === 5 && segments[3] === 'tickets' && /^\d+$/.test(segments[4]!)) return 'ticket'
  return 'other'
}

/**
 * For a GET of the inbox, the home page or a ticket page (documents, or `.data` requests whose
 * `_routes` include the layout's loader), which columns the layout's loader of that request will
 * ask for: then the identity lookup can read the layout in the same statement. Null for any
 * other request (resource routes under /w/:slug never run the layout's loader).
 */
export function layoutPlanOf(pathname: string, search: string): LayoutPlan | null {
  const page = layoutPageOf(pathname)
  if (page !== 'queue' && page !== 'home' && page !== 'ticket') return null
  // A `.data` request names the loaders it runs in `_routes` (all of them when it is absent).
  const routes = pathname.endsWith('.data')
    ? new URLSearchParams(search).get('_routes')?.split(',')
    : undefined
  if (routes && !routes.includes('routes/w.$slug')) return null
  // The inbox's page, as its loader will ask for it (the same query string): a search is planned
  // per statement (its plan depends on the words), so it is read on its own.
  const queue =
    page === 'queue' && (!routes || routes.includes('routes/w.$slug.tickets._index'))
      ? parseQueueQuery(new URLSearchParams(search))
      : null
  return {
    withQueueOptions: page === 'queue',
    withChecklist: page === 'home',
    queuePage: queue && !queue.filters.q ? queueListingInputOf(queue) : null,
  }
}

/** Where one request's inbox page, read with the identity, is memoized (by its query). */
export const queuePageMemoKey = (workspaceId: string, userId: string, input: QueueListingInput) =>
  `queue:${workspaceId}:${userId}:${JSON.stringify(input)}`
