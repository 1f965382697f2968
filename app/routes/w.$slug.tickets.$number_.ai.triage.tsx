import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { aiErrorUrl, TriageApplySchema } from '#app/ai/insight-schemas.ts'
import { applyTriageSuggestion } from '#app/ai/triage.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'

/** POST {apply: priority | tag, tagId}: applies one stored triage suggestion (a chip). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const ticketUrl = `/w/${member.workspaceSlug}/tickets/${number}`
  const formData = await readForm(request)
  const submission = parseSubmission(formData, { schema: TriageApplySchema })
  if (submission.status !== 'success') return redirect(aiErrorUrl(ticketUrl, 'no-suggestion', 'triage'))
  const choice =
    submission.value.apply === 'priority'
      ? ({ kind: 'priority' } as const)
      : ({ kind: 'tag', tagId: submission.value.tagId } as const)
  const outcome = await applyTriageSuggestion(member, number, choice)
  if (outcome.kind !== 'updated') return redirect(aiErrorUrl(ticketUrl, 'no-suggestion', 'triage'))
  context.realtime.publish(outcome.events, exceptPostingSocket(formData))
  return redirect(ticketUrl)
}

/**
 * The panel posts through a fetcher (useKeptPost): a post the network lost answers "Not saved"
 * there instead of replacing the ticket page.
 */
export const clientAction = keepPageWhenUnanswered
