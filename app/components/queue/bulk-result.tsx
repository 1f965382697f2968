import { Form, Link, useLocation, useNavigation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { LiveSocketField } from '#app/components/live/live-socket-field.tsx'
import { X } from '#app/components/ui/icons.tsx'
import { useHydrated } from '#app/utils/use-hydrated.ts'

/** What the queue's loader says about one of the agent's own bulk actions (`?bulk=<id>`). */
export type BulkResultView = {
  batchId: string
  message: string
  undoable: boolean
  undone: { restored: number; skipped: number } | null
}

/** A toast stays this long unless hovered or focused (then until the pointer or focus leaves). */
const TOAST_MS = 10_000

function undoneText(undone: { restored: number; skipped: number }) {
  const restored = `Undone: ${undone.restored} ticket${undone.restored === 1 ? '' : 's'} restored`
  if (undone.skipped === 0) return restored
  const verb = undone.skipped === 1 ? 'was changed since and stays' : 'were changed since and stay'
  return `${restored}; ${undone.skipped} ${verb} as ${undone.skipped === 1 ? 'it is' : 'they are'}`
}

/**
 * The result of a bulk action ("12 tickets assigned to Bea — Undo"): a toast with JavaScript, a
 * banner above the queue without it. Undo posts to the queue's action, which puts back exactly
 * the tickets the action changed and comes back here with the undone state.
 */
export function BulkResult({
  result,
  undoError,
  undoNotSent,
}: {
  result: BulkResultView | null
  undoError?: string
  /** Undo got no answer (offline): said in place of the result, Undo stays to try again. */
  undoNotSent?: string
}) {
  const hydrated = useHydrated()
  const location = useLocation()
  const navigation = useNavigation()
  const [dismissed, setDismissed] = useState<string | null>(null)
  const [paused, setPaused] = useState(false)
  const key = result
    ? `${result.batchId}:${result.undone ? 'undone' : 'done'}:${undoError ?? undoNotSent ?? ''}`
    : null
  useEffect(() => {
    if (!hydrated || !key || paused) return
    const timer = setTimeout(() => setDismissed(key), TOAST_MS)
    return () => clearTimeout(timer)
  }, [hydrated, key, paused])
  if (!result || (hydrated && dismissed === key)) return null

  const undoing = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'undo-bulk'
  const withoutResult = new URLSearchParams(location.search)
  withoutResult.delete('bulk')
  const closeHref = `${location.pathname}${withoutResult.size ? `?${withoutResult}` : ''}`
  const text = undoError ?? undoNotSent ?? (result.undone ? undoneText(result.undone) : result.message)
  const body = (
    <>
      <p className="min-w-0 flex-1">{text}</p>
      {result.undoable && !undoError ? (
        <Form method="post" className="shrink-0">
          <input type="hidden" name="intent" value="undo-bulk" />
          <input type="hidden" name="batchId" value={result.batchId} />
          <LiveSocketField />
          <button
            type="submit"
            disabled={undoing}
            aria-busy={undoing || undefined}
            className="rounded px-2 py-1 font-semibold text-indigo-700 underline-offset-2 hover:underline disabled:opacity-60 dark:text-indigo-300"
          >
            Undo
          </button>
        </Form>
      ) : null}
    </>
  )
  if (!hydrated) {
    return (
      <div
        role="status"
        className="mb-2 flex items-center gap-3 rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-950 dark:border-indigo-900 dark:bg-indigo-950 dark:text-indigo-100"
      >
        {body}
        <Link to={closeHref} className="shrink-0 text-xs hover:underline">
          Dismiss
        </Link>
      </div>
    )
  }
  return (
    <div
      role="status"
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
      className="fixed right-4 bottom-4 z-40 flex w-max max-w-[min(28rem,calc(100vw-2rem))] items-center gap-3 rounded-lg bg-slate-900 px-4 py-3 text-sm text-white shadow-xl dark:bg-slate-100 dark:text-slate-900 [&_button]:text-indigo-300 dark:[&_button]:text-indigo-700"
    >
      {body}
      <button
        type="button"
        onClick={() => setDismissed(key)}
        className="shrink-0 rounded p-1 hover:bg-white/10 dark:hover:bg-slate-900/10"
      >
        <X aria-hidden className="size-4" />
        <span className="sr-only">Dismiss</span>
      </button>
    </div>
  )
}
