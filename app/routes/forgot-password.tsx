import { getFormProps, getInputProps } from '@conform-to/react'
import { data, type ActionFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData } from '@remix-run/react'
import { z } from 'zod'
import { AuthCard } from '#app/components/auth-card.tsx'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { requestPasswordReset } from '#app/domain/account-emails.server.ts'
import { parseSubmission, readForm, SHORT_FORM_BYTES } from '#app/http/form-data.server.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { Email } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'
import { EMAIL_MAX } from '#app/utils/schemas.ts'

export const meta: MetaFunction = () => [{ title: 'Forgot password · Switchboard' }]

const ForgotPasswordSchema = z.object({ email: Email })

/** The one answer, whether or not an account has this email. */
export const RESET_SENT_MESSAGE =
  'If an account exists for this email, we sent a link to reset its password. It works for 1 hour.'

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseSubmission(await readForm(request, { maxBytes: SHORT_FORM_BYTES }), {
    schema: ForgotPasswordSchema,
  })
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), sent: false }, { status: 400 })
  }
  const outcome = await requestPasswordReset(submission.value.email, context.clientIp)
  if (outcome.kind === 'rate-limited') {
    return data(
      {
        result: submission.reply({
          formErrors: ['Too many reset requests. Wait a while, then try again.'],
        }),
        sent: false,
      },
      limitRefusal(outcome.limit),
    )
  }
  return { result: submission.reply({ resetForm: true }), sent: true }
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function ForgotPassword() {
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useSchemaForm(ForgotPasswordSchema, {
    id: 'forgot-password',
    lastResult: actionData?.result,
  })
  return (
    <AuthCard
      title="Reset your password"
      footer={
        <Link className="text-indigo-600 underline dark:text-indigo-400" to="/login">
          Back to sign in
        </Link>
      }
    >
      {actionData?.sent ? (
        <Notice className="mb-4">{RESET_SENT_MESSAGE}</Notice>
      ) : (
        <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
          Enter the email of your account and we will send you a link to choose a new password.
        </p>
      )}
      <Form method="post" {...getFormProps(form)} className="space-y-2">
        <Field
          label="Email"
          inputProps={{
            ...getInputProps(fields.email, { type: 'email' }),
            maxLength: EMAIL_MAX,
            autoComplete: 'email',
          }}
          errors={fields.email.errors}
        />
        <Button type="submit" className="w-full" pending={pending}>
          Send reset link
        </Button>
        <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
      </Form>
    </AuthCard>
  )
}
