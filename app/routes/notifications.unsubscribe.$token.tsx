import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { AuthCard } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import {
  maskedEmailOf,
  readUnsubscribeToken,
  turnOffNotificationEmails,
} from '#app/domain/notification-emails.server.ts'
import { readForm } from '#app/http/form-data.server.ts'
import { KIND_LABELS } from '#app/utils/notification-kinds.ts'
import { useFocusWhenShown } from '#app/utils/use-focus-when-shown.ts'
import { useIsPending } from '#app/utils/use-pending.ts'

// /notifications/unsubscribe/<user>.<kind>.<hmac>: the link in every notification email. It
// works without signing in; the GET only asks (mail scanners open links), the POST turns the
// kind off. loggablePath masks the token.

export const meta: MetaFunction = () => [
  { title: 'Email notifications · Switchboard' },
  { name: 'referrer', content: 'no-referrer' },
]

function badLink(): never {
  throw new Response('This unsubscribe link is not valid.', {
    status: 400,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  })
}

async function target(token: string | undefined) {
  const named = readUnsubscribeToken(token ?? '')
  if (!named) badLink()
  const email = await maskedEmailOf(named.userId)
  if (!email) badLink()
  return { ...named, email }
}

export async function loader({ params }: LoaderFunctionArgs) {
  const { kind, email } = await target(params.token)
  return { label: KIND_LABELS[kind], email }
}

export async function action({ request, params }: ActionFunctionArgs) {
  await readForm(request)
  const { userId, kind } = await target(params.token)
  await turnOffNotificationEmails(userId, kind)
  return data({ done: true })
}

export default function Unsubscribe() {
  const { label, email } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  return (
    <AuthCard title="Email notifications">
      {actionData?.done ? (
        <TurnedOff email={email} label={label} />
      ) : (
        <Form method="post" className="space-y-4">
          <p className="text-sm">
            Stop sending “{label}” emails to {email}? The notifications still appear in the bell.
          </p>
          <Button type="submit" className="w-full" pending={pending}>
            Turn off these emails
          </Button>
        </Form>
      )}
      {/* The link's account, which need not be the one signed in here: never "your account". */}
      <p className="mt-4 text-sm">
        Turn them back on, or choose others, on the{' '}
        <Link className="text-indigo-600 underline dark:text-indigo-400" to="/account">
          account page
        </Link>{' '}
        signed in as {email}.
      </p>
    </AuthCard>
  )
}

/** Focused when it appears: it replaced the form whose button had focus. */
function TurnedOff({ email, label }: { email: string; label: string }) {
  const ref = useFocusWhenShown<HTMLParagraphElement>()
  return (
    <p role="status" ref={ref} tabIndex={-1} className="text-sm">
      Done: {email} gets no more “{label}” emails. The notifications still appear in the bell.
    </p>
  )
}
