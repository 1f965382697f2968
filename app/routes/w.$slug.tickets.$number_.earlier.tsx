import type { LoaderFunctionArgs } from '@remix-run/node'
import { loadEarlierMessages, ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { searchParamsOf } from '#app/http/form-data.server.ts'

/**
 * GET /w/<slug>/tickets/<n>/earlier?before=<message id>: the page of ticket n's thread before that
 * message (EARLIER_PAGE messages, their field changes, how many come before them), as JSON. The
 * ticket page's "Show N earlier messages" fetches it with JavaScript (`useEarlierMessages`, a
 * plain `fetch`, not a Remix fetcher: the router's revalidations and transitions have no say in
 * whether the agent sees the page or "Not loaded") and puts it above the messages shown; without
 * JavaScript that link opens the ticket page itself at `?before=<id>`. A `before` that is not a
 * message of this ticket the agent sees answers `before: null`. Nothing is written.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const before = searchParamsOf(request).get('before') ?? ''
  return Response.json(await loadEarlierMessages(member, number, before))
}
