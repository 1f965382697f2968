import { getFormProps, getTextareaProps } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useParams } from '@remix-run/react'
import {
  AttachmentsField,
  SupportErrorBoundary,
  supportErrorTitle,
  SupportShell,
} from '#app/components/support-shell.tsx'
import { StatusBadge } from '#app/components/ui/badge.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { FormErrors, TextareaField } from '#app/components/ui/field.tsx'
import {
  CUSTOMER_REPLY_LIMIT,
  customerReplyOpen,
  customerTicketView,
  findCustomerTicket,
  replyThroughLink,
  type PublicMessage,
} from '#app/domain/customer-portal.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { parseSubmission, searchParamsOf } from '#app/http/form-data.server.ts'
import { filesNotKept, parseFormWithFiles } from '#app/http/uploads.server.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { CustomerReplySchema } from '#app/utils/support-schemas.ts'
import { formatBytes } from '#app/utils/format.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { useFocusWhenShown } from '#app/utils/use-focus-when-shown.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'

// The token is in the URL: keep it out of Referer headers sent to linked sites.
export const meta: MetaFunction<typeof loader> = ({ data, error }) => [
  {
    title: error
      ? supportErrorTitle(error, CUSTOMER_LINK_NOT_FOUND)
      : data
        ? `#${data.ticket.number} ${data.ticket.subject}`
        : 'Your request',
  },
  { name: 'referrer', content: 'same-origin' },
]

async function requireCustomerTicket(token: string | undefined) {
  const ticket = await findCustomerTicket(token)
  if (!ticket) throw notFound('This link is not valid or has expired')
  return ticket
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ticket = await requireCustomerTicket(params.token)
  const search = searchParamsOf(request)
  const before = search.get('before') ?? undefined
  const view = await customerTicketView(ticket, { before })
  return { ...view, earlierPage: before !== undefined, replied: search.has('replied') }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ticket = await requireCustomerTicket(params.token)
  // A reply over the ticket's limit is answered without its files written.
  const upload = await parseFormWithFiles(request, { admitFiles: () => customerReplyOpen(ticket) })
  const submission = parseSubmission(upload.formData, { schema: CustomerReplySchema })
  if (submission.status !== 'success' || !upload.ok) {
    return data(
      {
        result: submission.reply(upload.ok ? undefined : { fieldErrors: { files: [upload.error] } }),
        filesNotKept: filesNotKept(upload),
      },
      { status: 400 },
    )
  }
  const outcome = upload.admitted
    ? await replyThroughLink(ticket, submission.value.message, upload.files)
    : ({ kind: 'limited' } as const)
  if (outcome.kind === 'limited') {
    return data(
      {
        result: submission.reply({
          formErrors: [
            'You have sent many replies in the last few minutes. Please wait 10 minutes and try again.',
          ],
        }),
        filesNotKept: filesNotKept(upload),
      },
      limitRefusal(CUSTOMER_REPLY_LIMIT),
    )
  }
  context.realtime.publish(outcome.events)
  return redirect(`/support/t/${params.token}?replied`)
}

export default function CustomerTicket() {
  const { ticket, thread, earlierMessages, earlierPage, replied } = useLoaderData<typeof loader>()
  return (
    <SupportShell workspaceName={ticket.workspaceName} wide>
      <header className="border-b border-slate-200 pb-4 dark:border-slate-800">
        <p className="text-sm text-slate-500 dark:text-slate-400">
          Request #{ticket.number} · <StatusBadge status={ticket.status} />
        </p>
        <h1 className="mt-1 text-xl font-semibold break-words" dir="auto">
          {ticket.subject}
        </h1>
      </header>
      <EarlierMessagesLink count={earlierMessages} before={thread[0]?.id} />
      <ol className="mt-6 space-y-4" aria-label="Conversation">
        {thread.map((message) => (
          <ThreadMessage key={message.id} message={message} />
        ))}
      </ol>
      {earlierPage ? (
        <p className="mt-4 text-center">
          <Link className="text-sm text-indigo-600 underline dark:text-indigo-400" to=".">
            Show the latest messages
          </Link>
        </p>
      ) : null}
      {replied ? <ReplySent /> : null}
      {/* A new key after each reply clears the form when JavaScript kept the page mounted. */}
      <ReplyForm key={thread.at(-1)?.id} />
    </SupportShell>
  )
}

/** Focused when it appears: the reply form (and the button pressed) was drawn anew under it. */
function ReplySent() {
  const ref = useFocusWhenShown<HTMLParagraphElement>()
  return (
    <p
      ref={ref}
      role="status"
      tabIndex={-1}
      className="mt-6 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
    >
      Reply sent. We will get back to you by email.
    </p>
  )
}

/** A plain link to the page before the first message shown: works without JavaScript. */
function EarlierMessagesLink({ count, before }: { count: number; before: string | undefined }) {
  if (count <= 0 || !before) return null
  return (
    <p className="mt-6 text-center">
      <Link
        to={`?before=${before}`}
        className="inline-block rounded-md border border-slate-300 px-3 py-1.5 text-sm text-indigo-700 hover:bg-slate-50 dark:border-slate-700 dark:text-indigo-300 dark:hover:bg-slate-800"
      >
        {`Show ${count} earlier ${count === 1 ? 'message' : 'messages'}`}
      </Link>
    </p>
  )
}

function ThreadMessage({ message }: { message: PublicMessage }) {
  const { token } = useParams()
  const fromCustomer = message.from === 'customer'
  return (
    <li
      className={`rounded-lg border p-4 ${
        fromCustomer
          ? 'border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-900'
          : 'border-indigo-200 bg-indigo-50 dark:border-indigo-900 dark:bg-indigo-950'
      }`}
    >
      <p className="text-sm">
        <bdi className="font-medium">{message.author}</bdi>
        {fromCustomer ? ' ' : ' (support) '}
        <MessageTime at={message.createdAt} />
      </p>
      <div className="mt-2 text-sm break-words whitespace-pre-wrap" dir="auto">
        {message.bodyText}
      </div>
      {message.attachments.length > 0 ? (
        <ul className="mt-3 space-y-1 text-sm [overflow-wrap:anywhere]" aria-label="Attachments">
          {message.attachments.map((file) => (
            <li key={file.id}>
              <a
                className="text-indigo-600 underline dark:text-indigo-400"
                href={`/support/t/${token}/files/${file.id}`}
                rel="noreferrer"
              >
                {file.filename}
              </a>{' '}
              <span className="text-slate-600 dark:text-slate-400">({formatBytes(file.size)})</span>
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  )
}

/**
 * When a message was written: in the reader's own time zone once the page runs (named, "GMT+1"),
 * and in UTC, labelled so, in the HTML the server sends (it does not know the reader's zone; that
 * is what a browser without JavaScript keeps showing).
 */
function MessageTime({ at }: { at: Date }) {
  const local = useHydrated()
  return (
    <time className="text-slate-600 dark:text-slate-400" dateTime={at.toISOString()}>
      {local
        ? // dateStyle and timeStyle cannot name the zone: the same fields, spelled out.
          at.toLocaleString('en', {
            year: 'numeric',
            month: 'short',
            day: 'numeric',
            hour: 'numeric',
            minute: '2-digit',
            timeZoneName: 'short',
          })
        : `${at.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })} UTC`}
    </time>
  )
}

function ReplyForm() {
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useSchemaForm(CustomerReplySchema, {
    id: 'customer-reply',
    lastResult: actionData?.result,
  })
  return (
    <Form
      method="post"
      encType="multipart/form-data"
      {...getFormProps(form)}
      className="mt-8 space-y-2 border-t border-slate-200 pt-6 dark:border-slate-800"
    >
      <h2 className="text-base font-semibold">Reply</h2>
      <TextareaField
        label="Your message"
        textareaProps={{ ...getTextareaProps(fields.message), rows: 6, dir: 'auto' }}
        errors={fields.message.errors}
      />
      <AttachmentsField
        id={`${form.id}-files`}
        errors={form.allErrors.files}
        notKept={actionData?.filesNotKept}
      />
      <Button type="submit" pending={pending}>
        {pending ? 'Sending…' : 'Send reply'}
      </Button>
      <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
    </Form>
  )
}

// A reply sent with no answer (offline) keeps the page and what the customer wrote.
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

const CUSTOMER_LINK_NOT_FOUND = {
  title: 'This link is not valid or has expired',
  detail:
    'Use the link from the most recent email we sent you, or contact us again through our support page.',
}

export function ErrorBoundary() {
  return <SupportErrorBoundary notFound={CUSTOMER_LINK_NOT_FOUND} />
}
