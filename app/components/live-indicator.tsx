import { useLive, type ConnectionState } from './live/live-provider.tsx'

const LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  'no-access': 'No access',
}
const DOT: Record<ConnectionState, string> = {
  connecting: 'bg-slate-400',
  live: 'bg-emerald-500',
  reconnecting: 'bg-amber-500',
  offline: 'bg-red-500',
  'no-access': 'bg-slate-400',
}

/** Shows the state of the tab's live connection (live / reconnecting / offline). */
export function LiveIndicator() {
  const { state } = useLive()
  // Without JavaScript there is no live connection: the page says so once, instead of
  // "Connecting…" for ever (hidden where the browser reports scripting off).
  return (
    <>
      <span
        className="inline-flex items-center gap-1.5 text-xs text-slate-500 [@media(scripting:none)]:hidden dark:text-slate-400"
        data-live-state={state}
      >
        <span className={`size-2 rounded-full ${DOT[state]}`} aria-hidden />
        <span role="status">{LABEL[state]}</span>
      </span>
      <span className="hidden text-xs text-slate-500 [@media(scripting:none)]:inline dark:text-slate-400">
        No live updates without JavaScript
      </span>
    </>
  )
}
