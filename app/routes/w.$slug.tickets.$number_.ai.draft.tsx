import type { ActionFunctionArgs } from '@remix-run/node'
import { streamDraft } from '#app/ai/composer-assist.server.ts'
import { DraftRequestSchema } from '#app/ai/schemas.ts'
import { refusalResponse, sseResponse } from '#app/ai/sse.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'

/**
 * POST: streams a reply draft for the composer as text/event-stream (see app/ai/sse.server.ts).
 * A resource route: the origin check and body limit of every POST apply; a member of another
 * workspace gets 404 before anything is read.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const submission = parseSubmission(await readForm(request), { schema: DraftRequestSchema })
  if (submission.status !== 'success') {
    const message = Object.values(submission.error ?? {}).flat()[0] ?? 'Check the draft options'
    return Response.json({ error: message, reason: 'invalid-request' }, { status: 400 })
  }
  const input = submission.value
  const started = await streamDraft(
    member,
    number,
    {
      language: input.language ?? null,
      useNotes: input.useNotes === 'on',
      instruction: input.instruction || null,
      previousDraft: input.previousDraft?.trim() || null,
    },
    request.signal,
  )
  if (!started.ok) return refusalResponse(started)
  return sseResponse(started.deltas)
}
