import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData } from '@remix-run/react'
import { AuthCard } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { signUp } from '#app/domain/accounts.server.ts'
import { createSession, getSignedIn } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { SignupSchema } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'

export const meta: MetaFunction = () => [{ title: 'Create your account · Switchboard' }]

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getSignedIn(request)) throw redirect('/')
  return null
}

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseSubmission(await readForm(request), { schema: SignupSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  }
  const outcome = await signUp(submission.value, context.clientIp)
  if (outcome.kind === 'rate-limited') {
    return data(
      {
        result: submission.reply({
          hideFields: ['password'],
          formErrors: ['Too many accounts were created from your network. Try again in an hour.'],
        }),
      },
      { status: 429 },
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
          fieldErrors: { workspaceSlug: ['This URL is taken; choose another'] },
        }),
      },
      { status: 400 },
    )
  }
  const { setCookie } = await createSession(outcome.userId, request, context.clientIp)
  return redirect(`/w/${outcome.workspaceSlug}`, { headers: { 'Set-Cookie': setCookie } })
}

export default function Signup() {
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useForm({
    id: 'signup',
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SignupSchema }),
    shouldValidate: 'onSubmit',
    shouldRevalidate: 'onInput',
  })
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
          inputProps={{ ...getInputProps(fields.name, { type: 'text' }), autoComplete: 'name' }}
          errors={fields.name.errors}
        />
        <Field
          label="Work email"
          inputProps={{ ...getInputProps(fields.email, { type: 'email' }), autoComplete: 'email' }}
          errors={fields.email.errors}
        />
        <Field
          label="Password"
          hint="At least 12 characters."
          inputProps={{
            ...getInputProps(fields.password, { type: 'password' }),
            autoComplete: 'new-password',
          }}
          errors={fields.password.errors}
        />
        <Field
          label="Workspace name"
          hint="Your team or company, e.g. Acme Support."
          inputProps={{ ...getInputProps(fields.workspaceName, { type: 'text' }) }}
          errors={fields.workspaceName.errors}
        />
        <Field
          label="Workspace URL"
          hint="Lowercase letters, digits and hyphens: /w/acme"
          inputProps={{ ...getInputProps(fields.workspaceSlug, { type: 'text' }), autoCapitalize: 'none' }}
          errors={fields.workspaceSlug.errors}
        />
        <Button type="submit" className="w-full" pending={pending}>
          Create account
        </Button>
        <FormErrors id={form.errorId} errors={form.errors} />
      </Form>
    </AuthCard>
  )
}
