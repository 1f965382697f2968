import { redirect, type LoaderFunctionArgs } from '@remix-run/node'
import { notFound } from '#app/domain/errors.server.ts'
import { ticketBesideInQueue, ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { ticketHref } from '#app/utils/last-queue.ts'

/**
 * GET /w/<slug>/tickets/<n>/beside/next|previous?from=<the queue's query string>: redirects to
 * the ticket after (or before) this one in that queue view, or back to the view when there is
 * none. The ticket page's Previous/Next links and its j/k keys use it; nothing is written.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const direction = params.direction
  if (direction !== 'next' && direction !== 'previous') throw notFound('Not found')
  const raw = new URL(request.url).searchParams.get('from') ?? ''
  if (raw.length > 2000) throw notFound('Not found')
  // Re-encoded, so only a well-formed query string reaches the Location header.
  const from = new URLSearchParams(raw).toString()
  const beside = await ticketBesideInQueue(member, number, from, direction)
  const queue = `/w/${member.workspaceSlug}/tickets`
  if (beside === undefined) return redirect(from ? `${queue}?${from}` : queue)
  return redirect(ticketHref(member.workspaceSlug, beside.number, beside.from))
}

/** Only ever redirects (a route with a component, so client-side navigation follows it). */
export default function TicketBeside() {
  return null
}
