import { useNavigate } from '@remix-run/react'
import { useEffect, type AnchorHTMLAttributes } from 'react'

/**
 * An in-app link without Remix's <Link> machinery: a plain anchor that `useClientLinks` (mounted
 * once by the workspace layout) turns into a client-side navigation, as <Link> does. <Link> and
 * <NavLink> each render two components and about ten hooks (resolving the href against the route
 * matches, prefetch and discovery state, a click handler); the workspace shell and the queue's
 * views render ~20 of them on every page, a measurable part of the server's render
 * (docs/performance.md, session 4). Use it for absolute paths only (`/w/…`); data-discover keeps
 * Remix's route discovery for the href, as <Link> renders it.
 */
export function PlainLink({
  to,
  ...props
}: Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string }) {
  return <a href={to} data-discover="true" data-client-link="" {...props} />
}

/** NavLink's rule: `to` is the current page, or (unless `end`) a parent of it. */
export function isActivePath(pathname: string, to: string, end = false) {
  const current = pathname.toLowerCase()
  const target = to.toLowerCase()
  return current === target || (!end && current.startsWith(target) && current.charAt(target.length) === '/')
}

/**
 * Makes a plain left click (or Enter) on a PlainLink a client-side navigation: one listener on the
 * document, after React's own (registered at hydration), so a handler that already took the click
 * (defaultPrevented) wins. Like <Link>, a link to the current URL replaces the history entry, and
 * modified clicks, other targets and downloads are left to the browser. Before hydration the
 * anchors are ordinary links.
 */
export function useClientLinks() {
  const navigate = useNavigate()
  useEffect(() => {
    function onClick(event: MouseEvent) {
      if (event.defaultPrevented || event.button !== 0) return
      if (event.metaKey || event.altKey || event.ctrlKey || event.shiftKey) return
      const link = event.target instanceof Element ? event.target.closest('a[data-client-link]') : null
      if (!(link instanceof HTMLAnchorElement) || link.hasAttribute('download')) return
      if (link.target && link.target !== '_self') return
      const url = new URL(link.href)
      if (url.origin !== window.location.origin) return
      event.preventDefault()
      const href = url.pathname + url.search + url.hash
      const here = window.location.pathname + window.location.search + window.location.hash
      navigate(href, { replace: href === here })
    }
    document.addEventListener('click', onClick)
    return () => document.removeEventListener('click', onClick)
  }, [navigate])
}
