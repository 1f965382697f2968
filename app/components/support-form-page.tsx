import { getFormProps, getInputProps, getTextareaProps, type SubmissionResult } from '@conform-to/react'
import { Form, Link, useLocation } from '@remix-run/react'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors, TextareaField } from '#app/components/ui/field.tsx'
import { unansweredErrors } from '#app/utils/unanswered.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { SupportRequestSchema } from '#app/utils/support-schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { useFocusWhenShown } from '#app/utils/use-focus-when-shown.ts'
import { AttachmentsField, SupportErrorBoundary, supportErrorTitle, SupportShell } from './support-shell.tsx'
import { EMAIL_MAX, PERSON_NAME_MAX } from '#app/utils/schemas.ts'
import { MAX_SUBJECT_CHARS } from '#app/utils/ticket-schemas.ts'

/** What the support routes' loader returns (app/routes/support-form.server.ts). */
export type SupportFormPageData = {
  workspaceName: string
  sent: { number: number | null; emailed: boolean } | null
}

/** The page's title: "Contact Acme support", and "Contact Acme Support" for a name that says it already. */
export function supportPageTitle(workspaceName: string) {
  return /\bsupport$/i.test(workspaceName.trim())
    ? `Contact ${workspaceName}`
    : `Contact ${workspaceName} support`
}

/**
 * The public support form and, after the redirect, its confirmation. The routes pass in their
 * loader and action data (a component never imports a route module).
 */
export function SupportFormPage({
  data: { workspaceName, sent },
  actionData,
}: {
  data: SupportFormPageData
  actionData: { result: SubmissionResult<string[]>; filesNotKept?: string[] } | undefined
}) {
  const { pathname } = useLocation()
  return (
    <SupportShell workspaceName={workspaceName}>
      {sent ? (
        <RequestReceived sent={sent} pathname={pathname} />
      ) : (
        <SupportForm
          lastResult={actionData?.result}
          filesNotKept={actionData?.filesNotKept}
          unanswered={unansweredErrors(actionData)}
        />
      )}
    </SupportShell>
  )
}

/** Focused when it appears: it replaced the form whose button had focus. */
function RequestReceived({
  sent,
  pathname,
}: {
  sent: NonNullable<SupportFormPageData['sent']>
  pathname: string
}) {
  const ref = useFocusWhenShown<HTMLDivElement>()
  return (
    <div role="status" ref={ref} tabIndex={-1}>
      <h1 className="text-xl font-semibold">We received your request</h1>
      <p className="mt-3 text-slate-600 dark:text-slate-400">
        {sent.number ? `Your request is ticket #${sent.number}. ` : null}
        {sent.emailed
          ? 'Check your email: we sent you a confirmation with a private link where you can follow the conversation and reply.'
          : 'We could not email you a confirmation right now; our answer will come to your email address.'}
      </p>
      <p className="mt-6">
        <Link className="text-sm text-indigo-600 underline dark:text-indigo-400" to={pathname}>
          Send another request
        </Link>
      </p>
    </div>
  )
}

function SupportForm({
  lastResult,
  filesNotKept,
  unanswered,
}: {
  lastResult: SubmissionResult<string[]> | undefined
  filesNotKept?: string[]
  /** The request got no answer (offline): the form stays as it was, with this message. */
  unanswered?: string[]
}) {
  const pending = useIsPending()
  const [form, fields] = useSchemaForm(SupportRequestSchema, {
    id: 'support-request',
    lastResult,
  })
  return (
    <>
      <h1 className="text-xl font-semibold">Contact support</h1>
      <p className="mt-1 mb-6 text-sm text-slate-600 dark:text-slate-400">
        Tell us what you need and we will get back to you by email.
      </p>
      <Form method="post" encType="multipart/form-data" {...getFormProps(form)} className="space-y-2">
        <Field
          label="Your name"
          inputProps={{
            ...getInputProps(fields.name, { type: 'text' }),
            maxLength: PERSON_NAME_MAX,
            autoComplete: 'name',
            // Arabic or Hebrew text is laid out right to left, its punctuation where it belongs.
            dir: 'auto',
          }}
          errors={fields.name.errors}
        />
        <Field
          label="Email"
          hint="We will reply to this address."
          inputProps={{
            ...getInputProps(fields.email, { type: 'email' }),
            maxLength: EMAIL_MAX,
            autoComplete: 'email',
          }}
          errors={fields.email.errors}
        />
        <Field
          label="Subject"
          inputProps={{
            ...getInputProps(fields.subject, { type: 'text' }),
            maxLength: MAX_SUBJECT_CHARS,
            dir: 'auto',
          }}
          errors={fields.subject.errors}
        />
        <TextareaField
          label="How can we help?"
          textareaProps={{ ...getTextareaProps(fields.message), rows: 8, dir: 'auto' }}
          errors={fields.message.errors}
        />
        <AttachmentsField id={`${form.id}-files`} errors={form.allErrors.files} notKept={filesNotKept} />
        {/* The honeypot: off-screen for people and assistive technology, tempting for bots. */}
        <div className="absolute -left-[10000px] h-px w-px overflow-hidden" aria-hidden="true">
          <label htmlFor={`${form.id}-website`}>Leave this empty</label>
          <input id={`${form.id}-website`} name="website" type="text" autoComplete="off" tabIndex={-1} />
        </div>
        <Button type="submit" className="w-full" pending={pending}>
          {pending ? 'Sending…' : 'Send request'}
        </Button>
        <FormErrors id={form.errorId} errors={unanswered ?? form.errors} />
      </Form>
    </>
  )
}

const SUPPORT_PAGE_NOT_FOUND = {
  title: 'We could not find this support page',
  detail: 'Check the address you were given: this support page does not exist or is no longer available.',
}

export function SupportFormErrorBoundary() {
  return <SupportErrorBoundary notFound={SUPPORT_PAGE_NOT_FOUND} />
}

/** The support form routes' title: the workspace's, or what their error page says. */
export function supportFormTitle({
  data,
  error,
}: {
  data: SupportFormPageData | undefined
  error?: unknown
}) {
  if (error) return supportErrorTitle(error, SUPPORT_PAGE_NOT_FOUND)
  return data ? supportPageTitle(data.workspaceName) : 'Support'
}
