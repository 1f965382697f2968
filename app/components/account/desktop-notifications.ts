import { useEffect, useState } from 'react'
import type { NotificationEvent } from '#app/realtime/protocol.ts'
import type { LiveSocket } from '#app/components/live/live-provider.tsx'

// Per browser, not per account: permission is the browser's too.
const STORAGE_KEY = 'switchboard:desktop-notifications'

function supported() {
  return typeof window !== 'undefined' && 'Notification' in window
}

export function desktopNotificationsOn() {
  return supported() && localStorage.getItem(STORAGE_KEY) === 'on' && Notification.permission === 'granted'
}

/** The account page's toggle state; `undefined` during the server render and before hydration. */
export function useDesktopNotificationsSetting() {
  const [state, setState] = useState<{ on: boolean; permission: NotificationPermission } | null>(null)
  useEffect(() => {
    if (!supported()) return
    setState({ on: localStorage.getItem(STORAGE_KEY) === 'on', permission: Notification.permission })
  }, [])
  async function change(on: boolean) {
    if (!supported()) return
    const permission =
      on && Notification.permission === 'default'
        ? await Notification.requestPermission()
        : Notification.permission
    const enabled = on && permission === 'granted'
    localStorage.setItem(STORAGE_KEY, enabled ? 'on' : 'off')
    setState({ on: enabled, permission })
  }
  return { supported: state !== null, state, change }
}

function describe(event: NotificationEvent) {
  if (event.kind === 'assigned') return `You were assigned #${event.number}`
  if (event.kind === 'mentioned') return `You were mentioned on #${event.number}`
  return `Customer replied on #${event.number}`
}

/**
 * Shows a desktop notification for a live notification event while the tab is hidden, when the
 * user turned them on (account page) and the browser allows it. Clicking it brings the tab back
 * (the event may belong to another of the user's workspaces, so it does not navigate).
 */
export function useDesktopNotifications(socket: LiveSocket | null) {
  useEffect(() => {
    if (!socket) return
    const show = (event: NotificationEvent) => {
      if (!document.hidden || !desktopNotificationsOn()) return
      const shown = new Notification('Switchboard', { body: describe(event), tag: event.ticketId })
      shown.onclick = () => window.focus()
    }
    socket.on('notification', show)
    return () => {
      socket.off('notification', show)
    }
  }, [socket])
}
