import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useParams, type ClientLoaderFunctionArgs } from '@remix-run/react'
import { loadEarlierMessages, ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { searchParamsOf } from '#app/http/form-data.server.ts'
import { neverAnswered } from '#app/utils/unanswered.ts'

export const meta: MetaFunction = ({ params }) => [
  { title: `Earlier messages of #${params.number} · Switchboard` },
]

/**
 * GET /w/<slug>/tickets/<n>/earlier?before=<message id>: the page of ticket n's thread before that
 * message (EARLIER_PAGE messages, their field changes, how many come before them). The ticket
 * page's "Show N earlier messages" loads it with JavaScript (a fetcher) and puts it above the
 * messages shown; without JavaScript that link opens the ticket page itself at `?before=<id>`.
 * A `before` that is not a message of this ticket the agent sees answers `before: null`. Nothing
 * is written.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const before = searchParamsOf(request).get('before') ?? ''
  return { ...(await loadEarlierMessages(member, number, before)), failed: false as const }
}

/**
 * A load that got no answer (offline, a 5xx) gives `failed: true` instead of the error page: the
 * ticket page keeps the agent's work and says so by the link.
 */
export async function clientLoader({ serverLoader }: ClientLoaderFunctionArgs) {
  try {
    return await serverLoader<typeof loader>()
  } catch (error) {
    if (!neverAnswered(error)) throw error
    return { failed: true as const }
  }
}

/** A page of earlier messages is loaded when asked for, not again after the ticket page's forms. */
export const shouldRevalidate = () => false

/** Opened as a page (the ticket page never links here): back to the ticket, at that message. */
export default function EarlierMessagesPage() {
  const data = useLoaderData<typeof clientLoader>()
  const { slug, number } = useParams()
  const before = data.failed ? null : data.before
  return (
    <p className="text-sm">
      <Link
        to={`/w/${slug}/tickets/${number}${before ? `?before=${before}` : ''}`}
        className="text-indigo-700 hover:underline dark:text-indigo-300"
      >
        Back to #{number}
      </Link>
    </p>
  )
}
