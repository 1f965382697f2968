import { Link } from '@remix-run/react'

/** The contact a merged-away one now lives on, as the customer page's action and loader name it. */
export type MergedInto = { id: string; name: string | null; email: string }

/**
 * "This customer was merged into …": a page or form of a contact a teammate merged away says where
 * it went (and that nothing was saved), instead of "Page not found" with what was typed gone.
 */
export function MergedNotice({ slug, into, unsaved }: { slug: string; into: MergedInto; unsaved?: boolean }) {
  return (
    <p role="alert" className="text-sm text-amber-900 dark:text-amber-200">
      This customer was merged into{' '}
      <Link to={`/w/${slug}/customers/${into.id}`} className="font-medium underline">
        {into.name || into.email}
      </Link>
      {unsaved
        ? ': nothing was saved here. Open them to make your change; what you typed is still below.'
        : '.'}
    </p>
  )
}
