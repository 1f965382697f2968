import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, data } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { AuthCard, AuthMessage } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { findVerificationLink, verifyEmailAddress } from '#app/domain/account-emails.server.ts'
import { readForm } from '#app/http/form-data.server.ts'
import { useIsPending } from '#app/utils/use-pending.ts'

// /verify-email/<token>: the GET only shows a button (mail scanners open links; nothing changes
// on a GET), the POST confirms. loggablePath masks the token.

export const meta: MetaFunction = () => [
  { title: 'Confirm your email · Switchboard' },
  { name: 'referrer', content: 'no-referrer' },
]

export async function loader({ params }: LoaderFunctionArgs) {
  const link = await findVerificationLink(params.token ?? '')
  return link ? { status: 'open' as const, email: link.email } : { status: 'invalid' as const }
}

export async function action({ request, params }: ActionFunctionArgs) {
  await readForm(request)
  const outcome = await verifyEmailAddress(params.token ?? '')
  if (outcome.kind === 'invalid') return data({ verified: false }, { status: 400 })
  return { verified: true }
}

export default function VerifyEmail() {
  const loaderData = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  if (actionData?.verified) {
    return (
      <AuthMessage title="Email confirmed" status link={{ to: '/', label: 'Go to Switchboard' }}>
        Thank you. Your email address is confirmed, so Switchboard can send you notifications.
      </AuthMessage>
    )
  }
  if (loaderData.status === 'invalid' || actionData?.verified === false) {
    return (
      <AuthMessage title="This link does not work" link={{ to: '/account', label: 'Your account' }}>
        The confirmation link has expired (links work for 48 hours), is not complete, or your account now has
        another email address. Sign in and choose “Resend” on the banner for a new one.
      </AuthMessage>
    )
  }
  return (
    <AuthCard title="Confirm your email">
      <Form method="post" className="space-y-4">
        <p className="text-sm">
          Confirm <strong>{loaderData.email}</strong> as the email address of your Switchboard account.
        </p>
        <Button type="submit" className="w-full" pending={pending}>
          Confirm my email
        </Button>
      </Form>
    </AuthCard>
  )
}
