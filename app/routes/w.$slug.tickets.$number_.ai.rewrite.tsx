import type { ActionFunctionArgs } from '@remix-run/node'
import { rewriteText } from '#app/ai/composer-assist.server.ts'
import { RewriteRequestSchema } from '#app/ai/schemas.ts'
import { refusalResponse } from '#app/ai/sse.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'

/** POST: the composer's text rewritten ({text}); the composer previews it with Accept / Discard. */
export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const submission = parseSubmission(await readForm(request), { schema: RewriteRequestSchema })
  if (submission.status !== 'success') {
    const message = Object.values(submission.error ?? {}).flat()[0] ?? 'Check the rewrite options'
    return Response.json({ error: message, reason: 'invalid-request' }, { status: 400 })
  }
  const { mode, text, language } = submission.value
  const result = await rewriteText(member, number, { mode, text, language: language ?? null }, request.signal)
  if (!result.ok) return refusalResponse(result)
  return Response.json({ text: result.value.text }, { headers: { 'cache-control': 'no-store' } })
}
