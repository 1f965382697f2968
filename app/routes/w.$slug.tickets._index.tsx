import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Link, useActionData, useLoaderData } from '@remix-run/react'
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
import { BulkToolbar } from '#app/components/queue/bulk-toolbar.tsx'
import { QueueFilters } from '#app/components/queue/queue-filters.tsx'
import { QueuePagination, QueueViews } from '#app/components/queue/queue-nav.tsx'
import { QueueTable } from '#app/components/queue/queue-table.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import { loadQueue, parseQueueQuery, queueOptions, ticketNumberInQuery } from '#app/domain/queue.server.ts'
import { addTags, updateTickets, type UpdateOutcome } from '#app/domain/tickets.server.ts'
import { TicketStatus } from '#app/utils/ticket-schemas.ts'

export const meta: MetaFunction = () => [{ title: 'Inbox · Switchboard' }]

const MAX_BULK_TICKETS = 100

const bulkBase = {
  intent: z.literal('bulk'),
  ticketIds: z
    .array(z.uuid({ error: 'Select tickets from the list' }))
    .min(1, { error: 'Select at least one ticket' })
    .max(MAX_BULK_TICKETS, { error: `Select at most ${MAX_BULK_TICKETS} tickets at a time` }),
}

const BulkSchema = z.discriminatedUnion(
  'operation',
  [
    z.object({
      ...bulkBase,
      operation: z.literal('assign'),
      assignee: z.union([z.uuid(), z.literal('none')], { error: 'Choose a teammate' }),
    }),
    z.object({ ...bulkBase, operation: z.literal('status'), status: TicketStatus }),
    z.object({
      ...bulkBase,
      operation: z.literal('tag'),
      tag: z
        .string({ error: 'Type a tag' })
        .trim()
        .min(1, { error: 'Type a tag' })
        .max(50, { error: 'Use at most 50 characters' }),
    }),
  ],
  { error: 'Choose an action' },
)

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const query = parseQueueQuery(searchParamsOf(request))
  const number = ticketNumberInQuery(query.filters.q)
  if (number !== undefined) return redirect(`/w/${member.workspaceSlug}/tickets/${number}`)
  const [page, options] = await Promise.all([loadQueue(member, query), queueOptions(member)])
  const { filters } = query
  return {
    now: new Date().toISOString(),
    slug: member.workspaceSlug,
    workspaceId: member.workspaceId,
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
    page,
    options,
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const form = await readForm(request)
  const submission = parseSubmission(form, { schema: BulkSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply() }, { status: 400 })
  }
  const input = submission.value
  const actor = { workspaceId: member.workspaceId, userId: member.userId }
  let outcome: UpdateOutcome
  switch (input.operation) {
    case 'assign':
      outcome = await updateTickets(actor, input.ticketIds, {
        assigneeId: input.assignee === 'none' ? null : input.assignee,
      })
      break
    case 'status':
      if (input.ticketIds.length > BULK_CONFIRM_ABOVE && !isConfirmed(form)) {
        return askToConfirm({
          title: `Change the status of ${input.ticketIds.length} tickets to ${input.status}?`,
          description: 'Each ticket gets the new status; this is recorded in its activity.',
          confirmLabel: 'Set status',
          fields: [
            ['intent', 'bulk'],
            ['operation', 'status'],
            ['status', input.status],
            ...input.ticketIds.map((id): [string, string] => ['ticketIds', id]),
          ],
        })
      }
      outcome = await updateTickets(actor, input.ticketIds, { status: input.status })
      break
    case 'tag':
      outcome = await addTags(actor, input.ticketIds, [input.tag])
      break
  }
  if (outcome.kind === 'not-found') {
    const formErrors = ['Some of the selected tickets were not found. Nothing was changed.']
    return data({ result: submission.reply({ formErrors }) }, { status: 404 })
  }
  if (outcome.kind === 'unknown-assignee') {
    const fieldErrors = { assignee: ['Choose a member of this workspace'] }
    return data({ result: submission.reply({ fieldErrors }) }, { status: 400 })
  }
  context.realtime.publish(outcome.events, exceptPostingSocket(form))
  // Back to the same page of the queue, filters and all (`index` is Remix's marker for this route).
  const url = new URL(request.url)
  url.searchParams.delete('index')
  return redirect(url.pathname + url.search)
}

export default function Inbox() {
  const { now, slug, workspaceId, query, page, options } = useLoaderData<typeof loader>()
  const confirmStep = confirmStepOf(useActionData<typeof action>())
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  // New tickets, replies and changes by teammates refresh the page (and the navigation counts).
  useLiveEvents((event) => event.workspaceId === workspaceId)
  const viewing = useViewing(workspaceId)
  useRememberQueueUrl(slug)
  if (confirmStep) return <ConfirmStepPage step={confirmStep} />
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between gap-4">
        <h1 className="text-2xl font-semibold">Inbox</h1>
        <Link
          to={`/w/${slug}/tickets/new`}
          className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500"
        >
          New ticket
        </Link>
      </div>
      <QueueViews current={query.view} />
      <QueueFilters query={query} options={options} />
      <BulkToolbar options={options} lastResult={actionData?.result} />
      <QueueTable
        rows={page.rows}
        now={now}
        slug={slug}
        searching={Boolean(query.q)}
        lastResult={actionData?.result}
        viewing={viewing}
      />
      <QueuePagination nextCursor={page.nextCursor} prevCursor={page.prevCursor} />
    </div>
  )
}
