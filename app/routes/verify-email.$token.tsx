import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, data } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { AuthCard, AuthMessage } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { findVerificationLink, verifyEmailAddress } from '#app/domain/account-emails.server.ts'
import { otherAccountSignedIn } from '#app/http/auth.server.ts'
import { readForm } from '#app/http/form-data.server.ts'
import { useIsPending } from '#app/utils/use-pending.ts'

// /verify-email/<token>: the GET only shows a button (mail scanners open links; nothing changes
// on a GET), the POST confirms. loggablePath masks the token.

export const meta: MetaFunction = () => [
  { title: 'Confirm an email address · Switchboard' },
  { name: 'referrer', content: 'no-referrer' },
]

export async function loader({ request, params }: LoaderFunctionArgs) {
  const link = await findVerificationLink(params.token ?? '')
  if (!link) return { status: 'invalid' as const }
  return {
    status: 'open' as const,
    email: link.email,
    signedInAs: await otherAccountSignedIn(request, link.userId),
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  await readForm(request)
  const outcome = await verifyEmailAddress(params.token ?? '')
  if (outcome.kind === 'invalid') return data({ verified: false as const }, { status: 400 })
  return { verified: true as const, email: outcome.email }
}

export default function VerifyEmail() {
  const loaderData = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  // The link acts for the account it was sent for, which need not be the one signed in here: the
  // page names the address, never "your account".
  if (actionData?.verified) {
    return (
      <AuthMessage title="Email confirmed" status link={{ to: '/', label: 'Go to Switchboard' }}>
        {`${actionData.email} is confirmed, so Switchboard can send notifications to it.`}
      </AuthMessage>
    )
  }
  if (loaderData.status === 'invalid' || actionData?.verified === false) {
    return (
      <AuthMessage title="This link does not work" link={{ to: '/', label: 'Go to Switchboard' }}>
        The confirmation link has expired (links work for 48 hours), is not complete, or the account it was
        sent for now has another email address. Sign in to that account and choose “Resend” on its banner for
        a new one.
      </AuthMessage>
    )
  }
  return (
    <AuthCard title="Confirm an email address">
      <Form method="post" className="space-y-4">
        <p className="text-sm">
          Confirm <strong>{loaderData.email}</strong> as the email address of the Switchboard account it was
          sent for.
        </p>
        {loaderData.signedInAs ? (
          <p className="text-sm">
            You are signed in as <strong>{loaderData.signedInAs}</strong>: that account does not change.
          </p>
        ) : null}
        <Button type="submit" className="w-full" pending={pending}>
          Confirm {loaderData.email}
        </Button>
      </Form>
    </AuthCard>
  )
}
