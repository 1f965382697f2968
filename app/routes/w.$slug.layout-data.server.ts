import { workspaceLayout } from '#app/domain/layout.server.ts'
import { queueOptions } from '#app/domain/queue.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { memoizePerRequest, peekPerRequest } from '#app/http/request-scope.server.ts'

// The workspace layout's statement and the inbox's filter options in one round trip. A request
// for the inbox page runs the layout's loader and the queue's side by side; the layout's loader
// sees the path and asks for the options too, and the queue's loader takes them from it. When the
// layout's loader does not run (a client navigation that only changes the query string: see
// layoutShouldRevalidate) or nothing is memoized (a POST), the queue's loader reads them itself.

const layoutKey = (member: Member) => `layout:${member.workspaceId}:${member.userId}`

/** `/w/:slug/tickets` (the `.data` suffix is already gone from a loader's request). */
function isQueuePage(request: Request) {
  const segments = new URL(request.url).pathname.replace(/\/$/, '').split('/')
  return segments.length === 4 && segments[1] === 'w' && segments[3] === 'tickets'
}

/** The layout loader's data, once per request; with the filter options on the inbox page. */
export function layoutForRequest(request: Request, member: Member) {
  return memoizePerRequest(layoutKey(member), () =>
    workspaceLayout(member, { withQueueOptions: isQueuePage(request) }),
  )
}

/** The queue filters' options: from the layout's statement when this request runs it. */
export async function queueOptionsForRequest(member: Member) {
  // Both loaders start in the same turn of the event loop (their guards share the memoized
  // identity), so by the next turn the layout's loader has registered its statement if it runs.
  await new Promise<void>((resolve) => setImmediate(resolve))
  const layout = await peekPerRequest<Awaited<ReturnType<typeof workspaceLayout>>>(layoutKey(member))
  return layout?.queueOptions ?? queueOptions(member)
}
