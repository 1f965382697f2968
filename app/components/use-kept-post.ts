import { useFetcher, useRevalidator } from '@remix-run/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
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
 * - A redirect React Router did not follow reloads the page all the same
 *   (`useReloadWhenRedirectDropped`).
 */
export function useKeptPost<Answer = unknown>(routeId: string) {
  const fetcher = useFetcher<Answer | { intent: 'unanswered'; error: string }>()
  const [notSent, setNotSent] = useState(false)
  const prepare = () => preloadRouteModule(routeId)
  useEffect(prepare, [routeId])
  useReloadWhenRedirectDropped(fetcher)
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    if (navigator.onLine || isRouteModuleLoaded(routeId)) {
      setNotSent(false)
      return
    }
    event.preventDefault()
    setNotSent(true)
  }
  const answer = fetcher.data as { intent?: unknown; error?: unknown } | undefined
  const unanswered = fetcher.state === 'idle' && answer?.intent === 'unanswered'
  return {
    data: unanswered ? undefined : (fetcher.data as Answer | undefined),
    Form: fetcher.Form,
    formProps: { onSubmit, onPointerEnter: prepare, onFocus: prepare },
    pending: fetcher.state !== 'idle',
    // The answer's own reason (Not saved, or no access any more).
    error: notSent
      ? NOT_SAVED_MESSAGE
      : unanswered
        ? typeof answer.error === 'string'
          ? answer.error
          : NOT_SAVED_MESSAGE
        : undefined,
  }
}

/**
 * Reloads the page's data when React Router dropped the fetcher's redirect. It does when a reload
 * of the page (a live event's, the one after the live connection came back) started after the
 * post did (`pendingNavigationLoadId > originatingLoadId` in @remix-run/router 1.23's
 * handleFetcherAction), trusting that reload to show what the action did; but that reload may have
 * read the page before the action wrote, and then nothing showed it: Summarize clicked as the
 * connection came back left "No summary yet." (ai-offline.spec under load), and the bell's "Mark
 * all as read" clicked as it came back left the unread count (offline-reloads.spec in CI). A
 * dropped redirect is the one way a fetcher goes from submitting straight to idle with no answer
 * of its own: a followed one passes through loading, and "Not saved" and other answers are new
 * data. The data is compared with what the fetcher held when the post started, not with
 * undefined: after an earlier "Not saved" the fetcher still holds that answer.
 */
export function useReloadWhenRedirectDropped(
  fetcher: { state: string; data: unknown },
  /** Also told, for what the redirect would have done besides reloading (the composer's reset). */
  onDropped?: () => void,
) {
  const { revalidate } = useRevalidator()
  const previous = useRef<{ state: string; dataAtSubmit: unknown }>({
    state: fetcher.state,
    dataAtSubmit: undefined,
  })
  useEffect(() => {
    const was = previous.current
    if (fetcher.state === 'submitting' && was.state !== 'submitting') was.dataAtSubmit = fetcher.data
    else if (was.state === 'submitting' && fetcher.state === 'idle' && fetcher.data === was.dataAtSubmit) {
      void revalidate()
      onDropped?.()
    }
    was.state = fetcher.state
  }, [fetcher.state, fetcher.data, revalidate, onDropped])
}
