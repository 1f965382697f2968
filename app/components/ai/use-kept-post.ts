import { useFetcher } from '@remix-run/react'
import { useEffect, useState, type FormEvent } from 'react'
import { isRouteModuleLoaded, preloadRouteModule } from '#app/utils/preload-route.ts'
import { NOT_SAVED_MESSAGE } from '#app/utils/unanswered.ts'

/**
 * For the ticket page's forms that post to another route (the AI panels' Summarize, triage
 * chips, Translate): they post through a fetcher, so a post that gets no answer says "Not saved"
 * next to the form instead of replacing the page and the reply being typed.
 *
 * - The target route's `clientAction` (`keepPageWhenUnanswered`) turns a post the network lost
 *   into that answer; its module is loaded while online (on mount, and when the form is pointed
 *   at or focused), since a fetcher first imports its route's module and offline Remix would
 *   reload the page for it.
 * - Offline with that module still missing, nothing is posted and the form says "Not saved".
 * - The actions answer with a redirect back to the ticket (their results are in its data), which
 *   the fetcher follows as before. Without JavaScript these are plain forms.
 */
export function useKeptPost(routeId: string) {
  const fetcher = useFetcher<{ intent?: string; error?: string }>()
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
  const unanswered = fetcher.state === 'idle' && fetcher.data?.intent === 'unanswered'
  return {
    Form: fetcher.Form,
    formProps: { onSubmit, onPointerEnter: prepare, onFocus: prepare },
    pending: fetcher.state !== 'idle',
    error: notSent || unanswered ? NOT_SAVED_MESSAGE : undefined,
  }
}
