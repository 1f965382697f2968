import { getFormProps, getInputProps } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useParams } from '@remix-run/react'
import { z } from 'zod'
import { tooManyAccounts } from './account-creation.server.ts'
import { AuthCard, AuthMessage } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { createSession, getSignedIn } from '#app/http/auth.server.ts'
import {
  acceptInvitation,
  invitationForPage,
  joinedThroughInvitation,
  signUpWithInvitation,
} from '#app/domain/invitations.server.ts'
import { parseSubmission, readForm, SHORT_FORM_BYTES } from '#app/http/form-data.server.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { InviteSignupSchema } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { PASSWORD_MAX, PERSON_NAME_MAX } from '#app/utils/schemas.ts'

export const meta: MetaFunction = () => [
  { title: 'Join a workspace · Switchboard' },
  { name: 'referrer', content: 'same-origin' },
]

const JoinSchema = z.object({ intent: z.literal('join') })
const SignupSchema = InviteSignupSchema.extend({ intent: z.literal('signup') })
const ActionSchema = z.discriminatedUnion('intent', [JoinSchema, SignupSchema])

export async function loader({ request, params }: LoaderFunctionArgs) {
  const invitation = await invitationForPage(params.token ?? '')
  const signedIn = await getSignedIn(request)
  if (!invitation) {
    // The member who joined through this link and opens it again (from the email, days later).
    const joined = signedIn ? await joinedThroughInvitation(params.token ?? '', signedIn.user.id) : undefined
    if (joined) return { status: 'joined' as const, workspaceName: joined.name, workspaceSlug: joined.slug }
    // Unknown, revoked, used or expired: the page says so, with the status a link checker or a
    // crawler reads as gone (it was a 200).
    return data({ status: 'invalid' as const }, { status: 404 })
  }
  return {
    status: 'open' as const,
    workspaceName: invitation.workspaceName,
    email: invitation.email,
    role: invitation.role,
    signedInAs: signedIn?.user.email ?? null,
    emailMatches: signedIn ? signedIn.user.email.toLowerCase() === invitation.email.toLowerCase() : false,
    hasAccount: invitation.hasAccount,
  }
}

/** The sign-in page for the invited address, back to the invitation once signed in. */
function signInToAccept(token: string, email: string) {
  return `/login?${new URLSearchParams({ redirectTo: `/invite/${token}`, email })}`
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const token = params.token ?? ''
  const submission = parseSubmission(await readForm(request, { maxBytes: SHORT_FORM_BYTES }), {
    schema: ActionSchema,
  })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  }
  if (submission.value.intent === 'join') {
    const signedIn = await getSignedIn(request)
    if (!signedIn) {
      const invitation = await invitationForPage(token)
      throw redirect(invitation ? signInToAccept(token, invitation.email) : `/invite/${token}`)
    }
    const outcome = await acceptInvitation(token, signedIn.user)
    if (outcome.kind === 'joined') {
      // The user's open tabs start receiving the new workspace's live events.
      context.realtime.joinWorkspace(outcome.userId, outcome.workspaceId)
      return redirect(`/w/${outcome.workspaceSlug}`)
    }
    const message =
      outcome.kind === 'email-mismatch'
        ? `This invitation is for ${outcome.invitedEmail}. Sign in with that email to accept it.`
        : 'This invitation is no longer valid.'
    return data({ result: submission.reply({ formErrors: [message] }) }, { status: 400 })
  }
  const outcome = await signUpWithInvitation(
    token,
    submission.value.name,
    submission.value.password,
    context.clientIp,
  )
  if (outcome.kind === 'rate-limited') return tooManyAccounts(submission)
  if (outcome.kind === 'joined') {
    const { setCookie } = await createSession(outcome.userId, request, context)
    return redirect(`/w/${outcome.workspaceSlug}`, { headers: { 'Set-Cookie': setCookie } })
  }
  // An account made for the address since the page was drawn: the page turns to signing in.
  const accountExists = outcome.kind === 'email-taken'
  const message = accountExists
    ? 'An account with this email already exists. Sign in to accept the invitation.'
    : 'This invitation is no longer valid.'
  return data(
    { result: submission.reply({ hideFields: ['password'], formErrors: [message] }), accountExists },
    { status: 400 },
  )
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function Invite() {
  const loaderData = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const { token = '' } = useParams()
  const [form, fields] = useSchemaForm(ActionSchema, {
    id: 'invite-signup',
    lastResult: actionData?.result,
  })
  if (loaderData.status === 'joined') {
    return (
      <AuthMessage
        title={`You already joined ${loaderData.workspaceName}`}
        link={{ to: `/w/${loaderData.workspaceSlug}`, label: `Open ${loaderData.workspaceName}` }}
      >
        This invitation was used to add you to {loaderData.workspaceName}, and you are a member.
      </AuthMessage>
    )
  }
  if (loaderData.status === 'invalid') {
    return (
      <AuthMessage title="Invitation not valid" link={{ to: '/', label: 'Go to Switchboard' }}>
        This invitation link is unknown, expired, revoked or already used. Ask a workspace admin for a new
        one.
      </AuthMessage>
    )
  }
  const { workspaceName, email, role, signedInAs, emailMatches } = loaderData
  const hasAccount =
    loaderData.hasAccount || Boolean(actionData && 'accountExists' in actionData && actionData.accountExists)
  const signIn = signInToAccept(token, email)
  const errors = unansweredErrors(actionData) ?? form.errors
  let next
  if (signedInAs && emailMatches) {
    next = (
      <Form method="post" {...getFormProps(form)}>
        <p className="mb-4 text-sm">You are signed in as {signedInAs}.</p>
        <input type="hidden" name="intent" value="join" />
        <Button type="submit" pending={pending} className="w-full">
          Join {workspaceName}
        </Button>
        <FormErrors id={form.errorId} errors={errors} />
      </Form>
    )
  } else if (signedInAs) {
    // Another account is signed in: it must not be the one that joins. Signing out comes back to
    // the sign-in page for the invited address (or this page, to create its account).
    const then = hasAccount ? signIn : `/invite/${token}`
    next = (
      <Form method="post" action={`/logout?${new URLSearchParams({ redirectTo: then })}`}>
        <p role="alert" className="mb-4 text-sm">
          You are signed in as <strong>{signedInAs}</strong>, but this invitation is for{' '}
          <strong>{email}</strong>. Only that address can accept it.
        </p>
        <Button type="submit" className="w-full">
          {hasAccount ? `Sign out and sign in as ${email}` : `Sign out and create an account for ${email}`}
        </Button>
      </Form>
    )
  } else if (hasAccount) {
    next = (
      <>
        <p className="mb-4 text-sm">
          {email} already has a Switchboard account. Sign in with it to join {workspaceName}.
        </p>
        <Link
          to={signIn}
          className="block w-full rounded-md bg-indigo-600 px-3 py-2 text-center text-sm font-medium text-white shadow-sm hover:bg-indigo-500"
        >
          Sign in as {email}
        </Link>
      </>
    )
  } else {
    next = (
      <Form method="post" {...getFormProps(form)} className="space-y-2">
        <input type="hidden" name="intent" value="signup" />
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
          label="Choose a password"
          hint="At least 12 characters."
          inputProps={{
            ...getInputProps(fields.password, { type: 'password' }),
            maxLength: PASSWORD_MAX,
            autoComplete: 'new-password',
          }}
          errors={fields.password.errors}
        />
        <Button type="submit" pending={pending} className="w-full">
          Create account and join
        </Button>
        <FormErrors id={form.errorId} errors={errors} />
      </Form>
    )
  }
  return (
    <AuthCard title={`Join ${workspaceName}`}>
      <p className="mb-4 text-sm">
        You are invited to <strong>{workspaceName}</strong> as <strong>{role}</strong> ({email}).
      </p>
      {next}
    </AuthCard>
  )
}
