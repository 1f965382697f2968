import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { aiErrorUrl, retryAfterOf, TranslateRequestSchema } from '#app/ai/insight-schemas.ts'
import { translateMessage } from '#app/ai/translate.server.ts'
import { agentLanguageFrom } from '#app/ai/triage-vocabulary.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'

// The app's own forms post here with JavaScript, as `.data` requests (app/http/data-requests.server.ts).
export const handle = { dataRequests: true }

/**
 * POST {messageId}: translates a customer message into the agent's language (cached), then back
 * to the ticket, where the translation shows under the original. A plain form: works without JS.
 * A click behind another's call for the message comes back within CLICK_WAIT_MS (`ai-error=running`
 * when that call still runs: its translation then arrives live).
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const ticketUrl = `/w/${member.workspaceSlug}/tickets/${number}`
  const formData = await readForm(request)
  const submission = parseSubmission(formData, { schema: TranslateRequestSchema })
  if (submission.status !== 'success') throw notFound('Message not found')
  const { messageId } = submission.value
  const language = agentLanguageFrom(request.headers.get('accept-language'))
  const result = await translateMessage(member, number, messageId, language, request.signal)
  if (!result.ok)
    return redirect(aiErrorUrl(ticketUrl, result.reason, `m-${messageId}`, retryAfterOf(result)))
  context.realtime.publish(result.events, exceptPostingSocket(formData))
  return redirect(`${ticketUrl}#m-${messageId}`)
}

/**
 * The panel posts through a fetcher (useKeptPost): a post the network lost answers "Not saved"
 * there instead of replacing the ticket page.
 */
export const clientAction = keepPageWhenUnanswered
