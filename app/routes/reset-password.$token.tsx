import { getFormProps, getInputProps } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { AuthCard, AuthMessage } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import {
  findPasswordResetLink,
  RESET_SUBMIT_IP_LIMIT,
  resetPassword,
} from '#app/domain/account-emails.server.ts'
import { createSession, otherAccountSignedIn } from '#app/http/auth.server.ts'
import { parseSubmission, readForm, SHORT_FORM_BYTES } from '#app/http/form-data.server.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { NewPassword } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'
import { PASSWORD_MAX } from '#app/utils/schemas.ts'

// The path is /reset-password/<token>: loggablePath masks that segment in every log line.

export const meta: MetaFunction = () => [
  { title: 'Choose a new password · Switchboard' },
  // The token is in the URL: never send it to another site as a Referer.
  { name: 'referrer', content: 'no-referrer' },
]

const ResetPasswordSchema = z.object({ password: NewPassword })

export async function loader({ request, params }: LoaderFunctionArgs) {
  const link = await findPasswordResetLink(params.token ?? '')
  if (!link) return { valid: false as const }
  return {
    valid: true as const,
    email: link.email,
    signedInAs: await otherAccountSignedIn(request, link.userId),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const submission = parseSubmission(await readForm(request, { maxBytes: SHORT_FORM_BYTES }), {
    schema: ResetPasswordSchema,
  })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }), invalid: false }, { status: 400 })
  }
  const outcome = await resetPassword(params.token ?? '', submission.value.password, context.clientIp)
  if (outcome.kind === 'rate-limited') {
    return data(
      {
        result: submission.reply({
          hideFields: ['password'],
          formErrors: ['Too many attempts from your network. Wait 15 minutes and try again.'],
        }),
        invalid: false,
      },
      limitRefusal(RESET_SUBMIT_IP_LIMIT),
    )
  }
  if (outcome.kind === 'invalid') {
    return data({ result: submission.reply({ hideFields: ['password'] }), invalid: true }, { status: 400 })
  }
  context.realtime.disconnectSessions(outcome.revokedSessionIds)
  const { setCookie } = await createSession(outcome.userId, request, context)
  return redirect('/', { headers: { 'Set-Cookie': setCookie } })
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function ResetPassword() {
  const loaderData = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useSchemaForm(ResetPasswordSchema, {
    id: 'reset-password',
    lastResult: actionData?.result,
  })
  if (!loaderData.valid || actionData?.invalid) {
    return (
      <AuthMessage
        title="This reset link does not work"
        link={{ to: '/forgot-password', label: 'Ask for a new link' }}
      >
        The link was already used, has expired (links work for 1 hour) or is not complete. No password was
        changed.
      </AuthMessage>
    )
  }
  return (
    <AuthCard title="Choose a new password">
      {/* The link's account, which need not be the one signed in here: named, never "your account". */}
      <p className="mb-4 text-sm">
        For the Switchboard account of <strong>{loaderData.email}</strong>.
        {loaderData.signedInAs ? (
          <>
            {' '}
            You are signed in as <strong>{loaderData.signedInAs}</strong>: saving signs you in as{' '}
            {loaderData.email} instead, and that account&apos;s password does not change.
          </>
        ) : null}
      </p>
      <Form method="post" {...getFormProps(form)} className="space-y-2">
        <Field
          label="New password"
          hint="At least 12 characters. Every device signed in to this account is signed out."
          inputProps={{
            ...getInputProps(fields.password, { type: 'password' }),
            maxLength: PASSWORD_MAX,
            autoComplete: 'new-password',
          }}
          errors={fields.password.errors}
        />
        <Button type="submit" className="w-full" pending={pending}>
          Set new password
        </Button>
        <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
      </Form>
    </AuthCard>
  )
}
