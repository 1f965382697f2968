import type { SubmissionResult } from '@conform-to/react'
import { useKeptPost } from '#app/components/use-kept-post.ts'

type ResendAnswer = { intent: string; result?: SubmissionResult<string[]>; notice?: string | null }

/**
 * Shown until the account's address is confirmed. "Resend" posts to the account page. With
 * JavaScript it posts through a fetcher and the banner says what happened (sent, already
 * confirmed, too many links lately, or "Not saved" when Switchboard could not be reached) while
 * the page, and whatever is being typed on it, stays. Without JavaScript it is a plain form and
 * the account page shows the outcome.
 */
export function VerifyEmailBanner({ email }: { email: string }) {
  // /account: the time-zone detector posts there too, so its module is usually loaded already.
  const post = useKeptPost<ResendAnswer>('routes/account')
  const answer = post.data?.intent === 'resend-verification' ? post.data : undefined
  const problem = post.error ?? answer?.result?.error?.['']?.[0]
  const notice = post.pending || problem ? undefined : answer?.notice
  return (
    <div
      role="status"
      className="flex flex-wrap items-center gap-2 border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-100"
    >
      <span>
        {notice ?? (
          <>
            Confirm your email — we sent a link to <strong>{email}</strong>. Until then you get no
            notification emails.
          </>
        )}
      </span>
      <post.Form method="post" action="/account" {...post.formProps}>
        <input type="hidden" name="intent" value="resend-verification" />
        <button type="submit" className="font-medium underline disabled:opacity-60" disabled={post.pending}>
          {post.pending ? 'Sending…' : 'Resend'}
        </button>
      </post.Form>
      {problem ? (
        <span role="alert" className="w-full font-medium text-red-700 dark:text-red-300">
          {problem}
        </span>
      ) : null}
    </div>
  )
}
