import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, type ClientLoaderFunctionArgs } from '@remix-run/react'
import { loadSimilarTickets } from '#app/ai/ticket-assist.server.ts'
import { SimilarTicketList } from '#app/components/ai/similar-tickets.tsx'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { neverAnswered } from '#app/utils/unanswered.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Similar to #${data.number} · Switchboard` : 'Similar tickets · Switchboard' },
]

/**
 * GET /w/<slug>/tickets/<n>/similar: the resolved tickets that look like ticket n. The ticket
 * page loads it after the page (a fetcher), so the full-text ranking over the workspace is off
 * the page's critical path; without JavaScript its link opens this page. Nothing is written.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  return { slug: member.workspaceSlug, number, tickets: await loadSimilarTickets(member, number) }
}

/**
 * With JavaScript (the ticket page's fetcher, or a link followed in the app), a load that got no
 * answer (offline, a 5xx) gives `tickets: null` instead of the error page: the ticket page keeps
 * the agent's work and shows the link again.
 */
export async function clientLoader({ serverLoader, params }: ClientLoaderFunctionArgs) {
  try {
    return await serverLoader<typeof loader>()
  } catch (error) {
    if (!neverAnswered(error)) throw error
    return { slug: params.slug ?? '', number: Number(params.number), tickets: null }
  }
}

/** The similar tickets do not change with this ticket's activity: no reload after its forms. */
export const shouldRevalidate = () => false

export default function SimilarTicketsPage() {
  const { slug, number, tickets } = useLoaderData<typeof clientLoader>()
  return (
    <div className="max-w-2xl space-y-4">
      <p className="text-sm text-slate-500 dark:text-slate-400">
        <Link to={`/w/${slug}/tickets/${number}`} className="hover:underline">
          Back to #{number}
        </Link>
      </p>
      <h1 className="text-2xl font-semibold">Similar resolved tickets</h1>
      {tickets ? (
        <SimilarTicketList slug={slug} tickets={tickets} />
      ) : (
        <p role="alert" className="text-sm">
          Switchboard could not be reached.{' '}
          <Link to="." reloadDocument className="text-indigo-700 hover:underline dark:text-indigo-300">
            Try again
          </Link>
        </p>
      )}
    </div>
  )
}
