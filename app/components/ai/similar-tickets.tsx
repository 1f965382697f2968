import { Link, useFetcher } from '@remix-run/react'
import { useEffect, useRef } from 'react'

type SimilarTicket = { id: string; number: number; subject: string }

type Props = { slug: string; number: number }

/**
 * The ticket page's "Similar resolved tickets" (full-text search, no model; see
 * app/ai/similar.server.ts). Fetched from /tickets/<n>/similar once the page is up, so their
 * ranking over the workspace does not hold the page back; without JavaScript a link opens them.
 */
export function SimilarTickets({ slug, number }: Props) {
  const href = `/w/${slug}/tickets/${number}/similar`
  const fetcher = useFetcher<{ number: number; tickets: SimilarTicket[] | null }>()
  // `tickets: null`: the load got no answer (offline); the link stays.
  const loaded = fetcher.data?.number === number ? (fetcher.data.tickets ?? undefined) : undefined
  const { load } = fetcher
  // Once per ticket: a failed load leaves the link (no retry loop).
  const requested = useRef<string | null>(null)
  useEffect(() => {
    if (requested.current === href) return
    requested.current = href
    load(href)
  }, [href, load])
  return (
    <section aria-labelledby="similar-tickets-heading" className="space-y-2" aria-busy={loaded === undefined}>
      <h2 id="similar-tickets-heading" className="text-sm font-semibold">
        Similar resolved tickets
      </h2>
      {loaded ? (
        <SimilarTicketList slug={slug} tickets={loaded} />
      ) : (
        <p className="text-sm">
          <Link to={href} className="text-indigo-700 hover:underline dark:text-indigo-300">
            Show similar resolved tickets
          </Link>
        </p>
      )}
    </section>
  )
}

export function SimilarTicketList({ slug, tickets }: { slug: string; tickets: SimilarTicket[] }) {
  if (tickets.length === 0) return <p className="text-sm text-slate-500 dark:text-slate-400">None found.</p>
  return (
    <ul className="space-y-1 text-sm">
      {tickets.map((t) => (
        <li key={t.id}>
          <Link to={`/w/${slug}/tickets/${t.number}`} className="hover:underline">
            <span className="text-slate-500 dark:text-slate-400">#{t.number}</span>{' '}
            <span className="break-words">{t.subject}</span>
          </Link>
        </li>
      ))}
    </ul>
  )
}
