import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node'
import { draftTicketExists, loadOwnDraft, saveDraft } from '#app/domain/drafts.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { DraftSchema, translationOf } from '#app/utils/ticket-page-schemas.ts'

/**
 * GET: the agent's own draft of this ticket as JSON (`{ draft, generation, revision }`, draft null
 * when there is no text), for the composer's "Load it" after another tab or device saved over what
 * it showed. A plain `fetch` target (no page); another workspace's ticket is a 404.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const own = await loadOwnDraft(member, ticketNumberFrom(params.number))
  if (!own) throw notFound('Ticket not found')
  return Response.json(own, { headers: { 'Cache-Control': 'no-store' } })
}

/**
 * POST: the composer's draft for this ticket (debounced as the agent types, and by
 * `fetch(…, { keepalive: true })` when they leave the page). Same-origin only, like every POST
 * (the origin check in app/http); 204 when saved, with the draft's new revision in
 * `Draft-Revision` (absent: no draft left); 200 `{ ignored: true, generation, revision }` when the
 * save carries an older draft generation than the server's (it was sent, or an Undo send restored
 * it, since; the composer saves what it shows under those next); 409 `{ stale: true, generation,
 * revision }` when the draft holds text another tab or device saved since the revision the save
 * says it saw (nothing written: the composer asks "Load it" or "Keep mine", which saves with
 * that revision); 400 with the field errors when refused (a bad CC or BCC address too: nothing
 * written). The post carries what the reply's CC, BCC and "Then set status" show, stored with the
 * text. Text tells the agent's other tabs (`draft.saved`), and empty text empties the draft and
 * tells them too (`draft.cleared`).
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const submission = parseSubmission(await readForm(request), { schema: DraftSchema })
  if (submission.status !== 'success') {
    // Another workspace's ticket (or none) is a 404 whatever the form says.
    if (!(await draftTicketExists(member, number))) throw notFound('Ticket not found')
    // Response.json, not data(): with single fetch, Remix answers a resource route's data() with
    // 200 whatever its status, and the composer took a refusal for a save.
    return Response.json({ error: submission.error }, { status: 400 })
  }
  const outcome = await saveDraft(member, number, {
    body: submission.value.body ?? '',
    kind: submission.value.kind,
    generation: submission.value.generation,
    translation: translationOf(submission.value),
    cc: submission.value.ccShown ? submission.value.cc : null,
    bcc: submission.value.bcc,
    status: submission.value.status ?? null,
    seen: submission.value.revision,
    writer: submission.value.writer,
  })
  if (outcome.kind === 'not-found') throw notFound('Ticket not found')
  // A save from before a send (or an Undo send) of this draft: nothing written, and nothing wrong.
  if (outcome.kind === 'ignored') {
    return Response.json({ ignored: true, generation: outcome.generation, revision: outcome.revision })
  }
  // Another tab's or device's text is the draft now: kept; the composer asks the agent.
  if (outcome.kind === 'stale') {
    return Response.json(
      { stale: true, generation: outcome.generation, revision: outcome.revision },
      { status: 409 },
    )
  }
  context.realtime.publish(outcome.events)
  return new Response(null, {
    status: 204,
    headers: outcome.revision ? { 'Draft-Revision': outcome.revision } : {},
  })
}
