import {
  layoutMemoKey,
  layoutPageOf,
  queuePageMemoKey,
  workspaceLayout,
  type WorkspaceLayout,
} from '#app/domain/layout.server.ts'
import { homeOf, loadHome } from '#app/domain/onboarding.server.ts'
import {
  loadQueue,
  queueListingInputOf,
  queueOptions,
  type ListedPage,
  type QueueQuery,
} from '#app/domain/queue.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { memoizePerRequest, peekPerRequest } from '#app/http/request-scope.server.ts'

// The workspace layout's statement and the page's own small read in one round trip: the inbox's
// filter options, the home page's checklist. A request for such a page runs the layout's loader
// and the page's side by side; the layout's loader sees the path and asks for the page's columns
// too, and the page's loader takes them from it. When the layout's loader does not run (a client
// navigation that only changes the query string: see layoutShouldRevalidate) or nothing is
// memoized (a POST), the page's loader reads them itself. For a GET of these pages (and of a
// ticket page) the session renewal's identity lookup reads the layout's row in its own statement
// and memoizes it under the same key (app/http/auth.server.ts), so the layout's loader finds it.

const layoutKey = (member: Member) => layoutMemoKey(member.workspaceId, member.userId)

/** The layout loader's data, once per request; with the inbox's or the home page's columns. */
export function layoutForRequest(request: Request, member: Member) {
  const page = layoutPageOf(new URL(request.url).pathname)
  return memoizePerRequest(layoutKey(member), () =>
    workspaceLayout(member, { withQueueOptions: page === 'queue', withChecklist: page === 'home' }),
  )
}

/** What the layout's loader of this request read, if it runs. */
async function sharedLayout(member: Member) {
  // Read with the identity (see above): there already.
  const early = peekPerRequest<WorkspaceLayout>(layoutKey(member))
  if (early) return early
  // Both loaders start in the same turn of the event loop (their guards share the memoized
  // identity), so by the next turn the layout's loader has registered its statement if it runs.
  await new Promise<void>((resolve) => setImmediate(resolve))
  return peekPerRequest<WorkspaceLayout>(layoutKey(member))
}

/** The queue filters' options: from the layout's statement when this request runs it. */
export async function queueOptionsForRequest(member: Member) {
  const layout = await sharedLayout(member)
  return layout?.queueOptions ?? queueOptions(member)
}

/**
 * The inbox's page: read with this request's identity when it was a GET of the inbox with the
 * same query (the identity's statement carried it), else by a statement of its own.
 */
export function queuePageForRequest(member: Member, query: QueueQuery) {
  const key = queuePageMemoKey(member.workspaceId, member.userId, queueListingInputOf(query))
  return loadQueue(member, query, peekPerRequest<ListedPage>(key))
}

/** The home page's data: from the layout's statement when this request runs it. */
export async function homeForRequest(member: Member) {
  const layout = await sharedLayout(member)
  return layout?.checklist ? homeOf(member, layout.checklist) : loadHome(member)
}
