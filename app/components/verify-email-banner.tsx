import { Form } from '@remix-run/react'

/**
 * Shown until the account's address is confirmed. "Resend" posts to the account page (works
 * without JavaScript; the account page shows the outcome).
 */
export function VerifyEmailBanner({ email }: { email: string }) {
  return (
    <div
      role="status"
      className="flex flex-wrap items-center gap-2 border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-100"
    >
      <span>
        Confirm your email — we sent a link to <strong>{email}</strong>. Until then you get no notification
        emails.
      </span>
      <Form method="post" action="/account">
        <input type="hidden" name="intent" value="resend-verification" />
        <button type="submit" className="font-medium underline">
          Resend
        </button>
      </Form>
    </div>
  )
}
