import { useLocation } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { focusIsLost, focusMainContent } from './focus.ts'

/**
 * Keeps keyboard focus in the page across client-side navigations, as a page load would start
 * it at the page: another page (a ticket opened with Enter, j/k, Send & next, the palette, a
 * link) moves focus to its main region unless the new page put it somewhere in that region itself;
 * any other navigation (a reply's `#m-…`, Undo, a filter) that left focus on `<body>` (the element
 * holding it was replaced) moves it there too. Before, focus fell to `<body>` after each of these.
 */
export function useFocusOnNewPage() {
  const location = useLocation()
  const shown = useRef<{ key: string; pathname: string } | null>(null)
  useEffect(() => {
    const before = shown.current
    shown.current = { key: location.key, pathname: location.pathname }
    // The page as loaded: the browser's own start (the first Tab reaches "Skip to main content").
    if (before === null || before.key === location.key) return
    const newPage = before.pathname !== location.pathname
    const main = document.getElementById('main-content')
    if (!main) return
    if (focusIsLost() || (newPage && !main.contains(document.activeElement))) focusMainContent()
  }, [location.key, location.pathname])
}
