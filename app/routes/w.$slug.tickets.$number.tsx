import {
  data,
  redirect,
  type ActionFunctionArgs,
  type AppLoadContext,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Link, useActionData, useLoaderData, useNavigate } from '@remix-run/react'
import { changesTicket, useLiveEvents } from '#app/components/live/use-live-events.ts'
import { ticketHref, useLastQueueUrl, useRememberQueueTicket } from '#app/utils/last-queue.ts'
import { usePresence } from '#app/components/live/use-presence.ts'
import { PresenceBar } from '#app/components/ticket/presence-bar.tsx'
import { TeammateDrafts } from '#app/components/ticket/teammate-drafts.tsx'
import { ReplyJump } from '#app/components/ticket/reply-jump.tsx'
import { UndoSendToasts } from '#app/components/ticket/undo-send.tsx'
import { heldReplyElsewhere, undoReply } from '#app/domain/undo-send.server.ts'
import { ticketDraftsFrom } from '#app/domain/drafts.server.ts'
import { describeActivity } from '#app/utils/activity.ts'
import { useOpenAtNewest } from '#app/components/ticket/use-open-at-newest.ts'
import {
  Composer,
  useComposerKey,
  useResetAfterSentWithoutRedirect,
} from '#app/components/ticket/composer.tsx'
import { AiComposerTools } from '#app/components/ai/ai-composer-tools.tsx'
import { SimilarTickets } from '#app/components/ai/similar-tickets.tsx'
import { loadTicketAi, ticketAiViews } from '#app/ai/ticket-insights.server.ts'
import { agentLanguageFrom } from '#app/ai/triage-vocabulary.ts'
import { MessageTranslation } from '#app/components/ai/message-translation.tsx'
import { SummaryPanel } from '#app/components/ai/summary-panel.tsx'
import { TranslatedReplyButton } from '#app/components/ai/translated-reply-button.tsx'
import { TriagePanel } from '#app/components/ai/triage-panel.tsx'
import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import { Thread } from '#app/components/ticket/thread.tsx'
import { EarlierMessages, LatestMessagesLink } from '#app/components/ticket/earlier-messages.tsx'
import { useEarlierMessages } from '#app/components/ticket/use-earlier-messages.ts'
import {
  TicketSidebar,
  type SidebarError,
  type SidebarField,
} from '#app/components/ticket/ticket-sidebar.tsx'
import { CustomerCard } from '#app/components/ticket/customer-card.tsx'
import { customerCardFrom } from '#app/domain/customer-profile.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { retryEmailDelivery } from '#app/domain/email.server.ts'
import { replyLimitOpen, replyLimitRefusal, replyToTicket } from '#app/domain/messages.server.ts'
import { outboundLimitMessage, type OutboundLimited } from '#app/domain/outbound-email-limit.server.ts'
import {
  changeTicket,
  fillCannedResponse,
  loadTicketPage,
  nextTicketInQueue,
  tagTicket,
  threadPageFrom,
  ticketNumberFrom,
  untagTicket,
} from '#app/domain/ticket-page.server.ts'
import type { UpdateOutcome } from '#app/domain/tickets.server.ts'
import { parseSubmission, searchParamsOf } from '#app/http/form-data.server.ts'
import { parseFormWithFiles, type ParsedUpload } from '#app/http/uploads.server.ts'
import { exceptPostingSocket } from '#app/realtime/protocol.ts'
import {
  AddTagSchema,
  ComposerSchema,
  QueueFrom,
  RemoveTagSchema,
  ReplyRecipientsSchema,
  RetryDeliverySchema,
  translationOf,
  UndoSendSchema,
  UpdateTicketSchema,
} from '#app/utils/ticket-page-schemas.ts'
import { PRIORITY_LABEL, STATUS_LABEL } from '#app/utils/vocabulary.ts'
import { useShortcuts } from '#app/utils/use-shortcuts.ts'
import { ChevronLeft, ChevronRight } from '#app/components/ui/icons.tsx'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { isConfirmed } from '#app/utils/confirmation.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import type { StoredFile } from '#app/domain/tickets.server.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `#${data.ticket.number} ${data.ticket.subject} · Switchboard` : 'Ticket · Switchboard' },
]

/**
 * The page's reads are one statement (loadTicketPage: the ticket, a 404 if it is not this
 * workspace's, a page of the thread (`?before=<id>`: the one before that message), fields, AI
 * state, drafts with held replies, the customer card); the AI views then combine with the
 * thread's length and the tags it read. Similar tickets load after the page (their own route,
 * /similar), earlier pages of the thread when asked for (…/earlier).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  const search = searchParamsOf(request)
  const from = QueueFrom.safeParse(search.get('from') ?? undefined)
  const agentLanguage = agentLanguageFrom(request.headers.get('accept-language'))
  const {
    ai: aiState,
    composer,
    customer,
    ...page
  } = await loadTicketPage(member, number, { page: threadPageFrom(search), language: agentLanguage })
  const ai = await loadTicketAi(member, aiState, agentLanguage)
  const { assist, insights } = ticketAiViews(ai, {
    ticket: page.ticket,
    tagIds: page.tags.map((t) => t.id),
    thread: { length: page.messageCount, lastMessageId: page.newestMessageId },
  })
  const { held: heldHere, ...drafts } = ticketDraftsFrom(member, composer)
  // "Send & next" landed here: its reply, still in its undo window, can be undone from here.
  const elsewhere = search.has('sent') ? await heldReplyElsewhere(member, search.get('sent')) : undefined
  const held: Array<{ messageId: string; heldUntil: Date | null; ticketNumber?: number }> =
    elsewhere && elsewhere.number !== number
      ? [
          ...heldHere,
          { messageId: elsewhere.messageId, heldUntil: elsewhere.heldUntil, ticketNumber: elsewhere.number },
        ]
      : heldHere
  return {
    ...page,
    customer: customerCardFrom(customer),
    drafts,
    held,
    assist,
    insights,
    slug: member.workspaceSlug,
    /** The queue the agent came from (its query string), for "Send & next" and the Inbox link. */
    from: from.success ? (from.data ?? null) : null,
    me: { userId: member.userId, name: member.user.name },
    now: new Date().toISOString(),
  }
}

/** What every intent's handler gets: the guarded member, the ticket, the form as read once. */
type IntentArgs = {
  member: Awaited<ReturnType<typeof requireMember>>
  number: number
  ticketUrl: string
  upload: ParsedUpload
  context: AppLoadContext
}

/**
 * The ticket page's forms (composer, sidebar, the Retry button) post here with an `intent`. The
 * guard runs and the body is read once; then the intent's own handler parses, makes one domain
 * call and responds. An unknown or missing intent is a 400.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const number = ticketNumberFrom(params.number)
  // A reply over the workspace's hourly customer emails is answered without its files written:
  // judged with the kind, CC and BCC, which the composer sends before its files (a post with a
  // file before them is refused).
  const upload = await parseFormWithFiles(request, {
    fieldsBeforeFiles: ['kind'],
    optionalFieldsBeforeFiles: ['ccShown', 'cc', 'bcc'],
    admitFiles: (fields) => admitReplyFiles(member, number, fields),
  })
  // Stored files come back in `upload.files`; the form keeps only the text fields.
  upload.formData.delete('files')
  const intent = upload.formData.get('intent')
  const handle = isIntent(intent) ? INTENTS[intent] : refuseUnknownIntent
  // Back to the ticket with the queue it was opened from (`?from=`): the Inbox link, Previous/Next
  // and Send & next keep their view after a change made without JavaScript (the form posts to the
  // page's address, query included; the redirect dropped it).
  const from = QueueFrom.safeParse(searchParamsOf(request).get('from') ?? undefined)
  const fromQuery = from.success && from.data ? `?${new URLSearchParams({ from: from.data })}` : ''
  return handle({
    member,
    number,
    ticketUrl: `/w/${member.workspaceSlug}/tickets/${number}${fromQuery}`,
    upload,
    context,
  })
}

/**
 * Asked before the first file is written, with the fields before it (the composer sends the kind,
 * CC and BCC before its files, its buttons after; a note rendered without JavaScript and switched
 * to a reply sends no CC or BCC: the ticket's list): a reply's files are written only when the
 * hour has room for its recipients. A file before the kind, or a CC or BCC after a file, is
 * refused by parseFormWithFiles. Notes, another intent, and a post whose fields cannot tell (a bad
 * CC) are admitted, and the handler decides as before.
 */
async function admitReplyFiles(member: IntentArgs['member'], number: number, fields: FormData) {
  const intent = fields.get('intent')
  if (intent !== null && intent !== 'reply' && intent !== 'reply-next') return true
  // As Conform reads them: an empty field is an absent one.
  const values = Object.fromEntries([...fields].filter(([, value]) => value !== ''))
  const parsed = ReplyRecipientsSchema.safeParse(values)
  if (!parsed.success || parsed.data.kind !== 'reply') return true
  return replyLimitOpen(member, number, replyCopies(parsed.data))
}

/** The reply's CC (undefined: the ticket's list, reply-all) and BCC, as the composer sent them. */
function replyCopies(input: { cc?: string[]; bcc?: string[]; ccShown?: '1' }) {
  return { cc: input.ccShown ? (input.cc ?? []) : input.cc, bcc: input.bcc }
}

/** After a post that never reached the server, nothing is loaded again (offline, that failed too). */
export const shouldRevalidate = unlessActionNeverArrived

/**
 * With JavaScript, every form of the page posts through here. A send that never got an answer
 * (network down, timeout, a 5xx from us or a proxy) comes back as `sendFailed` instead of
 * replacing the page with the ErrorBoundary: the composer keeps its text and files and offers
 * Retry. Redirects (the send went through) and 4xx refusals (404, 403) keep their usual path.
 */
export const clientAction = keepPageWhenUnanswered

/**
 * The reply or note: sent unless someone else wrote meanwhile (409 with their messages).
 * "Send & next" (`reply-next`) then goes to the next ticket of the queue the agent came from
 * (looked up before the reply, which may take this ticket out of that view), or back to that
 * queue when nothing follows.
 */
async function handleReply(args: IntentArgs) {
  const parsed = parseComposer(args)
  if (!parsed.ok) return parsed.refusal
  const { submission, input, files } = parsed
  if (input.intent !== 'reply' && input.intent !== 'reply-next') return composerRefusal(submission)
  if (!parsed.admitted) return replyFilesNotAdmitted(args, submission, input, files)
  // Re-encoded, so only a well-formed query string reaches the redirect's Location.
  const from = input.intent === 'reply-next' ? new URLSearchParams(input.from ?? '').toString() : undefined
  const next = from === undefined ? undefined : await nextTicketInQueue(args.member, args.number, from)
  const outcome = await replyToTicket(args.member, args.number, {
    kind: input.kind,
    body: input.body,
    status: input.status,
    lastSeenMessageId: input.lastSeenMessageId,
    sendAnyway: input.sendAnyway === '1',
    files,
    keepFiles: input.keepFile,
    ...replyCopies(input),
    ...translatedFrom(input),
    undoable: true,
  })
  if (outcome.kind === 'not-found') throw notFound('Ticket not found')
  if (outcome.kind === 'collision') {
    return data(
      { result: submission.reply(), collision: outcome.newer, collisionNotShown: outcome.notShown },
      { status: 409 },
    )
  }
  if (outcome.kind === 'files-over-limit') {
    return composerRefusal(submission, { fieldErrors: { files: [outcome.message] } }, files)
  }
  if (outcome.kind === 'email-limit') return emailLimitRefusal(submission, outcome, files)
  args.context.realtime.publish(outcome.events, exceptPostingSocket(args.upload.formData))
  if (from === undefined) return redirect(`${args.ticketUrl}#m-${outcome.messageId}`)
  // The page it lands on offers Undo for a held reply (`sent`: heldReplyElsewhere).
  const sent = outcome.held ? outcome.messageId : undefined
  const queue = `/w/${args.member.workspaceSlug}/tickets`
  if (next === undefined) {
    const search = new URLSearchParams(from)
    if (sent) search.set('sent', sent)
    return redirect(search.size > 0 ? `${queue}?${search}` : queue)
  }
  return redirect(ticketHref(args.member.workspaceSlug, next.number, next.from, sent))
}

/**
 * The reply is the AI translation the agent reviewed: their own text, kept as a note when it is
 * sent. Not when its text is no longer the translation (the note would say so falsely).
 */
function translatedFrom(input: Parameters<typeof translationOf>[0]) {
  const translation = translationOf(input)
  return translation ? { translatedFrom: translation } : {}
}

type ComposerSubmission = ReturnType<typeof parseSubmission<typeof ComposerSchema>>

/** The hour's customer emails are used up: 429, the draft kept, the files named to attach again. */
function emailLimitRefusal(submission: ComposerSubmission, limited: OutboundLimited, files: StoredFile[]) {
  return composerRefusal(submission, { fieldErrors: { body: [outboundLimitMessage(limited)] } }, files, {
    status: 429,
    headers: { 'retry-after': String(limited.retryAfterSeconds) },
  })
}

/**
 * A reply whose files were not written (admitReplyFiles found the hour spent): the same refusal as
 * a send over the limit. Should the hour have room by now, nothing is sent either (its files are
 * gone): a 409 asks to attach them again.
 */
async function replyFilesNotAdmitted(
  args: IntentArgs,
  submission: ComposerSubmission,
  input: { cc?: string[]; bcc?: string[]; ccShown?: '1' },
  files: StoredFile[],
) {
  const limited = await replyLimitRefusal(args.member, args.number, replyCopies(input))
  if (limited) return emailLimitRefusal(submission, limited, files)
  const message =
    'Not sent: the hourly email limit had no room when your files arrived. Attach them again and send.'
  return composerRefusal(submission, { fieldErrors: { files: [message] } }, files, { status: 409 })
}

/** "Review" after a collision: a 200 reloads the thread, and the reply keeps the draft. */
async function handleReview(args: IntentArgs) {
  const parsed = parseComposer(args)
  if (!parsed.ok) return parsed.refusal
  return { result: parsed.submission.reply(), collision: undefined }
}

/** Without JavaScript: the chosen canned response is appended to the draft, which comes back. */
async function handleInsertCanned(args: IntentArgs) {
  const parsed = parseComposer(args)
  if (!parsed.ok) return parsed.refusal
  const { submission, input } = parsed
  if (input.intent !== 'insert-canned') return composerRefusal(submission)
  const text = await fillCannedResponse(args.member, args.number, input.cannedId)
  if (text === undefined) {
    return composerRefusal(submission, { fieldErrors: { cannedId: ['Choose a canned response'] } })
  }
  const draft = input.body ? `${input.body}\n${text}` : text
  const withText = new FormData()
  for (const [key, value] of args.upload.formData)
    if (key !== 'body' && key !== 'cannedId') withText.append(key, value)
  withText.set('intent', 'review')
  withText.set('body', draft)
  return { result: parseSubmission(withText, { schema: ComposerSchema }).reply(), collision: undefined }
}

/** The sidebar's status, priority and assignee controls. `none` unassigns. */
async function handleUpdate(args: IntentArgs) {
  const submission = parseSubmission(args.upload.formData, { schema: UpdateTicketSchema })
  if (submission.status !== 'success') return sidebarFieldRefusal(submission.error, UPDATE_FIELDS)
  const { status, priority, assigneeId } = submission.value
  const outcome = await changeTicket(args.member, args.number, {
    status,
    priority,
    assigneeId: assigneeId === 'none' ? null : assigneeId,
  })
  return sidebarResponse(args, outcome)
}

async function handleAddTag(args: IntentArgs) {
  const submission = parseSubmission(args.upload.formData, { schema: AddTagSchema })
  if (submission.status !== 'success') {
    // Without JavaScript the page is drawn anew: the name stays in the field beside its message.
    const typed = args.upload.formData.get('name')
    return sidebarFieldRefusal(submission.error, ['tag'], typeof typed === 'string' ? { typed } : {})
  }
  return sidebarResponse(args, await tagTicket(args.member, args.number, submission.value.name))
}

async function handleRemoveTag(args: IntentArgs) {
  const submission = parseSubmission(args.upload.formData, { schema: RemoveTagSchema })
  const tagId = args.upload.formData.get('tagId')
  // The chip whose × sent it shows the error (by its id; under the tag list if none matches).
  const where = { tagId: typeof tagId === 'string' ? tagId : undefined }
  if (submission.status !== 'success') return sidebarFieldRefusal(submission.error, ['removeTag'], where)
  const outcome = await untagTicket(args.member, args.number, submission.value.tagId)
  if (outcome.kind === 'not-found') {
    return sidebarRefusal({ field: 'removeTag', message: 'That tag is not on this ticket', ...where })
  }
  return sidebarResponse(args, outcome)
}

/**
 * The Retry button of a reply whose email failed: the same email, queued again. One SendGrid may
 * already have (its last attempt got no answer) is queued only with `confirmed=1`: without it a
 * 409 asks, next to that reply's Retry, whether to send it anyway. A Retry of an email no longer
 * failed (a second submit, an event meanwhile) queues nothing and shows the page.
 */
async function handleRetryDelivery(args: IntentArgs) {
  const submission = parseSubmission(args.upload.formData, { schema: RetryDeliverySchema })
  if (submission.status !== 'success') throw notFound('Message not found')
  const { messageId } = submission.value
  const outcome = await retryEmailDelivery(args.member, args.number, messageId, {
    confirmed: isConfirmed(args.upload.formData),
  })
  if (outcome.kind === 'not-found') throw notFound('Message not found')
  if (outcome.kind === 'needs-confirmation') {
    return data({ retryNeedsConfirmation: messageId }, { status: 409 })
  }
  if (outcome.kind === 'queued') {
    args.context.realtime.publish(outcome.events, exceptPostingSocket(args.upload.formData))
  }
  return redirect(args.ticketUrl)
}

const INTENTS = {
  reply: handleReply,
  'reply-next': handleReply,
  review: handleReview,
  'insert-canned': handleInsertCanned,
  update: handleUpdate,
  'add-tag': handleAddTag,
  'remove-tag': handleRemoveTag,
  'retry-delivery': handleRetryDelivery,
  'undo-send': handleUndoSend,
}

/**
 * Undo send: the held reply is taken back and restored whole as the draft (text, CC, BCC, status
 * choice, files kept on the server); the redirect's `#undone-…` remounts the composer with it. The
 * status the send set is put back (published) unless it changed since. Too late (the email job took it): a 409 notice.
 */
async function handleUndoSend(args: IntentArgs) {
  const submission = parseSubmission(args.upload.formData, { schema: UndoSendSchema })
  if (submission.status !== 'success') throw notFound('Message not found')
  const outcome = await undoReply(args.member, args.number, submission.value.messageId)
  if (outcome.kind === 'too-late') {
    return data({ undoTooLate: true as const }, { status: 409 })
  }
  args.context.realtime.publish(outcome.events, exceptPostingSocket(args.upload.formData))
  return redirect(`${args.ticketUrl}#undone-${submission.value.messageId}`)
}

function isIntent(value: unknown): value is keyof typeof INTENTS {
  return typeof value === 'string' && Object.hasOwn(INTENTS, value)
}

/** No handler for this intent: the composer's 400 (its form-level error if nothing was readable). */
async function refuseUnknownIntent(args: IntentArgs) {
  const parsed = parseComposer(args)
  return parsed.ok ? composerRefusal(parsed.submission) : parsed.refusal
}

/**
 * The composer's form through its schema. Refused (400, the typed values kept) when the upload
 * could not be read or a field is invalid.
 */
function parseComposer({ upload }: IntentArgs) {
  const submission = parseSubmission(upload.formData, { schema: ComposerSchema })
  if (!upload.ok) {
    // A field too large for the parser leaves no fields at all: report it for the whole form.
    const problem = upload.formData.has('intent')
      ? { fieldErrors: { files: [upload.error] } }
      : { formErrors: [upload.error] }
    return { ok: false, refusal: composerRefusal(submission, problem) } as const
  }
  if (submission.status !== 'success') {
    return { ok: false, refusal: composerRefusal(submission, undefined, upload.files) } as const
  }
  // `admitted` false: the files were not written (admitReplyFiles); never name them in a row.
  return {
    ok: true,
    submission,
    input: submission.value,
    files: upload.files,
    admitted: upload.admitted,
  } as const
}

function composerRefusal(
  submission: ReturnType<typeof parseSubmission<typeof ComposerSchema>>,
  problem?: Parameters<ReturnType<typeof parseSubmission<typeof ComposerSchema>>['reply']>[0],
  files: StoredFile[] = [],
  init: { status: number; headers?: HeadersInit } = { status: 400 },
) {
  // The files of a refused post are not kept (uploads.server.ts removes them): the page without
  // JavaScript, whose file field comes back empty, names them to attach again.
  return data(
    { result: submission.reply(problem), collision: undefined, filesNotKept: files.map((f) => f.filename) },
    init,
  )
}

/** A sidebar change's outcome: refused on its control, or published (this tab reloads). */
function sidebarResponse(args: IntentArgs, outcome: UpdateOutcome) {
  if (outcome.kind === 'unknown-assignee') {
    return sidebarRefusal({ field: 'assigneeId', message: 'Choose a member of this workspace' })
  }
  if (outcome.kind === 'not-found') {
    return sidebarRefusal({ field: 'tag', message: 'That tag is not on this ticket' })
  }
  args.context.realtime.publish(outcome.events, exceptPostingSocket(args.upload.formData))
  return redirect(args.ticketUrl)
}

const UPDATE_FIELDS = ['status', 'priority', 'assigneeId'] as const

/**
 * A sidebar form refused by its schema: the first message, on the control that sent it (one of
 * `fields`, the form's controls; the first of them when the error is the form's own, such as an
 * unknown intent).
 */
function sidebarFieldRefusal(
  error: Record<string, string[] | null> | null | undefined,
  fields: readonly [SidebarField, ...SidebarField[]],
  where: Pick<SidebarError, 'tagId' | 'typed'> = {},
) {
  const errors = error ?? {}
  const field = fields.find((f) => errors[f]?.length) ?? fields[0]
  const message = errors[field]?.[0] ?? Object.values(errors).flat()[0] ?? 'Check this value'
  return sidebarRefusal({ field, message, ...where })
}

function sidebarRefusal(error: SidebarError) {
  return data({ sidebarError: error }, { status: 400 })
}

export default function TicketPage() {
  const page = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { ticket, now, insights } = page
  const composerData = actionData && 'result' in actionData ? actionData : undefined
  const sidebarError = actionData && 'sidebarError' in actionData ? actionData.sidebarError : undefined
  const { others, typing } = usePresence(ticket.id, page.me.userId, ticket.changedAt)
  const lastQueue = useLastQueueUrl(page.slug)
  // The queue the inbox link named (works without JavaScript), else this tab's last queue.
  const from = page.from ?? (lastQueue.split('?')[1] || '')
  const backToQueue = `/w/${page.slug}/tickets${from ? `?${from}` : ''}`
  // Back in that queue (the Inbox link, Back, j/k past its end), the keyboard is on this ticket.
  useRememberQueueTicket(page.slug, page.from, ticket.id)
  // The tickets beside this one in that view (a redirecting route, so no lookup on page load).
  const beside = (direction: 'next' | 'previous') =>
    `/w/${page.slug}/tickets/${ticket.number}/beside/${direction}${from ? `?${new URLSearchParams({ from })}` : ''}`
  const navigate = useNavigate()
  useShortcuts({ j: () => navigate(beside('next')), k: () => navigate(beside('previous')) })
  const nameOf = (userId: string) => page.members.find((m) => m.userId === userId)?.name
  // The loader's page of the thread, with the earlier pages loaded here (JavaScript) above it.
  const thread = useEarlierMessages({
    ticketId: ticket.id,
    userId: page.me.userId,
    slug: page.slug,
    number: ticket.number,
    page,
  })
  const events = thread.activity.map((entry) => ({
    id: entry.id,
    text: describeActivity(entry, nameOf),
    createdAt: entry.createdAt,
  }))
  useOpenAtNewest(ticket.id)
  // Changes to this ticket from elsewhere (other agents, and this agent's other tabs: the
  // server skips only this tab's socket) refresh the thread and sidebar; the draft is untouched.
  useLiveEvents(changesTicket(ticket.id))
  const composerKey = useComposerKey()
  const composerResets = useResetAfterSentWithoutRedirect(page.drafts.generation)
  return (
    <div className="flex flex-col gap-8 lg:flex-row">
      <div className="min-w-0 flex-1 space-y-6">
        <header className="space-y-1">
          <p className="text-sm text-slate-500 dark:text-slate-400">
            <Link
              to={backToQueue}
              className="inline-flex min-h-6 items-center hover:underline max-sm:min-h-10"
            >
              Inbox
            </Link>{' '}
            / #{ticket.number}
            <span className="ml-3 inline-flex gap-2">
              <Link
                to={beside('previous')}
                aria-keyshortcuts="k"
                className="inline-flex min-h-6 items-center hover:underline max-sm:min-h-10"
              >
                <ChevronLeft aria-hidden className="size-4" />
                Previous
              </Link>
              <Link
                to={beside('next')}
                aria-keyshortcuts="j"
                className="inline-flex min-h-6 items-center hover:underline max-sm:min-h-10"
              >
                Next
                <ChevronRight aria-hidden className="size-4" />
              </Link>
            </span>
          </p>
          <h1 className="text-2xl font-semibold break-words" dir="auto">
            {ticket.subject}
          </h1>
          <PresenceBar others={others} />
          <TeammateDrafts drafts={page.drafts.others} now={now} />
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {ticket.customer.name
              ? `${ticket.customer.name} <${ticket.customer.email}>`
              : ticket.customer.email}
            {page.mailbox ? ` · ${page.mailbox.name}` : ''} · via {ticket.channel} · opened{' '}
            <RelativeTime iso={ticket.createdAt} now={now} /> · {STATUS_LABEL[ticket.status]} ·{' '}
            {PRIORITY_LABEL[ticket.priority]} priority
          </p>
        </header>
        {insights ? (
          <SummaryPanel
            slug={page.slug}
            number={ticket.number}
            availability={insights.available.summarize}
            summary={insights.summary}
          />
        ) : null}
        <EarlierMessages
          count={thread.earlier}
          before={thread.messages[0]?.id}
          load={() => void thread.load()}
          loading={thread.loading}
          failed={thread.failed}
        />
        <Thread
          messages={thread.messages}
          newestId={page.newestMessageId}
          retryNeedsConfirmation={
            actionData && 'retryNeedsConfirmation' in actionData
              ? actionData.retryNeedsConfirmation
              : undefined
          }
          events={events}
          slug={page.slug}
          now={now}
          afterBody={(message) =>
            insights?.foreign &&
            message.fromCustomer &&
            message.kind === 'reply' &&
            // A non-participant's email is no AI input (docs/security.md, "Routing is not trust").
            !message.inbound?.notFromParticipant &&
            (insights.available.translate === 'ok' || insights.translations[message.id] !== undefined) ? (
              <MessageTranslation
                slug={page.slug}
                number={ticket.number}
                messageId={message.id}
                translation={insights.translations[message.id]}
                from={insights.customerLanguageName}
                to={insights.agentLanguageName}
              />
            ) : null
          }
        />
        {page.earlierPage ? (
          <LatestMessagesLink ticketUrl={`/w/${page.slug}/tickets/${ticket.number}`} />
        ) : null}
        <UndoSendToasts held={page.held} now={now} slug={page.slug} />
        {actionData && 'undoTooLate' in actionData ? (
          <p
            role="alert"
            className="rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100"
          >
            Too late to undo: the reply has been sent.
          </p>
        ) : null}
        <ReplyJump />
        <Composer
          key={`${ticket.id}:${composerKey}:${composerResets.count}`}
          onSentWithoutRedirect={composerResets.sentWithoutRedirect}
          ticketId={ticket.id}
          userId={page.me.userId}
          from={from}
          latestMessageId={page.newestMessageId}
          draft={page.drafts.mine}
          draftUrl={`/w/${page.slug}/tickets/${ticket.number}/draft`}
          draftGeneration={page.drafts.generation}
          draftRevision={page.drafts.revision}
          currentStatus={ticket.status}
          cannedResponses={page.cannedResponses}
          cannedContext={{
            customer: ticket.customer,
            agent: { name: page.me.name },
            ticket: { number: ticket.number, subject: ticket.subject },
          }}
          defaultCc={ticket.cc}
          customerViaList={page.latestCustomerViaList}
          mentionMembers={page.members}
          lastResult={composerData?.result}
          filesNotKept={
            composerData && 'filesNotKept' in composerData
              ? (composerData.filesNotKept as string[])
              : undefined
          }
          onTyping={typing}
          aiTools={(body, translation) =>
            page.assist ? (
              <>
                <AiComposerTools
                  slug={page.slug}
                  number={ticket.number}
                  bodyRef={body}
                  assist={page.assist}
                />
                {insights?.foreign && insights.customerLanguage && insights.available.translate === 'ok' ? (
                  <TranslatedReplyButton
                    slug={page.slug}
                    number={ticket.number}
                    language={insights.customerLanguage}
                    languageName={insights.customerLanguageName ?? insights.customerLanguage}
                    bodyRef={body}
                    control={translation}
                  />
                ) : null}
              </>
            ) : null
          }
          collision={composerData?.collision}
          collisionNotShown={
            composerData && 'collisionNotShown' in composerData ? composerData.collisionNotShown : undefined
          }
          now={now}
        />
      </div>
      {/* From 1024 px the ticket fields stay in view while the thread scrolls. */}
      <aside
        aria-label="Ticket details"
        className="w-full shrink-0 space-y-8 lg:sticky lg:top-4 lg:max-h-[calc(100vh-2rem)] lg:w-72 lg:self-start lg:overflow-y-auto"
      >
        {/* On phones the fields fold into a sheet; from 1024 px it is always open (::details-content). */}
        <details className="rounded-lg border border-slate-200 p-3 lg:border-0 lg:p-0 dark:border-slate-800 lg:[&::details-content]:[content-visibility:visible]">
          <summary className="cursor-pointer text-sm font-medium lg:hidden">
            Ticket fields · {STATUS_LABEL[ticket.status]} · {PRIORITY_LABEL[ticket.priority]} priority
          </summary>
          <div className="mt-3 lg:mt-0">
            <TicketSidebar
              ticket={ticket}
              members={page.members}
              tags={page.tags}
              workspaceTags={page.workspaceTags}
              pageError={sidebarError}
            />
          </div>
        </details>
        <CustomerCard slug={page.slug} ticketNumber={ticket.number} now={now} customer={page.customer} />
        {insights && insights.available.triage !== 'not-configured' ? (
          <TriagePanel
            slug={page.slug}
            number={ticket.number}
            mode={insights.triageMode}
            triage={insights.triage}
          />
        ) : null}
        <SimilarTickets slug={page.slug} number={ticket.number} />
      </aside>
    </div>
  )
}
