import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Outlet, useLoaderData, useLocation } from '@remix-run/react'
import { formatCount } from '#app/utils/format.ts'
import { CommandPalette } from '#app/components/command-palette.tsx'
import { AccessLostNotice } from '#app/components/live/access-lost.tsx'
import { LiveProvider } from '#app/components/live/live-provider.tsx'
import { RoleChangeNotice } from '#app/components/live/role-change.tsx'
import { ChevronDown } from '#app/components/ui/icons.tsx'
import { isActivePath, PlainLink, useClientLinks } from '#app/components/ui/plain-link.tsx'
import { ToastProvider } from '#app/components/ui/toast.tsx'
import { LiveIndicator } from '#app/components/live-indicator.tsx'
import { NotificationsBell } from '#app/components/notifications-bell.tsx'
import { NAV_DRAWER_ID, TopBar, UserMenu } from '#app/components/shell/top-bar.tsx'
import { VerifyEmailBanner } from '#app/components/verify-email-banner.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import { layoutShouldRevalidate } from '#app/utils/layout-revalidation.ts'
import { hasRole } from '#app/utils/roles.ts'
import { layoutForRequest } from './w.$slug.layout-data.server.ts'
import { ShortcutsHelp } from '#app/components/queue/shortcuts-dialog.tsx'
import { useFocusOnNewPage } from '#app/utils/use-focus-on-new-page.ts'

export const shouldRevalidate = layoutShouldRevalidate

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.workspace.name} · Switchboard` : 'Switchboard' },
]

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const { workspaces, counts, notifications } = await layoutForRequest(request, member)
  return {
    counts,
    notifications,
    user: { name: member.user.name, email: member.user.email, emailVerified: member.emailVerified },
    role: member.role,
    workspace: { id: member.workspaceId, name: member.workspaceName, slug: member.workspaceSlug },
    workspaces: workspaces.map((w) => ({ name: w.name, slug: w.slug })),
  }
}

const navClass = (isActive: boolean) =>
  `block rounded-md px-3 py-2 text-sm font-medium ${
    isActive
      ? 'bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300'
      : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'
  }`

export default function WorkspaceLayout() {
  const { user, role, workspace, workspaces, counts, notifications } = useLoaderData<typeof loader>()
  const location = useLocation()
  // The shell's links are PlainLinks (plain anchors, one click listener): see plain-link.tsx.
  useClientLinks()
  useFocusOnNewPage()
  const ticketsPath = `/w/${workspace.slug}/tickets`
  const currentView =
    location.pathname === ticketsPath ? new URLSearchParams(location.search).get('view') : null
  // The main navigation's entries, marked current as NavLink did (Home only on its own page).
  const mainLink = (to: string, label: string, end = false) => {
    const active = isActivePath(location.pathname, to, end)
    return (
      <PlainLink to={to} aria-current={active ? 'page' : undefined} className={navClass(active)}>
        {label}
      </PlainLink>
    )
  }
  return (
    <LiveProvider workspaceId={workspace.id} role={role}>
      {/* The first stop for the keyboard: past the top bar and the navigation. */}
      <a
        href="#main-content"
        className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-medium text-indigo-700 shadow focus:not-sr-only focus:fixed focus:top-2 focus:left-2 dark:bg-slate-900 dark:text-indigo-300"
      >
        Skip to main content
      </a>
      {/* Below 1024 px the sidebar is a drawer: the checkbox in the top bar (NavDrawerState) opens
          it through group-has-[#nav-drawer:checked]/shell, so it works without JavaScript. */}
      <div className="group/shell min-h-screen lg:grid lg:grid-cols-[15rem_minmax(0,1fr)]">
        <TopBar slug={workspace.slug}>
          <CommandPalette slug={workspace.slug} canAdminister={hasRole(role, 'admin')} />
          <NotificationsBell
            slug={workspace.slug}
            unread={notifications.unread}
            items={notifications.items}
          />
          <LiveIndicator />
          <UserMenu name={user.name} email={user.email} />
        </TopBar>
        <ShortcutsHelp />
        <label
          htmlFor={NAV_DRAWER_ID}
          aria-hidden
          className="fixed inset-0 z-30 hidden bg-slate-950/40 max-lg:group-has-[#nav-drawer:checked]/shell:block"
        />
        <aside
          id="main-navigation"
          aria-label="Workspace navigation"
          // Closed below 1024 px it is also invisible, so its links leave the Tab order and the
          // accessibility tree (they were reachable off screen); visibility flips after the slide.
          className="fixed inset-y-0 left-0 z-40 flex w-64 -translate-x-full flex-col overflow-y-auto border-r border-slate-200 bg-slate-50 p-4 transition-[transform,visibility] max-lg:invisible group-has-[#nav-drawer:checked]/shell:visible group-has-[#nav-drawer:checked]/shell:translate-x-0 lg:sticky lg:top-14 lg:z-auto lg:h-[calc(100vh-3.5rem)] lg:w-auto lg:translate-x-0 lg:transition-none dark:border-slate-800 dark:bg-slate-900"
        >
          <details className="group relative mb-6">
            <summary className="cursor-pointer list-none rounded-md px-2 py-1 font-semibold hover:bg-slate-100 dark:hover:bg-slate-800">
              {workspace.name}{' '}
              <ChevronDown className="inline size-4 align-[-3px] transition-transform group-open:rotate-180" />
              <span className="sr-only">Switch workspace</span>
            </summary>
            <nav
              aria-label="Workspaces"
              className="absolute z-10 mt-1 w-56 rounded-md border border-slate-200 bg-white p-1 shadow-lg dark:border-slate-700 dark:bg-slate-900"
            >
              {workspaces.map((w) => (
                <PlainLink
                  key={w.slug}
                  to={`/w/${w.slug}`}
                  className="block rounded px-2 py-1.5 text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
                  aria-current={w.slug === workspace.slug ? 'page' : undefined}
                >
                  {w.name}
                </PlainLink>
              ))}
              <PlainLink
                to="/workspaces/new"
                className="mt-1 block rounded border-t border-slate-200 px-2 py-1.5 text-sm text-indigo-600 hover:bg-slate-100 dark:border-slate-700 dark:text-indigo-400 dark:hover:bg-slate-800"
              >
                + New workspace
              </PlainLink>
            </nav>
          </details>
          <nav aria-label="Main" className="space-y-1">
            {mainLink(`/w/${workspace.slug}`, 'Home', true)}
            {mainLink(ticketsPath, 'Inbox')}
            <ul className="space-y-1 pl-3">
              {(
                [
                  ['mine', 'Mine', counts.mine],
                  ['unassigned', 'Unassigned', counts.unassigned],
                ] as const
              ).map(([view, label, count]) => (
                <li key={view}>
                  <PlainLink
                    to={`${ticketsPath}?view=${view}`}
                    aria-current={currentView === view ? 'page' : undefined}
                    className={`flex items-center justify-between ${navClass(currentView === view)}`}
                  >
                    {label}
                    <span className="rounded-full bg-slate-200 px-2 text-xs text-slate-700 tabular-nums dark:bg-slate-700 dark:text-slate-200">
                      {formatCount(count)}
                      <span className="sr-only"> open tickets</span>
                    </span>
                  </PlainLink>
                </li>
              ))}
            </ul>
            {mainLink(`/w/${workspace.slug}/customers`, 'Customers')}
            {mainLink(`/w/${workspace.slug}/settings`, 'Settings')}
          </nav>
          <div className="mt-auto space-y-2 border-t border-slate-200 pt-4 text-sm dark:border-slate-800">
            <PlainLink to="/account" className="block truncate hover:underline" title={user.email}>
              {user.name}
            </PlainLink>
            <Form method="post" action="/logout">
              <button type="submit" className="text-slate-600 hover:underline dark:text-slate-400">
                Sign out
              </button>
            </Form>
          </div>
        </aside>
        <div className="min-w-0">
          <AccessLostNotice workspaceName={workspace.name} />
          <RoleChangeNotice slug={workspace.slug} workspaceName={workspace.name} />
          {user.emailVerified ? null : <VerifyEmailBanner email={user.email} />}
          <main id="main-content" tabIndex={-1} className="min-w-0 p-4 outline-none sm:p-6 lg:p-8">
            {/* Pages show toasts (useToast) after an action, e.g. a bulk change with Undo. */}
            <ToastProvider>
              <Outlet />
            </ToastProvider>
          </main>
        </div>
      </div>
    </LiveProvider>
  )
}
