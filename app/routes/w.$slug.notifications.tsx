import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { requireMember } from '#app/http/auth.server.ts'
import { markNotificationsRead } from '#app/domain/notifications.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { safeRedirect } from '#app/utils/redirect.ts'

const Schema = z.discriminatedUnion('intent', [
  // Without a number the notification is about the workspace (a disabled webhook endpoint).
  z.object({
    intent: z.literal('open'),
    id: z.uuid(),
    number: z.coerce.number().int().positive().optional(),
  }),
  z.object({ intent: z.literal('read-all') }),
])

export async function loader({ params }: ActionFunctionArgs) {
  return redirect(`/w/${params.slug}`)
}

/** Marks notifications read: one (then opens its ticket) or all (then back where the agent was). */
export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const submission = parseSubmission(await readForm(request), { schema: Schema })
  if (submission.status !== 'success') throw new Response('Invalid request', { status: 400 })
  if (submission.value.intent === 'open') {
    await markNotificationsRead(member.workspaceId, member.userId, [submission.value.id])
    const { number } = submission.value
    return redirect(
      number === undefined
        ? `/w/${member.workspaceSlug}/settings/webhooks`
        : `/w/${member.workspaceSlug}/tickets/${number}`,
    )
  }
  await markNotificationsRead(member.workspaceId, member.userId)
  return redirect(safeRedirect(refererPath(request), `/w/${member.workspaceSlug}`))
}

/** The path of the page the request came from; none when the header is absent or malformed. */
function refererPath(request: Request) {
  const referer = request.headers.get('referer')
  if (!referer || !URL.canParse(referer)) return null
  const url = new URL(referer)
  return url.pathname + url.search
}
