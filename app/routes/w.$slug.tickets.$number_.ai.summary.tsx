import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { aiErrorUrl, retryAfterOf } from '#app/ai/insight-schemas.ts'
import { refreshSummary } from '#app/ai/summarize.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { readForm } from '#app/http/form-data.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'

// The app's own forms post here with JavaScript, as `.data` requests (app/http/data-requests.server.ts).
export const handle = { dataRequests: true }

/**
 * POST: summarizes the ticket again (the panel's Refresh/Summarize button, a plain form). A click
 * behind another's call for the ticket comes back within CLICK_WAIT_MS: with its summary, its
 * failure, or `ai-error=running` (the summary then arrives live: the storing click's event).
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  // The form carries no fields; reading it still refuses what is not a form (415).
  const formData = await readForm(request)
  const ticketUrl = `/w/${member.workspaceSlug}/tickets/${number}`
  const result = await refreshSummary(member, number, request.signal)
  if (!result.ok) return redirect(aiErrorUrl(ticketUrl, result.reason, 'summary', retryAfterOf(result)))
  context.realtime.publish(result.events, exceptPostingSocket(formData))
  return redirect(ticketUrl)
}

/**
 * The panel posts through a fetcher (useKeptPost): a post the network lost answers "Not saved"
 * there instead of replacing the ticket page.
 */
export const clientAction = keepPageWhenUnanswered
