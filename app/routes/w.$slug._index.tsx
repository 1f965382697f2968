import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { useActionData, useLoaderData, useRouteLoaderData } from '@remix-run/react'
import { FormErrors } from '#app/components/ui/field.tsx'
import { PlainLink } from '#app/components/ui/plain-link.tsx'
import { GettingStarted } from '#app/components/getting-started.tsx'
import { hideChecklist } from '#app/domain/onboarding.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { readForm, UNKNOWN_INTENT_MESSAGE } from '#app/http/form-data.server.ts'
import { formatCount } from '#app/utils/format.ts'
import { hasRole } from '#app/utils/roles.ts'
import type { loader as layoutLoader } from './w.$slug.tsx'
import { homeForRequest } from './w.$slug.layout-data.server.ts'
import { leftWorkspaceName } from '#app/http/left-notice.server.ts'
import { Notice } from '#app/components/ui/notice.tsx'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const { memberCount, checklist } = await homeForRequest(member)
  return {
    name: member.workspaceName,
    slug: member.workspaceSlug,
    userName: member.user.name,
    memberCount,
    canManage: hasRole(member.role, 'admin'),
    checklist,
    /** The workspace the user just left, when leaving it brought them here (`?left=`). */
    left: leftWorkspaceName(request, member.userId),
  }
}

/** The home page's one form: hiding the getting-started checklist for this member. */
export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const form = await readForm(request)
  if (form.get('intent') !== 'dismiss-checklist') {
    return data({ error: UNKNOWN_INTENT_MESSAGE }, { status: 400 })
  }
  await hideChecklist(member)
  return redirect(`/w/${member.workspaceSlug}`)
}

/**
 * With JavaScript, a post that gets no answer (offline) keeps the page: its stand-in answer's
 * `error` (the not-saved message) shows where a refusal's does.
 */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function WorkspaceHome() {
  const { name, slug, userName, memberCount, canManage, checklist, left } = useLoaderData<typeof loader>()
  const refused = useActionData<typeof action>()
  // The layout's combined query already counted them; its loader runs with this one.
  const counts = useRouteLoaderData<typeof layoutLoader>('routes/w.$slug')?.counts ?? {
    mine: 0,
    unassigned: 0,
  }
  return (
    <div className="max-w-3xl">
      <Notice className="mb-4">{left ? `You left ${left}.` : null}</Notice>
      <h1 className="text-2xl font-semibold">Welcome, {userName}</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        {name} has {memberCount} {memberCount === 1 ? 'member' : 'members'}.{' '}
        {counts.mine === 0 && counts.unassigned === 0
          ? 'No open tickets need anyone right now.'
          : `${formatCount(counts.mine)} open ${counts.mine === 1 ? 'ticket is' : 'tickets are'} assigned to you; ${formatCount(counts.unassigned)} ${counts.unassigned === 1 ? 'is' : 'are'} unassigned.`}
      </p>
      {refused?.error ? <FormErrors id="home-error" errors={[refused.error]} /> : null}
      {checklist ? (
        <GettingStarted
          slug={slug}
          supportFormUrl={checklist.supportFormUrl}
          canManage={canManage}
          done={checklist.done}
        />
      ) : null}
      <ul className="mt-8 grid gap-4 sm:grid-cols-2">
        <li className="rounded-lg border border-slate-200 p-5 dark:border-slate-800">
          <h2 className="font-medium">Inbox</h2>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            Every conversation with your customers, shared by the team.
          </p>
          <PlainLink
            className="mt-3 inline-block text-sm text-indigo-600 underline dark:text-indigo-400"
            to={`/w/${slug}/tickets`}
          >
            Open the inbox
          </PlainLink>
        </li>
        {canManage ? (
          <li className="rounded-lg border border-slate-200 p-5 dark:border-slate-800">
            <h2 className="font-medium">Invite your team</h2>
            <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
              Create invite links for teammates and choose their role.
            </p>
            <PlainLink
              className="mt-3 inline-block text-sm text-indigo-600 underline dark:text-indigo-400"
              to={`/w/${slug}/settings/members`}
            >
              Manage members
            </PlainLink>
          </li>
        ) : null}
      </ul>
    </div>
  )
}
