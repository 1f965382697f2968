import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { AuthCard } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { authenticateLogin, createSession, getSignedIn, InvalidCredentials } from '#app/http/auth.server.ts'
import { LOGIN_LIMIT, reserveLoginAttempt } from '#app/domain/login-attempts.server.ts'
import { HashQueueFull } from '#app/domain/hash-queue.server.ts'
import { parseSubmission, readForm, SHORT_FORM_BYTES } from '#app/http/form-data.server.ts'
import { safeRedirect } from '#app/utils/redirect.ts'
import { Email, LoginSchema } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'
import { EMAIL_MAX, PASSWORD_MAX } from '#app/utils/schemas.ts'

export const meta: MetaFunction = () => [{ title: 'Sign in · Switchboard' }]

/** `?email=` fills the field in (the invitation page's "Sign in as …"); anything but an address is left out. */
const PrefilledEmail = Email.optional().catch(undefined)

export async function loader({ request }: LoaderFunctionArgs) {
  const searchParams = new URL(request.url).searchParams
  if (await getSignedIn(request)) {
    throw redirect(safeRedirect(searchParams.get('redirectTo'), '/'))
  }
  return { email: PrefilledEmail.parse(searchParams.get('email') ?? undefined) ?? null }
}

export async function action({ request, context }: ActionFunctionArgs) {
  // remix-auth's FormStrategy reads the body itself, so we parse a clone first.
  const form = await readForm(request.clone(), { maxBytes: SHORT_FORM_BYTES })
  const submission = parseSubmission(form, { schema: LoginSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  }
  // Reserved before the password is hashed: refused attempts never reach scrypt.
  const attempt = await reserveLoginAttempt(submission.value.email, context.clientIp)
  if (!attempt.allowed) {
    return data(
      {
        result: submission.reply({
          hideFields: ['password'],
          formErrors: ['Too many failed sign-in attempts. Wait 15 minutes and try again.'],
        }),
      },
      limitRefusal(LOGIN_LIMIT),
    )
  }
  let user
  try {
    user = await authenticateLogin(request, attempt.priority)
  } catch (error) {
    if (error instanceof HashQueueFull) {
      await attempt.shed()
      return data(
        {
          result: submission.reply({
            hideFields: ['password'],
            formErrors: ['Too many sign-in attempts right now. Try again in a few seconds.'],
          }),
        },
        { status: 503, headers: { 'Retry-After': '5' } },
      )
    }
    if (!(error instanceof InvalidCredentials)) {
      await attempt.abandoned()
      throw error
    }
    return data(
      { result: submission.reply({ hideFields: ['password'], formErrors: ['Invalid email or password'] }) },
      { status: 400 },
    )
  }
  await attempt.succeeded()
  const { setCookie } = await createSession(user.id, request, context)
  // The page's form carries the target in its URL (loginAction); a hand-made post may send it as a field.
  const target = submission.value.redirectTo ?? new URL(request.url).searchParams.get('redirectTo')
  return redirect(safeRedirect(target, '/'), { headers: { 'Set-Cookie': setCookie } })
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function Login() {
  const actionData = useActionData<typeof action>()
  const { email } = useLoaderData<typeof loader>()
  const [searchParams] = useSearchParams()
  const pending = useIsPending()
  const [form, fields] = useForm({
    id: 'login',
    lastResult: actionData?.result,
    defaultValue: { email },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: LoginSchema }),
    shouldValidate: 'onSubmit',
    shouldRevalidate: 'onInput',
  })
  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          New to Switchboard?{' '}
          <Link className="text-indigo-600 underline dark:text-indigo-400" to="/signup">
            Create an account
          </Link>
        </>
      }
    >
      <Form method="post" action={loginAction(searchParams)} {...getFormProps(form)} className="space-y-2">
        <Field
          label="Email"
          inputProps={{
            ...getInputProps(fields.email, { type: 'email' }),
            maxLength: EMAIL_MAX,
            autoComplete: 'email',
          }}
          errors={fields.email.errors}
        />
        <Field
          label="Password"
          inputProps={{
            ...getInputProps(fields.password, { type: 'password' }),
            maxLength: PASSWORD_MAX,
            autoComplete: 'current-password',
          }}
          errors={fields.password.errors}
        />
        <p className="text-right text-sm">
          <Link className="text-indigo-600 underline dark:text-indigo-400" to="/forgot-password">
            Forgot password?
          </Link>
        </p>
        <Button type="submit" className="w-full" pending={pending}>
          Sign in
        </Button>
        <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
      </Form>
    </AuthCard>
  )
}

/**
 * The form posts to /login with the redirect target only, checked and bounded by safeRedirect
 * (an invalid or over-long one is left out): the page holds it once. Before, the form's action
 * echoed the whole query string and a hidden field the target again, unchecked (a 100 KB query
 * string made a 270 KB page).
 */
function loginAction(searchParams: URLSearchParams) {
  const target = safeRedirect(searchParams.get('redirectTo'), '')
  return target ? `/login?${new URLSearchParams({ redirectTo: target })}` : '/login'
}
