import { data, redirect, type ActionFunctionArgs, type AppLoadContext } from '@remix-run/node'
import {
  aiErrorUrl,
  type TRIAGE_INTENTS,
  TriageApplySchema,
  TriageRunSchema,
} from '#app/ai/insight-schemas.ts'
import { applyTriageSuggestion, triageNow } from '#app/ai/triage.server.ts'
import { ticketNumberFrom } from '#app/domain/ticket-page.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm, UNKNOWN_INTENT_MESSAGE } from '#app/http/form-data.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'

// The app's own forms post here with JavaScript, as `.data` requests (app/http/data-requests.server.ts).
export const handle = { dataRequests: true }

type Posted = {
  member: Member
  number: number
  ticketUrl: string
  formData: FormData
  request: Request
  context: AppLoadContext
}

/**
 * A hand-edited or stale page: nothing to do, and nothing was changed. This route has no page of
 * its own, so a form posted without JavaScript gets the words as text (Remix answers a resource
 * route's `data()` with 200), and a fetcher's `.data` post gets them as data (a Response other
 * than a redirect is refused there: app/http/data-requests.server.ts).
 */
function unknownIntent(context: AppLoadContext) {
  if (context.dataRequest) return data({ error: UNKNOWN_INTENT_MESSAGE }, { status: 400 })
  return new Response(UNKNOWN_INTENT_MESSAGE, {
    status: 400,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  })
}

/** POST intent=apply {apply: priority | tag, tagId}: applies one stored triage suggestion (a chip). */
async function applySuggestion({ member, number, ticketUrl, formData, context }: Posted) {
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
 * POST intent=run: "Triage now" on a ticket the triage job skipped. A refusal (the workspace's
 * triage caps, the agent's AI limits, the budget) comes back to the ticket with its reason shown
 * next to the button. A click while another's call for the ticket runs (an agent's or the triage
 * job's) waits for it (CLICK_WAIT_MS at most) and comes back to the ticket showing its result,
 * or the reason it stored none; still running by then, it says so and the result arrives live.
 */
async function runTriageNow({ member, number, ticketUrl, formData, request, context }: Posted) {
  const submission = parseSubmission(formData, { schema: TriageRunSchema })
  if (submission.status !== 'success') return unknownIntent(context)
  const outcome = await triageNow(member, number, request.signal)
  if (outcome.kind === 'refused')
    return redirect(aiErrorUrl(ticketUrl, outcome.reason, 'triage', outcome.retryAfterSeconds))
  if (outcome.kind === 'running') return redirect(aiErrorUrl(ticketUrl, 'running', 'triage'))
  if (outcome.kind === 'triaged') context.realtime.publish(outcome.events, exceptPostingSocket(formData))
  return redirect(ticketUrl)
}

const INTENTS: Record<
  (typeof TRIAGE_INTENTS)[number],
  (posted: Posted) => Promise<Response | ReturnType<typeof unknownIntent>>
> = {
  apply: applySuggestion,
  run: runTriageNow,
}

const isIntent = (value: unknown): value is keyof typeof INTENTS =>
  typeof value === 'string' && Object.hasOwn(INTENTS, value)

export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const formData = await readForm(request)
  const intent = formData.get('intent')
  if (!isIntent(intent)) return unknownIntent(context)
  const ticketUrl = `/w/${member.workspaceSlug}/tickets/${number}`
  return INTENTS[intent]({ member, number, ticketUrl, formData, request, context })
}

/**
 * The panel posts through a fetcher (useKeptPost): a post the network lost answers "Not saved"
 * there instead of replacing the ticket page.
 */
export const clientAction = keepPageWhenUnanswered
