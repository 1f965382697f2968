import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { requireMember } from '#app/domain/guards.server.ts'
import { membersOf } from '#app/domain/workspaces.server.ts'
import { hasRole } from '#app/utils/roles.ts'

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const members = await membersOf(member.workspaceId)
  return {
    name: member.workspaceName,
    slug: member.workspaceSlug,
    userName: member.user.name,
    memberCount: members.length,
    canManage: hasRole(member.role, 'admin'),
  }
}

export default function WorkspaceHome() {
  const { name, slug, userName, memberCount, canManage } = useLoaderData<typeof loader>()
  return (
    <div className="max-w-3xl">
      <h1 className="text-2xl font-semibold">Welcome, {userName}</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        {name} has {memberCount} {memberCount === 1 ? 'member' : 'members'}. Your inbox is empty for now.
      </p>
      <ul className="mt-8 grid gap-4 sm:grid-cols-2">
        <li className="rounded-lg border border-slate-200 p-5 dark:border-slate-800">
          <h2 className="font-medium">Inbox</h2>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            Conversations with your customers will appear here.
          </p>
          <Link
            className="mt-3 inline-block text-sm text-indigo-600 underline dark:text-indigo-400"
            to={`/w/${slug}/tickets`}
          >
            Open the inbox
          </Link>
        </li>
        {canManage ? (
          <li className="rounded-lg border border-slate-200 p-5 dark:border-slate-800">
            <h2 className="font-medium">Invite your team</h2>
            <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
              Create invite links for teammates and choose their role.
            </p>
            <Link
              className="mt-3 inline-block text-sm text-indigo-600 underline dark:text-indigo-400"
              to={`/w/${slug}/settings/members`}
            >
              Manage members
            </Link>
          </li>
        ) : null}
      </ul>
    </div>
  )
}
