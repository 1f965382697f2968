import { Link } from '@remix-run/react'

type Props = {
  slug: string
  tickets: Array<{ id: string; number: number; subject: string }>
}

/** The ticket page's "Similar resolved tickets" (full-text search, no model; see app/ai/similar.server.ts). */
export function SimilarTickets({ slug, tickets }: Props) {
  return (
    <section aria-labelledby="similar-tickets-heading" className="space-y-2">
      <h2 id="similar-tickets-heading" className="text-sm font-semibold">
        Similar resolved tickets
      </h2>
      {tickets.length === 0 ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">None found.</p>
      ) : (
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
      )}
    </section>
  )
}
