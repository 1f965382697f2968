import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { useActionData, useLoaderData, useLocation } from '@remix-run/react'
import { useMemo, useRef, useState } from 'react'
import { z } from 'zod'
import { useLiveEvents } from '#app/components/live/use-live-events.ts'
import { parseSubmission, readForm, searchParamsOf } from '#app/http/form-data.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'
import { useRememberQueueUrl } from '#app/utils/last-queue.ts'
import { useViewing } from '#app/components/live/use-presence.ts'
import { ConfirmStepPage } from '#app/components/ui/confirm-dialog.tsx'
import {
  askToConfirm,
  BULK_CONFIRM_ABOVE,
  confirmStepOf,
  isConfirmed,
  withoutConfirmStep,
} from '#app/utils/confirmation.ts'
import { BulkResult } from '#app/components/queue/bulk-result.tsx'
import { BulkToolbar } from '#app/components/queue/bulk-toolbar.tsx'
import { QueueFilters } from '#app/components/queue/queue-filters.tsx'
import { QueuePagination, QueueViews } from '#app/components/queue/queue-nav.tsx'
import { QueueTable, type LeftSelection, type SelectionHandle } from '#app/components/queue/queue-table.tsx'
import { packRows, unpackRows } from '#app/components/queue/row-pack.ts'
import { PageLinkRefused } from '#app/components/ui/page-link-refused.tsx'
import { PlainLink } from '#app/components/ui/plain-link.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import {
  cursorRefused,
  hasTicketNumber,
  parseQueueQuery,
  searchUsedOnly,
  ticketNumberInQuery,
} from '#app/domain/queue.server.ts'
import { describeBulkResult, runBulkAction, undoBulkAction } from '#app/domain/bulk-actions.server.ts'
import { describeBulkSelection } from '#app/domain/bulk-selection.server.ts'
import { TagName } from '#app/utils/ticket-page-schemas.ts'
import { TicketStatus } from '#app/utils/ticket-schemas.ts'
import { STATUS_LABEL } from '#app/utils/vocabulary.ts'
import { fromJsonText, toJsonText } from '#app/utils/json-text.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { queueOptionsForRequest, queuePageForRequest } from './w.$slug.layout-data.server.ts'
import { UndoSendToasts } from '#app/components/ticket/undo-send.tsx'
import { heldReplyElsewhere } from '#app/domain/undo-send.server.ts'

export const meta: MetaFunction = () => [{ title: 'Inbox · Switchboard' }]

const MAX_BULK_TICKETS = 100

const ASSIGNEE_ERROR = 'Choose a teammate from the list'

const bulkBase = {
  intent: z.literal('bulk'),
  ticketIds: z
    .array(z.uuid({ error: 'Select tickets from the list' }))
    .min(1, { error: 'Select at least one ticket' })
    .max(MAX_BULK_TICKETS, { error: `Select at most ${MAX_BULK_TICKETS} tickets at a time` }),
}

const UndoBulkSchema = z.object({
  intent: z.literal('undo-bulk'),
  batchId: z.uuid({ error: 'Nothing to undo' }),
})

const BulkSchema = z.discriminatedUnion(
  'operation',
  [
    z.object({
      ...bulkBase,
      operation: z.literal('assign'),
      // Both messages: a union reports its closest option's own error ("Invalid UUID") otherwise.
      assignee: z.union([z.uuid({ error: ASSIGNEE_ERROR }), z.literal('none')], { error: ASSIGNEE_ERROR }),
    }),
    z.object({ ...bulkBase, operation: z.literal('status'), status: TicketStatus }),
    z.object({
      ...bulkBase,
      operation: z.literal('tag'),
      // The sidebar's own rules (no control characters, NFC, something visible).
      tag: TagName,
    }),
  ],
  { error: 'Choose an action' },
)

const UnknownIntentSchema = z.object({ intent: z.literal('bulk'), ticketIds: z.array(z.string()).optional() })

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const query = parseQueueQuery(searchParamsOf(request))
  const number = ticketNumberInQuery(query.filters.q)
  // `#123` opens ticket 123; a number the workspace has no ticket for is searched for as text,
  // with a note (it was a bare "Page not found").
  const jump = number !== undefined && (await hasTicketNumber(member, number))
  if (jump) return redirect(`/w/${member.workspaceSlug}/tickets/${number}`)
  const [page, options, bulkResult, heldReply] = await Promise.all([
    queuePageForRequest(member, query),
    queueOptionsForRequest(member),
    describeBulkResult(member, searchParamsOf(request).get('bulk')),
    // "Send & next" came back here (nothing followed): its reply can still be undone from here.
    heldReplyElsewhere(member, searchParamsOf(request).get('sent')),
  ])
  const { filters } = query
  // A page link that is not one of this list's pages: the first page, saying so, with a 400 (the
  // API's invalid-cursor). Before, another view's or sort's cursor was read as a position in this
  // list, and a forged one silently as the first page.
  const refused = cursorRefused(query)
  const answer = {
    now: new Date().toISOString(),
    slug: member.workspaceSlug,
    workspaceId: member.workspaceId,
    me: member.userId,
    query: {
      view: filters.view,
      explicitView: query.explicitView ?? null,
      mailbox: filters.mailboxId ?? '',
      status: filters.status ?? '',
      priority: filters.priority ?? '',
      assignee: filters.assigneeId ?? '',
      tag: filters.tagId ?? '',
      q: filters.q ?? '',
      sort: query.sort,
    },
    // The rows as one JSON text: turbo-stream writes one string instead of walking 25 objects;
    // each row an array of its values (row-pack.ts: its keys were a third of the text).
    page: {
      rows: toJsonText(packRows(page.rows)),
      nextCursor: page.nextCursor,
      prevCursor: page.prevCursor,
    },
    // The filters' and bulk toolbar's lists too (mailboxes, members, tags: about half of the
    // values turbo-stream would otherwise walk on every queue answer).
    options: toJsonText(options),
    bulkResult: bulkResult ?? null,
    heldReply: heldReply ?? null,
    noSuchTicket: number ?? null,
    searchUsedOnly: searchUsedOnly(filters.q),
    cursorRefused: refused,
  }
  return refused ? data(answer, { status: 400 }) : answer
}

type IntentArgs = {
  member: Awaited<ReturnType<typeof requireMember>>
  form: FormData
  request: Request
  context: ActionFunctionArgs['context']
}

/** The queue's forms: the bulk toolbar, and Undo in the toast or banner after a bulk action. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const form = await readForm(request)
  const intent = form.get('intent')
  const handle = intent === 'undo-bulk' ? undoBulk : intent === 'bulk' ? bulk : refuseUnknownIntent
  return handle({ member, form, request, context })
}

/** A hand-edited or stale form: the toolbar's form-level message, the selection kept. */
async function refuseUnknownIntent({ form }: IntentArgs) {
  // Read for the selection only: an `intent` other than 'bulk' is parseSubmission's form-level
  // UNKNOWN_INTENT_MESSAGE, and the ticket ids come back checked.
  const submission = parseSubmission(form, { schema: UnknownIntentSchema })
  return data({ result: submission.reply(), undo: null }, { status: 400 })
}

/** Back to the same page of the queue, filters and all, showing the result of `batchId`. */
function backToQueue(request: Request, batchId: string | null) {
  const url = new URL(request.url)
  url.searchParams.delete('index') // Remix's marker for this route
  url.searchParams.delete('bulk')
  if (batchId) url.searchParams.set('bulk', batchId)
  return redirect(url.pathname + url.search)
}

async function bulk({ member, form, request, context }: IntentArgs) {
  const submission = parseSubmission(form, { schema: BulkSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), undo: null }, { status: 400 })
  }
  const input = submission.value
  if (input.operation === 'status' && input.ticketIds.length > BULK_CONFIRM_ABOVE && !isConfirmed(form)) {
    // Named, not only counted; read in this workspace (an id of another one refuses the lot).
    const selection = await describeBulkSelection(member, input.ticketIds)
    if (selection.kind === 'not-found') return ticketsNotFound(submission)
    return askToConfirm({
      title: `Change the status of ${input.ticketIds.length} tickets to ${STATUS_LABEL[input.status]}?`,
      description: 'Each ticket gets the new status; this is recorded in its activity.',
      items: selection.items,
      confirmLabel: 'Set status',
      fields: [
        ['intent', 'bulk'],
        ['operation', 'status'],
        ['status', input.status],
        ...input.ticketIds.map((id): [string, string] => ['ticketIds', id]),
      ],
    })
  }
  const actor = { workspaceId: member.workspaceId, userId: member.userId }
  const outcome = await runBulkAction(
    actor,
    input.operation === 'assign'
      ? {
          operation: 'assign',
          ticketIds: input.ticketIds,
          assigneeId: input.assignee === 'none' ? null : input.assignee,
        }
      : input,
  )
  if (outcome.kind === 'not-found') return ticketsNotFound(submission)
  if (outcome.kind === 'unknown-assignee') {
    const fieldErrors = { assignee: ['Choose a member of this workspace'] }
    return data({ result: submission.reply({ fieldErrors }), undo: null }, { status: 400 })
  }
  context.realtime.publish(outcome.events, exceptPostingSocket(form))
  return backToQueue(request, outcome.batchId)
}

function ticketsNotFound(submission: ReturnType<typeof parseSubmission<typeof BulkSchema>>) {
  const formErrors = ['Some of the selected tickets were not found. Nothing was changed.']
  return data({ result: submission.reply({ formErrors }), undo: null }, { status: 404 })
}

const UNDO_REFUSAL = {
  'not-found': 'There is nothing to undo.',
  'already-undone': 'This action was already undone.',
  expired: 'This action is too old to undo.',
} as const

async function undoBulk({ member, form, request, context }: IntentArgs) {
  const submission = parseSubmission(form, { schema: UndoBulkSchema })
  if (submission.status !== 'success') {
    return data({ result: undefined, undo: { error: UNDO_REFUSAL['not-found'] } }, { status: 400 })
  }
  const actor = { workspaceId: member.workspaceId, userId: member.userId }
  const outcome = await undoBulkAction(actor, submission.value.batchId)
  if (outcome.kind !== 'undone') {
    return data(
      { result: undefined, undo: { error: UNDO_REFUSAL[outcome.kind] } },
      { status: outcome.kind === 'not-found' ? 404 : 409 },
    )
  }
  context.realtime.publish(outcome.events, exceptPostingSocket(form))
  return backToQueue(request, submission.value.batchId)
}

/**
 * With JavaScript, a bulk action or Undo that gets no answer (offline) says so where that form
 * shows its errors; the page, the selection and the toolbar's choices stay as they were.
 */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function Inbox() {
  const {
    now,
    slug,
    workspaceId,
    me,
    query,
    page,
    options,
    bulkResult,
    heldReply,
    noSuchTicket,
    searchUsedOnly,
    cursorRefused,
  } = useLoaderData<typeof loader>()
  const confirmStep = confirmStepOf(useActionData<typeof action>())
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  // New tickets, replies and changes by teammates refresh the page (and the navigation counts).
  // Not the agent's own draft saves (one a second as they type): no row changes with them.
  useLiveEvents((event) => event.workspaceId === workspaceId && event.type !== 'draft.saved')
  const viewing = useViewing(workspaceId)
  useRememberQueueUrl(slug)
  const rows = useMemo(() => unpackRows(fromJsonText(page.rows)), [page.rows])
  const lists = useMemo(() => fromJsonText(options), [options])
  const selection = useRef<SelectionHandle>(null)
  // Checked tickets a teammate's change took away, while this address is shown.
  const location = useLocation()
  const [left, setLeft] = useState<{ key: string; tickets: LeftSelection[] }>({ key: '', tickets: [] })
  const leftHere = left.key === location.key ? left.tickets : []
  if (confirmStep) return <ConfirmStepPage step={confirmStep} />
  const undoError = actionData && 'undo' in actionData ? actionData.undo?.error : undefined
  const bulkNotSent = unansweredErrors(actionData, 'bulk')
  return (
    // The bulk toolbar shows once a ticket is checked (CSS :has, so without JavaScript too).
    <div className="group/queue space-y-2">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
        <h1 className="text-xl font-semibold">Inbox</h1>
        <QueueViews current={query.view} />
        <PlainLink
          to={`/w/${slug}/tickets/new`}
          className="ml-auto rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-indigo-500"
        >
          New ticket
        </PlainLink>
      </div>
      <QueueFilters query={query} options={lists} />
      {noSuchTicket !== null ? (
        <p role="status" className="text-sm text-slate-700 dark:text-slate-300">
          There is no ticket #{noSuchTicket} in this workspace. Tickets matching “{query.q}” are listed below.
        </p>
      ) : null}
      {searchUsedOnly !== null ? (
        <p role="status" className="text-sm text-slate-700 dark:text-slate-300">
          Only the first {searchUsedOnly.length} characters of the search were used, up to “
          {searchUsedOnly.split(/\s+/).slice(-3).join(' ')}”.
        </p>
      ) : null}
      {cursorRefused ? <PageLinkRefused /> : null}
      <BulkResult
        result={bulkResult}
        undoError={undoError}
        undoNotSent={unansweredErrors(actionData, 'undo-bulk')?.join(' ')}
      />
      <QueueTable
        rows={rows}
        now={now}
        slug={slug}
        searching={Boolean(query.q)}
        lastResult={actionData?.result}
        keepSelection={Boolean(bulkNotSent)}
        viewing={viewing}
        selectionRef={selection}
        onSelectionLeft={(tickets) =>
          setLeft((shown) => ({
            key: location.key,
            tickets: [...(shown.key === location.key ? shown.tickets : []), ...tickets],
          }))
        }
      />
      <QueuePagination nextCursor={page.nextCursor} prevCursor={page.prevCursor} />
      {/* After the rows: it floats at the window's bottom over them, and takes its own room at the end. */}
      <BulkToolbar
        options={lists}
        me={me}
        lastResult={actionData?.result}
        notSent={bulkNotSent}
        left={leftHere}
        onDismissLeft={() => setLeft({ key: '', tickets: [] })}
        onClear={() => selection.current?.clear()}
        className="hidden group-has-[input[name=ticketIds]:checked]/queue:block"
      />
      {heldReply ? (
        <UndoSendToasts
          held={[
            {
              messageId: heldReply.messageId,
              heldUntil: heldReply.heldUntil,
              ticketNumber: heldReply.number,
            },
          ]}
          now={now}
          slug={slug}
        />
      ) : null}
    </div>
  )
}
