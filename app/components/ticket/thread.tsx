import { Form } from '@remix-run/react'
import type { ReactNode } from 'react'
import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import { Paperclip } from '#app/components/ui/icons.tsx'
import { LinkedText } from '#app/components/ui/linked-text.tsx'
import { filesNotKeptText, type FilesNotKept } from '#app/utils/files-not-kept.ts'
import { formatBytes } from '#app/utils/format.ts'
import { InboundEmailBody, type InboundInfo } from './inbound-email-body.tsx'

export type ThreadEntry = {
  id: string
  kind: 'reply' | 'note'
  bodyText: string
  /** ISO 8601. */
  createdAt: string
  deliveryStatus: 'queued' | 'sending' | 'sent' | 'delivered' | 'bounced' | 'failed' | null
  /** Why the email of a failed reply was not sent (the transport's answer). */
  deliveryError?: string | null
  /** A failed reply's email whose last attempt got no answer: SendGrid may have accepted it. */
  deliveryMaybeAccepted?: boolean
  fromCustomer: boolean
  author: string
  /**
   * The address a customer-side message came from (an inbound email's From), shown beside the
   * name: the name is the sender's choice, so a stranger writing as "Zoe O'Brien" would otherwise
   * read as Zoe. Absent for the team's messages.
   */
  authorEmail?: string
  attachments: Array<{ id: string; filename: string; contentType: string; size: number }>
  /** An inbound email's attachments that were not kept (named, with why). */
  filesNotKept?: FilesNotKept
  /**
   * The mailing list an inbound email came through, as its headers name it ('' when only
   * `Precedence: list` said so); absent for every other message. The sender's header text.
   */
  viaList?: string
  /** Messages that arrived by email: shown by InboundEmailBody (sanitized HTML in a sandboxed frame). */
  inbound?: InboundInfo | null
}

/** A field change (status, priority, assignee, tags) shown between the messages it came between. */
export type ThreadEvent = { id: string; text: string; createdAt: string }

const STYLE = {
  customer: 'mr-8 border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900',
  agent: 'ml-8 border-indigo-200 bg-indigo-50 dark:border-indigo-900 dark:bg-indigo-950/40',
  note: 'ml-8 border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950/40',
}

const LABEL = { customer: 'Customer', agent: 'Reply', note: 'Internal note' }

const QUEUED = 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300'
const DELIVERY = {
  queued: { label: 'Queued', className: QUEUED },
  sending: { label: 'Sending', className: QUEUED },
  delivered: {
    label: 'Delivered',
    className: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  },
  bounced: {
    label: 'Bounced',
    className: 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300',
  },
  sent: {
    label: 'Sent',
    className: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  },
  failed: {
    label: 'Delivery failed',
    className: 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300',
  },
}

/**
 * The conversation oldest → newest, with the ticket's field changes as small inline events
 * between the messages (there is no second activity list). Bodies are plain text and rendered as
 * text, never as HTML. The thread's newest message (`newestId`; by default the last one given)
 * has the id `latest` (`#latest` lands on it); an earlier page of the thread has none.
 */
export function Thread({
  messages,
  newestId = messages.at(-1)?.id,
  events = [],
  slug,
  now,
  afterBody,
  retryNeedsConfirmation,
}: {
  messages: ThreadEntry[]
  newestId?: string
  events?: ThreadEvent[]
  slug: string
  now: string
  /** Shown under a message's body (the AI translation of a customer message). */
  afterBody?: (message: ThreadEntry) => ReactNode
  /** The message whose Retry the server asked to confirm (it may arrive twice). */
  retryNeedsConfirmation?: string
}) {
  const items = [
    ...messages.map((message) => ({ at: Date.parse(message.createdAt), message, event: undefined })),
    ...events.map((event) => ({ at: Date.parse(event.createdAt), message: undefined, event })),
  ].sort((a, b) => a.at - b.at)
  return (
    <ol aria-label="Conversation" className="space-y-4">
      {items.map(({ message, event }) => {
        if (event) {
          return (
            <li
              key={event.id}
              className="flex items-center gap-2 px-2 text-xs text-slate-600 dark:text-slate-400"
            >
              <span aria-hidden className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
              <span>
                {event.text} · <RelativeTime iso={event.createdAt} now={now} />
              </span>
              <span aria-hidden className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
            </li>
          )
        }
        if (!message) return null
        const role = message.kind === 'note' ? 'note' : message.fromCustomer ? 'customer' : 'agent'
        const delivery = role === 'agent' && message.deliveryStatus ? DELIVERY[message.deliveryStatus] : null
        return (
          <li key={message.id} id={message.id === newestId ? 'latest' : undefined} className="scroll-mt-8">
            <article
              id={`m-${message.id}`}
              aria-label={`${LABEL[role]} from ${message.author}`}
              className={`scroll-mt-8 rounded-lg border p-4 shadow-sm ${STYLE[role]}`}
            >
              <header className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm">
                <span className="font-medium [overflow-wrap:anywhere]" dir="auto">
                  {message.author}
                </span>
                {message.authorEmail && message.authorEmail !== message.author ? (
                  <span
                    className={`text-xs [overflow-wrap:anywhere] ${
                      message.inbound?.notFromParticipant
                        ? 'font-medium text-amber-900 dark:text-amber-200'
                        : 'text-slate-600 dark:text-slate-400'
                    }`}
                  >
                    {`<${message.authorEmail}>`}
                  </span>
                ) : null}
                <span
                  className={`rounded px-1.5 py-0.5 text-xs font-medium ${
                    role === 'note'
                      ? 'bg-amber-200 text-amber-900 dark:bg-amber-900 dark:text-amber-100'
                      : role === 'agent'
                        ? 'bg-indigo-100 text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200'
                        : 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300'
                  }`}
                >
                  {LABEL[role]}
                </span>
                {/* slate-600: slate-500 is under 4.5:1 on the tinted reply and note backgrounds. */}
                <span className="text-slate-600 dark:text-slate-400">
                  <RelativeTime iso={message.createdAt} now={now} />
                </span>
                {delivery ? (
                  <span className={`ml-auto rounded px-1.5 py-0.5 text-xs ${delivery.className}`}>
                    {delivery.label}
                  </span>
                ) : null}
              </header>
              {message.viaList !== undefined ? (
                <p className="mt-2 text-xs text-slate-600 [overflow-wrap:anywhere] dark:text-slate-400">
                  {message.viaList
                    ? `Came through the list ${message.viaList}`
                    : 'Came through a mailing list'}
                </p>
              ) : null}
              {message.inbound ? (
                <InboundEmailBody
                  slug={slug}
                  messageId={message.id}
                  text={message.bodyText}
                  info={message.inbound}
                />
              ) : (
                <div className="mt-2 text-sm whitespace-pre-wrap [overflow-wrap:anywhere]" dir="auto">
                  <LinkedText text={message.bodyText} />
                </div>
              )}
              {afterBody?.(message)}
              {role === 'agent' && message.deliveryStatus === 'failed' ? (
                <DeliveryFailure
                  messageId={message.id}
                  reason={message.deliveryError}
                  maybeAccepted={message.deliveryMaybeAccepted === true}
                  confirming={retryNeedsConfirmation === message.id}
                />
              ) : null}
              {message.attachments.length > 0 ? (
                <ul aria-label="Attachments" className="mt-3 flex min-w-0 flex-wrap gap-2">
                  {message.attachments.map((file) => (
                    // A file name is one long word as often as not: the chip breaks it anywhere
                    // rather than widening the page (1,517 px at 390 px for a 200-character name).
                    <li key={file.id} className="max-w-full min-w-0">
                      <a
                        href={`/w/${slug}/attachments/${file.id}`}
                        className="inline-flex max-w-full items-center gap-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-xs text-indigo-700 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-indigo-300 dark:hover:bg-slate-800"
                      >
                        <Paperclip className="size-3.5 shrink-0" />
                        <span className="min-w-0 [overflow-wrap:anywhere]">{file.filename}</span>
                        <span className="shrink-0 whitespace-nowrap text-slate-600 dark:text-slate-400">
                          ({formatBytes(file.size)})
                        </span>
                      </a>
                    </li>
                  ))}
                </ul>
              ) : null}
              {message.filesNotKept ? (
                <p className="mt-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-900 [overflow-wrap:anywhere] dark:bg-amber-950 dark:text-amber-200">
                  {filesNotKeptText(message.filesNotKept)}
                </p>
              ) : null}
            </article>
          </li>
        )
      })}
    </ol>
  )
}

const RETRY_BUTTON =
  'rounded-md border border-red-300 bg-white px-2 py-1 text-xs font-medium text-red-800 hover:bg-red-100 dark:border-red-700 dark:bg-slate-900 dark:text-red-200'

/**
 * A reply whose email failed: the transport's reason and a Retry button (a plain form). When its
 * last attempt got no answer, SendGrid may have accepted it: the warning stands next to Retry,
 * and the server answers the first Retry by asking (`confirming`) for a second, confirmed submit.
 */
function DeliveryFailure({
  messageId,
  reason,
  maybeAccepted,
  confirming,
}: {
  messageId: string
  reason?: string | null
  maybeAccepted: boolean
  confirming: boolean
}) {
  const warningId = `retry-warning-${messageId}`
  return (
    <div
      role="alert"
      className="mt-3 flex flex-wrap items-center gap-3 rounded-md border border-red-300 bg-red-50 p-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-200"
    >
      <p className="min-w-0 flex-1 break-words">
        {maybeAccepted ? 'The email may not have been sent' : 'The email was not sent'}
        {reason ? `: ${reason}` : '.'}
      </p>
      {maybeAccepted ? (
        <p id={warningId} className="w-full font-medium">
          {confirming
            ? 'SendGrid may already have accepted this email. Send it again anyway? The customer may get it twice.'
            : 'SendGrid may already have accepted this email: if you retry, the customer may get it twice.'}
        </p>
      ) : null}
      <Form method="post" aria-label="Retry sending this reply">
        <input type="hidden" name="intent" value="retry-delivery" />
        <input type="hidden" name="messageId" value={messageId} />
        {confirming ? <input type="hidden" name="confirmed" value="1" /> : null}
        <button
          type="submit"
          aria-describedby={maybeAccepted ? warningId : undefined}
          className={RETRY_BUTTON}
        >
          {confirming ? 'Send again anyway' : 'Retry'}
        </button>
      </Form>
    </div>
  )
}
