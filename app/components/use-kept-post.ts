import { useFetcher } from '@remix-run/react'
import { useEffect, useState, type FormEvent } from 'react'
import { isRouteModuleLoaded, preloadRouteModule } from '#app/utils/preload-route.ts'
import { NOT_SAVED_MESSAGE } from '#app/utils/unanswered.ts'

/**
 * For forms that post to another route than the page's (the AI panels' Summarize, triage chips
 * and Translate on the ticket page; the verify-email banner's Resend in every workspace page):
 * they post through a fetcher, so a post that gets no answer says "Not saved" next to the form
 * instead of replacing the page and what is being typed.
 *
 * - The target route's `clientAction` (`keepPageWhenUnanswered`) turns a post the network lost
 *   into that answer; its module is loaded while online (on mount, and when the form is pointed
 *   at or focused), since a fetcher first imports its route's module and offline Remix would
 *   reload the page for it.
 * - Offline with that module still missing, nothing is posted and the form says "Not saved".
 * - `data` is the action's answer (the AI actions redirect back to the ticket, whose data has
 *   their results; the account page's answers carry a notice). Without JavaScript these are
 *   plain forms.
 */
export function useKeptPost<Answer = unknown>(routeId: string) {
  const fetcher = useFetcher<Answer | { intent: 'unanswered'; error: string }>()
  const [notSent, setNotSent] = useState(false)
  const prepare = () => preloadRouteModule(routeId)
  useEffect(prepare, [routeId])
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    if (navigator.onLine || isRouteModuleLoaded(routeId)) {
      setNotSent(false)
      return
    }
    event.preventDefault()
    setNotSent(true)
  }
  const answer = fetcher.data as { intent?: unknown } | undefined
  const unanswered = fetcher.state === 'idle' && answer?.intent === 'unanswered'
  return {
    data: unanswered ? undefined : (fetcher.data as Answer | undefined),
    Form: fetcher.Form,
    formProps: { onSubmit, onPointerEnter: prepare, onFocus: prepare },
    pending: fetcher.state !== 'idle',
    error: notSent || unanswered ? NOT_SAVED_MESSAGE : undefined,
  }
}
