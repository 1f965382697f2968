import { getFormProps, getInputProps } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData } from '@remix-run/react'
import { useState } from 'react'
import { tooManyAccounts } from './account-creation.server.ts'
import { AuthCard } from '#app/components/auth-card.tsx'
import { SlugAvailability, useSlugAvailability } from '#app/components/workspace-slug-field.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { signUp } from '#app/domain/accounts.server.ts'
import {
  SERVER_VERIFICATION_EMAILS_SPENT,
  SIGNUP_EMAIL_ADDRESS_LIMIT,
  signupEmailServerLimit,
} from '#app/domain/hashing-limits.server.ts'
import { createSession, getSignedIn } from '#app/http/auth.server.ts'
import { parseSubmission, readForm, SHORT_FORM_BYTES } from '#app/http/form-data.server.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { SignupSchema, slugify, slugTakenMessage } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'
import {
  EMAIL_MAX,
  PASSWORD_MAX,
  PERSON_NAME_MAX,
  WORKSPACE_NAME_MAX,
  WORKSPACE_SLUG_MAX,
} from '#app/utils/schemas.ts'

const SIGNUP_EMAIL_REFUSED = {
  address:
    'Too many confirmation emails were sent to this address in the last 24 hours. Try again tomorrow, or use another address.',
  server: SERVER_VERIFICATION_EMAILS_SPENT,
} as const

export const meta: MetaFunction = () => [{ title: 'Create your account · Switchboard' }]

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getSignedIn(request)) throw redirect('/')
  return null
}

export async function action({ request, context }: ActionFunctionArgs) {
  // Left empty (no JavaScript to suggest one), the URL is made from the workspace name: the schema does it.
  const submission = parseSubmission(await readForm(request, { maxBytes: SHORT_FORM_BYTES }), {
    schema: SignupSchema,
  })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  }
  const outcome = await signUp(submission.value, context.clientIp)
  if (outcome.kind === 'rate-limited') return tooManyAccounts(submission)
  if (outcome.kind === 'email-limited') {
    // Says no more than that emails went to the address (not whether an account has it), and keeps
    // what was typed but the password.
    const message = SIGNUP_EMAIL_REFUSED[outcome.limit]
    return data(
      {
        result: submission.reply({
          hideFields: ['password'],
          ...(outcome.limit === 'address'
            ? { fieldErrors: { email: [message] } }
            : { formErrors: [message] }),
        }),
      },
      limitRefusal(outcome.limit === 'address' ? SIGNUP_EMAIL_ADDRESS_LIMIT : signupEmailServerLimit()),
    )
  }
  if (outcome.kind === 'email-taken') {
    return data(
      {
        result: submission.reply({
          hideFields: ['password'],
          fieldErrors: { email: ['This email cannot be used to sign up. If you have an account, sign in.'] },
        }),
      },
      { status: 400 },
    )
  }
  if (outcome.kind === 'slug-taken') {
    return data(
      {
        result: submission.reply({
          hideFields: ['password'],
          fieldErrors: { workspaceSlug: [slugTakenMessage(submission.value.workspaceSlug)] },
        }),
      },
      { status: 400 },
    )
  }
  const { setCookie } = await createSession(outcome.userId, request, context)
  return redirect(`/w/${outcome.workspaceSlug}`, { headers: { 'Set-Cookie': setCookie } })
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function Signup() {
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useSchemaForm(SignupSchema, {
    id: 'signup',
    lastResult: actionData?.result,
  })
  // The URL follows the workspace name until the person edits it themselves.
  const [slug, setSlug] = useState(fields.workspaceSlug.initialValue ?? '')
  const [slugEdited, setSlugEdited] = useState(Boolean(fields.workspaceSlug.initialValue))
  const availability = useSlugAvailability(slug)
  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Already have an account?{' '}
          <Link className="text-indigo-600 underline dark:text-indigo-400" to="/login">
            Sign in
          </Link>
        </>
      }
    >
      <Form method="post" {...getFormProps(form)} className="space-y-2">
        <Field
          label="Your name"
          inputProps={{
            ...getInputProps(fields.name, { type: 'text' }),
            maxLength: PERSON_NAME_MAX,
            autoComplete: 'name',
          }}
          errors={fields.name.errors}
        />
        <Field
          label="Work email"
          inputProps={{
            ...getInputProps(fields.email, { type: 'email' }),
            maxLength: EMAIL_MAX,
            autoComplete: 'email',
          }}
          errors={fields.email.errors}
        />
        <Field
          label="Password"
          // The error says the same thing once it shows: one or the other, never both.
          hint={fields.password.errors?.length ? undefined : 'At least 12 characters.'}
          inputProps={{
            ...getInputProps(fields.password, { type: 'password' }),
            maxLength: PASSWORD_MAX,
            autoComplete: 'new-password',
          }}
          errors={fields.password.errors}
        />
        <Field
          label="Workspace name"
          hint="Your team or company, e.g. Acme Support."
          inputProps={{
            ...getInputProps(fields.workspaceName, { type: 'text' }),
            maxLength: WORKSPACE_NAME_MAX,
            onChange: (event) => {
              if (!slugEdited) setSlug(slugify(event.currentTarget.value))
            },
          }}
          errors={fields.workspaceName.errors}
        />
        <Field
          label="Workspace URL"
          hint="Lowercase letters, digits and hyphens: /w/acme. Left empty, it is made from the workspace name."
          inputProps={{
            ...getInputProps(fields.workspaceSlug, { type: 'text' }),
            maxLength: WORKSPACE_SLUG_MAX,
            autoCapitalize: 'none',
            // Controlled so the suggestion can fill it; the server still checks what is posted.
            defaultValue: undefined,
            value: slug,
            onChange: (event) => {
              setSlug(event.currentTarget.value)
              setSlugEdited(event.currentTarget.value !== '')
            },
          }}
          errors={fields.workspaceSlug.errors}
        />
        {fields.workspaceSlug.errors?.length ? null : <SlugAvailability slug={slug} state={availability} />}
        <Button type="submit" className="w-full" pending={pending}>
          Create account
        </Button>
        <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
      </Form>
    </AuthCard>
  )
}
