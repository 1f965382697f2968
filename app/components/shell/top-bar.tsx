import { Form, useLocation } from '@remix-run/react'
import { useEffect, type ReactNode } from 'react'
import { Avatar } from '#app/components/account/avatar.tsx'
import { MenuIcon } from '#app/components/ui/icons.tsx'
import { Menu } from '#app/components/ui/menu.tsx'
import { PlainLink } from '#app/components/ui/plain-link.tsx'
import { useFieldFollowingUrl } from '#app/utils/use-url-value.ts'

/** The id of the checkbox that opens the navigation drawer below 1024 px (no JavaScript needed). */
export const NAV_DRAWER_ID = 'nav-drawer'

/**
 * The drawer's state: a visually hidden checkbox, first in the header (inside the banner landmark,
 * so no content sits outside a landmark). The layout is `group/shell`, so
 * `group-has-[#nav-drawer:checked]/shell:` opens the drawer and a <label> anywhere toggles it,
 * without JavaScript. With JavaScript the drawer also closes on navigation and on Escape.
 */
function NavDrawerState() {
  const location = useLocation()
  useEffect(() => {
    const box = document.getElementById(NAV_DRAWER_ID)
    if (box instanceof HTMLInputElement) box.checked = false
  }, [location.pathname, location.search])
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const box = document.getElementById(NAV_DRAWER_ID)
      if (event.key === 'Escape' && box instanceof HTMLInputElement && box.checked) box.checked = false
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])
  return (
    <input
      id={NAV_DRAWER_ID}
      type="checkbox"
      aria-label="Show navigation"
      aria-controls="main-navigation"
      className="peer sr-only lg:hidden"
    />
  )
}

/**
 * The fixed bar at the top of every workspace page: the drawer's state and toggle (below 1024 px), search,
 * and whatever the layout passes (notifications, connection state, user menu).
 */
export function TopBar({ slug, children }: { slug: string; children: ReactNode }) {
  const location = useLocation()
  const ticketsPath = `/w/${slug}/tickets`
  const q = location.pathname === ticketsPath ? (new URLSearchParams(location.search).get('q') ?? '') : ''
  const searchRef = useFieldFollowingUrl<HTMLInputElement>(q)
  return (
    <header className="sticky top-0 z-30 col-span-full flex h-14 items-center gap-2 border-b border-slate-200 bg-white/95 px-3 backdrop-blur lg:px-4 dark:border-slate-800 dark:bg-slate-950/95">
      <NavDrawerState />
      <label
        htmlFor={NAV_DRAWER_ID}
        aria-hidden
        className="flex size-9 shrink-0 cursor-pointer items-center justify-center rounded-md hover:bg-slate-100 lg:hidden dark:hover:bg-slate-800 peer-focus-visible:outline-2 peer-focus-visible:outline-indigo-500"
      >
        <MenuIcon className="size-5" />
      </label>
      <PlainLink to={`/w/${slug}`} className="hidden shrink-0 font-semibold sm:block">
        Switchboard
      </PlainLink>
      <Form
        method="get"
        action={ticketsPath}
        role="search"
        aria-label="Search tickets"
        className="min-w-0 flex-1 sm:max-w-md"
      >
        <label htmlFor="top-search" className="sr-only">
          Search tickets
        </label>
        <input
          id="top-search"
          type="search"
          name="q"
          ref={searchRef}
          defaultValue={q}
          // "Search tickets…" was cut at 390 px; the label and the search landmark name the tickets.
          placeholder="Search…"
          className="w-full min-w-0 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
        />
      </Form>
      <div className="ml-auto flex shrink-0 items-center gap-1 sm:gap-3">{children}</div>
    </header>
  )
}

/** Account link and Sign out: a menu button (a disclosure of the same link and form without JavaScript). */
export function UserMenu({ name, email }: { name: string; email: string }) {
  return (
    <Menu
      triggerClassName="flex items-center rounded-full"
      trigger={
        <>
          <Avatar name={name} />
          <span className="sr-only">Account menu for {name}</span>
        </>
      }
      entries={[
        {
          type: 'text',
          key: 'email',
          label: email,
          className: 'truncate text-slate-500 dark:text-slate-400',
        },
        { type: 'link', key: 'account', to: '/account', label: 'Account' },
        { type: 'form', key: 'sign-out', action: '/logout', label: 'Sign out' },
      ]}
    />
  )
}
