import { useEffect, useState } from 'react'

type State = 'connecting' | 'live' | 'reconnecting' | 'offline'

const LABEL: Record<State, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
}
const DOT: Record<State, string> = {
  connecting: 'bg-slate-400',
  live: 'bg-emerald-500',
  reconnecting: 'bg-amber-500',
  offline: 'bg-red-500',
}

/** Connects to Socket.IO (session cookie authenticates) and shows the connection state. */
export function LiveIndicator() {
  const [state, setState] = useState<State>('connecting')
  useEffect(() => {
    let disposed = false
    let cleanup = () => {}
    void import('socket.io-client').then(({ io }) => {
      if (disposed) return
      const socket = io({ transports: ['websocket'], withCredentials: true })
      socket.on('connect', () => setState('live'))
      socket.on('disconnect', () => setState(navigator.onLine ? 'reconnecting' : 'offline'))
      socket.on('connect_error', () => setState(navigator.onLine ? 'reconnecting' : 'offline'))
      cleanup = () => socket.disconnect()
    })
    return () => {
      disposed = true
      cleanup()
    }
  }, [])
  return (
    <span
      className="inline-flex items-center gap-1.5 text-xs text-slate-500 dark:text-slate-400"
      data-live-state={state}
    >
      <span className={`size-2 rounded-full ${DOT[state]}`} aria-hidden />
      <span role="status">{LABEL[state]}</span>
    </span>
  )
}
