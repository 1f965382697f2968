import { workspaceLayout } from '#app/domain/layout.server.ts'
import { homeOf, loadHome } from '#app/domain/onboarding.server.ts'
import { queueOptions } from '#app/domain/queue.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { memoizePerRequest, peekPerRequest } from '#app/http/request-scope.server.ts'

// The workspace layout's statement and the page's own small read in one round trip: the inbox's
// filter options, the home page's checklist. A request for such a page runs the layout's loader
// and the page's side by side; the layout's loader sees the path and asks for the page's columns
// too, and the page's loader takes them from it. When the layout's loader does not run (a client
// navigation that only changes the query string: see layoutShouldRevalidate) or nothing is
// memoized (a POST), the page's loader reads them itself.

const layoutKey = (member: Member) => `layout:${member.workspaceId}:${member.userId}`

/** `/w/:slug/tickets` or `/w/:slug` (the `.data` suffix is already gone from a loader's request). */
function pageOf(request: Request) {
  const segments = new URL(request.url).pathname.replace(/\/$/, '').split('/')
  if (segments[1] !== 'w') return null
  if (segments.length === 4 && segments[3] === 'tickets') return 'queue'
  if (segments.length === 3) return 'home'
  return null
}

/** The layout loader's data, once per request; with the inbox's or the home page's columns. */
export function layoutForRequest(request: Request, member: Member) {
  const page = pageOf(request)
  return memoizePerRequest(layoutKey(member), () =>
    workspaceLayout(member, { withQueueOptions: page === 'queue', withChecklist: page === 'home' }),
  )
}

/** What the layout's loader of this request read, if it runs. */
async function sharedLayout(member: Member) {
  // Both loaders start in the same turn of the event loop (their guards share the memoized
  // identity), so by the next turn the layout's loader has registered its statement if it runs.
  await new Promise<void>((resolve) => setImmediate(resolve))
  return peekPerRequest<Awaited<ReturnType<typeof workspaceLayout>>>(layoutKey(member))
}

/** The queue filters' options: from the layout's statement when this request runs it. */
export async function queueOptionsForRequest(member: Member) {
  const layout = await sharedLayout(member)
  return layout?.queueOptions ?? queueOptions(member)
}

/** The home page's data: from the layout's statement when this request runs it. */
export async function homeForRequest(member: Member) {
  const layout = await sharedLayout(member)
  return layout?.checklist ? homeOf(member, layout.checklist) : loadHome(member)
}
