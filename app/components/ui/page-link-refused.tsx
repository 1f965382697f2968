import { Link, useLocation } from '@remix-run/react'

/**
 * Said above a list whose page link (`after` / `before`) was not one of its pages: forged, cut
 * short, or given out by another view, filter, sort or search. The list shows its first page; the
 * link goes there with the same filters and no cursor.
 */
export function PageLinkRefused() {
  const location = useLocation()
  const search = new URLSearchParams(location.search)
  search.delete('after')
  search.delete('before')
  const query = search.toString()
  return (
    <p role="alert" className="text-sm text-slate-700 dark:text-slate-300">
      That page link belongs to another list (another view, filter, sort or search) or is not complete, so
      this is the first page.{' '}
      <Link
        className="text-indigo-600 underline dark:text-indigo-400"
        to={query ? `${location.pathname}?${query}` : location.pathname}
      >
        Go to the first page
      </Link>
    </p>
  )
}
