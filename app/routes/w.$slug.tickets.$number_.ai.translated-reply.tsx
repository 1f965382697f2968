import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { AI_MESSAGES } from '#app/ai/features.ts'
import { aiErrorUrl, ReplyTranslationSchema, retryAfterOf } from '#app/ai/insight-schemas.ts'
import { refusalResponse } from '#app/ai/sse.server.ts'
import { translateReplyIntoDraft } from '#app/ai/translate.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { translationOf } from '#app/utils/ticket-page-schemas.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'

// A page whose module predates "Translate to" may still post here as a `.data` request.
export const handle = { dataRequests: true }

/**
 * POST from the composer ("Translate to <language>"): the agent's text translated into the
 * customer's language and saved as their draft of the ticket, their own text kept with it.
 * Nothing is sent: the agent reviews the translation in the composer and sends it with the
 * composer's Send, which keeps the original as an internal note.
 *
 * With JavaScript the composer posts here with `fetch` (`accept: application/json`) and gets
 * `{ text, original, language }`, or `{ error, reason }` with the refusal's status; nothing is
 * saved (the composer shows it, and its autosave saves it with the original). Without it, the
 * composer's form posts here, the translation is saved as the draft, and the answer redirects back
 * to the ticket, whose composer shows the draft (or the refusal next to the button,
 * `?ai-error=…&ai-for=reply`). A composer that shows a translation into this language already
 * (its `translatedFrom`, `translationLanguage`, `translationText`, the text still derived from the
 * latter) is refused (`already-translated`), calling nobody.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const ticketUrl = `/w/${member.workspaceSlug}/tickets/${number}`
  const asJson = request.headers.get('accept')?.includes('application/json') === true
  const submission = parseSubmission(await readForm(request), { schema: ReplyTranslationSchema })
  if (submission.status !== 'success') {
    const reason = submission.error?.body
      ? submission.error.body.includes('too-long')
        ? 'too-long'
        : 'empty'
      : 'invalid'
    if (asJson) return Response.json({ error: reasonText(reason), reason }, { status: 400 })
    return redirect(aiErrorUrl(ticketUrl, reason, 'reply'))
  }
  const { body, replyLanguage, draftGeneration } = submission.value
  const outcome = await translateReplyIntoDraft(
    member,
    number,
    {
      body,
      language: replyLanguage,
      // A text the agent replaced with their own words is no longer the translation: translated
      // as theirs, not refused (the refusal left Restore original, which threw it away, the only way on).
      shown: translationOf({ kind: 'reply', ...submission.value }),
      // With JavaScript the composer shows the answer and its autosave saves it.
      save: !asJson,
      generation: draftGeneration,
    },
    request.signal,
  )
  if (!outcome.ok) {
    if (!asJson) return redirect(aiErrorUrl(ticketUrl, outcome.reason, 'reply', retryAfterOf(outcome)))
    if (outcome.reason !== 'running' && outcome.reason !== 'already-translated')
      return refusalResponse(outcome)
    return Response.json({ error: outcome.message, reason: outcome.reason }, { status: 409 })
  }
  if (asJson) {
    const { text, original, language } = outcome
    return Response.json({ text, original, language }, { headers: { 'cache-control': 'no-store' } })
  }
  return redirect(`${ticketUrl}#composer`)
}

function reasonText(reason: string) {
  if (reason === 'too-long') return AI_MESSAGES.replyTooLongToTranslate
  return reason === 'empty' ? 'Write something first' : 'Check the translation request'
}
