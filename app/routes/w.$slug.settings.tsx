import type { LoaderFunctionArgs } from '@remix-run/node'
import { NavLink, Outlet, useLoaderData } from '@remix-run/react'
import { requireMember } from '#app/http/auth.server.ts'
import { hasRole } from '#app/utils/roles.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  return { slug: member.workspaceSlug, canManageTokens: hasRole(member.role, 'admin') }
}

// After a settings form's post that got no answer (offline) nothing is reloaded: that reload
// would fail too and put the error page in place of the form.
export const shouldRevalidate = unlessActionNeverArrived

const tabClass = ({ isActive }: { isActive: boolean }) =>
  `shrink-0 border-b-2 px-1 pb-2 text-center text-sm font-medium ${
    isActive
      ? 'border-indigo-600 text-indigo-700 dark:text-indigo-300'
      : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400'
  }`

export default function SettingsLayout() {
  const { slug, canManageTokens } = useLoaderData<typeof loader>()
  return (
    <div className="max-w-4xl">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <nav
        aria-label="Settings"
        className="mt-4 flex gap-6 overflow-x-auto border-b border-slate-200 whitespace-nowrap dark:border-slate-800"
      >
        <NavLink to={`/w/${slug}/settings`} end className={tabClass}>
          General
        </NavLink>
        <NavLink to={`/w/${slug}/settings/members`} className={tabClass}>
          Members
        </NavLink>
        <NavLink to={`/w/${slug}/settings/mailboxes`} className={tabClass}>
          Mailboxes
        </NavLink>
        <NavLink to={`/w/${slug}/settings/canned-responses`} className={tabClass}>
          Canned responses
        </NavLink>
        {canManageTokens ? (
          <NavLink to={`/w/${slug}/settings/ai`} className={tabClass}>
            AI
          </NavLink>
        ) : null}
        {canManageTokens ? (
          <NavLink to={`/w/${slug}/settings/api-tokens`} className={tabClass}>
            API tokens
          </NavLink>
        ) : null}
        {canManageTokens ? (
          <NavLink to={`/w/${slug}/settings/webhooks`} className={tabClass}>
            Webhooks
          </NavLink>
        ) : null}
      </nav>
      <div className="mt-6">
        <Outlet />
      </div>
    </div>
  )
}
