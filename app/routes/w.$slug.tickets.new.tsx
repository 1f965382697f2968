import { getFormProps, getInputProps, getSelectProps, getTextareaProps, useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { ChevronLeft } from '#app/components/ui/icons.tsx'
import { AttachmentsField } from '#app/components/support-shell.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors, TextareaField } from '#app/components/ui/field.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import { activeMailboxes } from '#app/domain/queue.server.ts'
import { createTicket } from '#app/domain/tickets.server.ts'
import { parseSubmission } from '#app/http/form-data.server.ts'
import { filesNotKept, parseFormWithFiles } from '#app/http/uploads.server.ts'
import { Email } from '#app/utils/schemas.ts'
import { CustomerName, MessageBody, Subject } from '#app/utils/ticket-schemas.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { EMAIL_MAX, PERSON_NAME_MAX } from '#app/utils/schemas.ts'
import { MAX_SUBJECT_CHARS } from '#app/utils/ticket-schemas.ts'

export const meta: MetaFunction = () => [{ title: 'New ticket · Switchboard' }]

const NewTicketSchema = z.object({
  customerEmail: Email,
  customerName: CustomerName,
  mailboxId: z.uuid({ error: 'Choose a mailbox' }),
  subject: Subject,
  body: MessageBody,
})

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  return { slug: member.workspaceSlug, mailboxes: await activeMailboxes(member) }
}

/** A ticket opened by an agent for a customer who called: their words become the first message. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const upload = await parseFormWithFiles(request)
  const submission = parseSubmission(upload.formData, { schema: NewTicketSchema })
  if (submission.status !== 'success' || !upload.ok) {
    return data(
      {
        result: submission.reply(upload.ok ? undefined : { fieldErrors: { files: [upload.error] } }),
        filesNotKept: filesNotKept(upload),
      },
      { status: 400 },
    )
  }
  const input = submission.value
  const outcome = await createTicket(
    { workspaceId: member.workspaceId, userId: member.userId },
    {
      mailboxId: input.mailboxId,
      customerEmail: input.customerEmail,
      customerName: input.customerName ?? '',
      subject: input.subject,
      body: input.body,
      channel: 'phone',
      files: upload.files,
      sendConfirmation: false,
    },
  )
  if (outcome.kind === 'unknown-mailbox') {
    return data(
      {
        result: submission.reply({
          fieldErrors: { mailboxId: ['That mailbox is archived or not in this workspace: choose another'] },
        }),
        filesNotKept: filesNotKept(upload),
      },
      { status: 400 },
    )
  }
  context.realtime.publish(outcome.events)
  return redirect(`/w/${member.workspaceSlug}/tickets/${outcome.number}`)
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function NewTicket() {
  const { slug, mailboxes } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useForm({
    id: 'new-ticket',
    lastResult: actionData?.result,
    defaultValue: { mailboxId: mailboxes[0]?.id },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: NewTicketSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  })
  return (
    <div className="max-w-2xl">
      <p className="text-sm">
        <Link to={`/w/${slug}/tickets`} className="text-indigo-600 hover:underline dark:text-indigo-400">
          <ChevronLeft className="inline size-4 align-[-3px]" />
          Inbox
        </Link>
      </p>
      <h1 className="mt-2 text-2xl font-semibold">New ticket</h1>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        For a customer who called or wrote elsewhere. No confirmation email is sent.
      </p>
      {mailboxes.length === 0 ? (
        <p className="mt-6 rounded-md bg-amber-50 p-3 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-200">
          There is no active mailbox. Create one in{' '}
          <Link to={`/w/${slug}/settings/mailboxes`} className="underline">
            Settings → Mailboxes
          </Link>{' '}
          first.
        </p>
      ) : null}
      <Form method="post" encType="multipart/form-data" {...getFormProps(form)} className="mt-6 space-y-2">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field
            label="Customer email"
            inputProps={{
              ...getInputProps(fields.customerEmail, { type: 'email' }),
              maxLength: EMAIL_MAX,
              autoComplete: 'off',
            }}
            errors={fields.customerEmail.errors}
          />
          <Field
            label={
              <>
                Customer name{' '}
                <span className="font-normal text-slate-500 dark:text-slate-400">(optional)</span>
              </>
            }
            inputProps={{
              ...getInputProps(fields.customerName, { type: 'text' }),
              maxLength: PERSON_NAME_MAX,
              autoComplete: 'off',
            }}
            errors={fields.customerName.errors}
          />
        </div>
        <div className="space-y-1">
          <label htmlFor={fields.mailboxId.id} className="block text-sm font-medium">
            Mailbox
          </label>
          <select
            {...getSelectProps(fields.mailboxId)}
            className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
          >
            {mailboxes.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
          <div id={fields.mailboxId.errorId} className="min-h-5 text-sm text-red-600 dark:text-red-400">
            {fields.mailboxId.errors?.join(' ')}
          </div>
        </div>
        <Field
          label="Subject"
          inputProps={{ ...getInputProps(fields.subject, { type: 'text' }), maxLength: MAX_SUBJECT_CHARS }}
          errors={fields.subject.errors}
        />
        <TextareaField
          label="What the customer needs"
          textareaProps={{ ...getTextareaProps(fields.body), rows: 8 }}
          errors={fields.body.errors}
        />
        <AttachmentsField
          id={`${form.id}-files`}
          errors={form.allErrors.files}
          notKept={actionData?.filesNotKept}
        />
        <Button type="submit" pending={pending}>
          {pending ? 'Creating…' : 'Create ticket'}
        </Button>
        <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
      </Form>
    </div>
  )
}
