import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Link, useActionData, useLoaderData } from '@remix-run/react'
import { changesTicket, useLiveEvents } from '#app/components/live/use-live-events.ts'
import { useLastQueueUrl } from '#app/utils/last-queue.ts'
import { usePresence } from '#app/components/live/use-presence.ts'
import { PresenceBar } from '#app/components/ticket/presence-bar.tsx'
import { ActivityLog } from '#app/components/ticket/activity-log.tsx'
import { Composer, useComposerKey } from '#app/components/ticket/composer.tsx'
import { AiComposerTools } from '#app/components/ai/ai-composer-tools.tsx'
import { SimilarTickets } from '#app/components/ai/similar-tickets.tsx'
import { loadTicketAssist } from '#app/ai/ticket-assist.server.ts'
import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import { Thread } from '#app/components/ticket/thread.tsx'
import { TicketSidebar, type SidebarError } from '#app/components/ticket/ticket-sidebar.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { retryEmailDelivery } from '#app/domain/email.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import {
  changeTicket,
  fillCannedResponse,
  loadTicketPage,
  tagTicket,
  ticketNumberFrom,
  untagTicket,
} from '#app/domain/ticket-page.server.ts'
import type { UpdateOutcome } from '#app/domain/tickets.server.ts'
import { parseSubmission } from '#app/http/form-data.server.ts'
import { parseFormWithFiles } from '#app/http/uploads.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'
import {
  ComposerSchema,
  RetryDeliverySchema,
  SIDEBAR_INTENTS,
  SidebarSchema,
} from '#app/utils/ticket-page-schemas.ts'
import { PRIORITY_LABEL, STATUS_LABEL } from '#app/utils/vocabulary.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `#${data.ticket.number} ${data.ticket.subject} · Switchboard` : 'Ticket · Switchboard' },
]

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const [page, assist] = await Promise.all([loadTicketPage(member, number), loadTicketAssist(member, number)])
  return {
    ...page,
    assist,
    slug: member.workspaceSlug,
    me: { userId: member.userId, name: member.user.name },
    now: new Date().toISOString(),
  }
}

const isSidebarIntent = (intent: unknown) => SIDEBAR_INTENTS.some((i) => i === intent)

export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const ticketUrl = `/w/${member.workspaceSlug}/tickets/${number}`
  const upload = await parseFormWithFiles(request)
  const formData = upload.formData
  // Stored files come back in `upload.files`; the form keeps only the text fields.
  formData.delete('files')

  if (formData.get('intent') === 'retry-delivery') {
    // The Retry button of a reply whose email failed: the same email, queued again.
    const submission = parseSubmission(formData, { schema: RetryDeliverySchema })
    if (submission.status !== 'success') throw notFound('Message not found')
    const outcome = await retryEmailDelivery(member, number, submission.value.messageId)
    if (outcome.kind === 'not-found') throw notFound('Message not found')
    context.realtime.publish(outcome.events, exceptPostingSocket(formData))
    return redirect(ticketUrl)
  }

  if (isSidebarIntent(formData.get('intent'))) {
    const submission = parseSubmission(formData, { schema: SidebarSchema })
    if (submission.status !== 'success') {
      const field = Object.keys(submission.error ?? {}).find((k) => k !== 'intent' && k !== '')
      return sidebarRefusal({
        field: field === 'priority' || field === 'assigneeId' || field === 'status' ? field : 'tag',
        message: Object.values(submission.error ?? {}).flat()[0] ?? 'Check this value',
      })
    }
    const input = submission.value
    let outcome: UpdateOutcome
    if (input.intent === 'update') {
      const { status, priority, assigneeId } = input
      outcome = await changeTicket(member, number, {
        status,
        priority,
        assigneeId: assigneeId === 'none' ? null : assigneeId,
      })
    } else if (input.intent === 'add-tag') {
      outcome = await tagTicket(member, number, input.name)
    } else {
      outcome = await untagTicket(member, number, input.tagId)
    }
    if (outcome.kind === 'unknown-assignee') {
      return sidebarRefusal({ field: 'assigneeId', message: 'Choose a member of this workspace' })
    }
    if (outcome.kind === 'not-found') {
      return sidebarRefusal({ field: 'tag', message: 'That tag is not on this ticket' })
    }
    context.realtime.publish(outcome.events, exceptPostingSocket(formData))
    return redirect(ticketUrl)
  }

  const submission = parseSubmission(formData, { schema: ComposerSchema })
  if (!upload.ok) {
    // A field too large for the parser leaves no fields at all: report it for the whole form.
    const problem = formData.has('intent')
      ? { fieldErrors: { files: [upload.error] } }
      : { formErrors: [upload.error] }
    return data({ result: submission.reply(problem), collision: undefined }, { status: 400 })
  }
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), collision: undefined }, { status: 400 })
  }
  const input = submission.value
  switch (input.intent) {
    case 'review':
      // A 200 reloads the thread; the reply keeps the draft.
      return { result: submission.reply(), collision: undefined }
    case 'insert-canned': {
      const text = await fillCannedResponse(member, number, input.cannedId)
      if (text === undefined) {
        return data(
          {
            result: submission.reply({ fieldErrors: { cannedId: ['Choose a canned response'] } }),
            collision: undefined,
          },
          { status: 400 },
        )
      }
      const draft = input.body ? `${input.body}\n${text}` : text
      const withText = new FormData()
      for (const [key, value] of formData)
        if (key !== 'body' && key !== 'cannedId') withText.append(key, value)
      withText.set('intent', 'review')
      withText.set('body', draft)
      return { result: parseSubmission(withText, { schema: ComposerSchema }).reply(), collision: undefined }
    }
    case 'reply': {
      const outcome = await replyToTicket(member, number, {
        kind: input.kind,
        body: input.body,
        status: input.status,
        lastSeenMessageId: input.lastSeenMessageId,
        sendAnyway: input.sendAnyway === '1',
        files: upload.files,
        cc: input.ccShown ? (input.cc ?? []) : input.cc,
        bcc: input.bcc,
      })
      if (outcome.kind === 'not-found') throw notFound('Ticket not found')
      if (outcome.kind === 'collision') {
        return data({ result: submission.reply(), collision: outcome.newer }, { status: 409 })
      }
      context.realtime.publish(outcome.events, exceptPostingSocket(formData))
      return redirect(`${ticketUrl}#m-${outcome.messageId}`)
    }
  }
}

function sidebarRefusal(error: SidebarError) {
  return data({ sidebarError: error }, { status: 400 })
}

export default function TicketPage() {
  const page = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { ticket, thread, now } = page
  const composerData = actionData && 'result' in actionData ? actionData : undefined
  const sidebarError = actionData && 'sidebarError' in actionData ? actionData.sidebarError : undefined
  const latest = thread.at(-1)
  const { others, typing } = usePresence(ticket.id, page.me.userId)
  const backToQueue = useLastQueueUrl(page.slug)
  // Changes to this ticket from elsewhere (other agents, and this agent's other tabs: the
  // server skips only this tab's socket) refresh the thread and sidebar; the draft is untouched.
  useLiveEvents(changesTicket(ticket.id))
  const composerKey = useComposerKey()
  return (
    <div className="flex flex-col gap-8 lg:flex-row">
      <div className="min-w-0 flex-1 space-y-6">
        <header className="space-y-1">
          <p className="text-sm text-slate-500 dark:text-slate-400">
            <Link to={backToQueue} className="hover:underline">
              Inbox
            </Link>{' '}
            / #{ticket.number}
          </p>
          <h1 className="text-2xl font-semibold break-words">{ticket.subject}</h1>
          <PresenceBar others={others} />
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {ticket.customer.name
              ? `${ticket.customer.name} <${ticket.customer.email}>`
              : ticket.customer.email}
            {page.mailbox ? ` · ${page.mailbox.name}` : ''} · via {ticket.channel} · opened{' '}
            <RelativeTime iso={ticket.createdAt.toISOString()} now={now} /> · {STATUS_LABEL[ticket.status]} ·{' '}
            {PRIORITY_LABEL[ticket.priority]} priority
          </p>
        </header>
        <Thread messages={thread} slug={page.slug} now={now} />
        <Composer
          key={composerKey}
          latestMessageId={latest?.id}
          currentStatus={ticket.status}
          cannedResponses={page.cannedResponses}
          cannedContext={{
            customer: ticket.customer,
            agent: { name: page.me.name },
            ticket: { number: ticket.number, subject: ticket.subject },
          }}
          defaultCc={ticket.cc}
          lastResult={composerData?.result}
          onTyping={typing}
          aiTools={(body) =>
            page.assist ? (
              <AiComposerTools slug={page.slug} number={ticket.number} bodyRef={body} assist={page.assist} />
            ) : null
          }
          collision={composerData?.collision}
          now={now}
        />
      </div>
      <aside className="w-full shrink-0 space-y-8 lg:w-72">
        <TicketSidebar
          ticket={ticket}
          members={page.members}
          tags={page.tags}
          workspaceTags={page.workspaceTags}
          pageError={sidebarError}
        />
        {page.assist ? <SimilarTickets slug={page.slug} tickets={page.assist.similar} /> : null}
        <ActivityLog entries={page.activity} members={page.members} now={now} />
      </aside>
    </div>
  )
}
