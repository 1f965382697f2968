import { LIVE_SOCKET_FIELD } from '#app/realtime/protocol.ts'
import { useLive } from './live-provider.tsx'

/**
 * Put inside a form whose action publishes live events: posts this tab's socket id, so the
 * events skip this tab (it reloads from the action's response) and reach the user's other tabs.
 * Renders nothing until the socket is connected, and nothing without JavaScript.
 */
export function LiveSocketField() {
  const { socket, state } = useLive()
  const id = state === 'live' ? socket?.id : undefined
  return id ? <input type="hidden" name={LIVE_SOCKET_FIELD} value={id} /> : null
}
