import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { aiErrorUrl, TranslatedReplySchema } from '#app/ai/insight-schemas.ts'
import { replyInLanguage } from '#app/ai/translate.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'

// The app's own forms post here with JavaScript, as `.data` requests (app/http/data-requests.server.ts).
export const handle = { dataRequests: true }

/**
 * POST from the composer ("Send in <language>"): the reply goes out translated into the
 * customer's language and the agent's text stays as an internal note, in one transaction. The
 * ticket's CC list is copied as on any reply; attachments are not part of this send.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const ticketUrl = `/w/${member.workspaceSlug}/tickets/${number}`
  const formData = await readForm(request)
  const submission = parseSubmission(formData, { schema: TranslatedReplySchema })
  if (submission.status !== 'success') {
    return redirect(aiErrorUrl(ticketUrl, submission.error?.body ? 'empty' : 'invalid', 'reply'))
  }
  const { replyLanguage, ...reply } = submission.value
  const outcome = await replyInLanguage(member, number, { ...reply, language: replyLanguage }, request.signal)
  if ('reason' in outcome) return redirect(aiErrorUrl(ticketUrl, outcome.reason, 'reply'))
  if (outcome.kind === 'not-found') throw notFound('Ticket not found')
  if (outcome.kind === 'collision') return redirect(aiErrorUrl(ticketUrl, 'collision', 'reply'))
  // Nothing was sent; the composer keeps the draft, as after a collision.
  if (outcome.kind === 'email-limit') return redirect(aiErrorUrl(ticketUrl, 'email-limit', 'reply'))
  // A translated reply carries no files, so never the kept-files limit.
  if (outcome.kind === 'files-over-limit') throw new Error(outcome.message)
  context.realtime.publish(outcome.events, exceptPostingSocket(formData))
  return redirect(`${ticketUrl}#m-${outcome.messageId}`)
}
