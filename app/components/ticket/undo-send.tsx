import { Form, useNavigation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import { useHydrated } from '#app/utils/use-hydrated.ts'

type Held = {
  messageId: string
  heldUntil: Date | string | null
  /** A reply on another ticket ("Send & next" moved on from it): its number, to post Undo there. */
  ticketNumber?: number
}

/**
 * "Sending in 5 s — Undo" for the agent's replies still in their undo window. A plain form
 * (intent=undo-send), so it works without JavaScript; with it, a countdown hides the toast when
 * the email goes. Undo puts the text back into the composer (the server restores the draft). A
 * reply on another ticket (the one "Send & next" left) is undone there, and Undo opens it.
 */
export function UndoSendToasts({ held, now, slug }: { held: Held[]; now: string; slug?: string }) {
  const hydrated = useHydrated()
  // The server's clock at render time, then the browser's (both only move forward).
  const [clock, setClock] = useState(() => Date.parse(now))
  useEffect(() => {
    const offset = Date.parse(now) - Date.now()
    const timer = setInterval(() => setClock(Date.now() + offset), 250)
    return () => clearInterval(timer)
  }, [now])
  const navigation = useNavigation()
  const undoing =
    navigation.formData?.get('intent') === 'undo-send' ? navigation.formData.get('messageId') : null
  const pending = held.filter((h) => h.heldUntil && new Date(h.heldUntil).getTime() > clock)
  if (pending.length === 0) return null
  return (
    <div
      className="fixed inset-x-3 bottom-20 z-40 flex flex-col items-center gap-2 lg:bottom-6"
      role="status"
    >
      {pending.map((h) => {
        const seconds = Math.max(1, Math.ceil((new Date(h.heldUntil!).getTime() - clock) / 1000))
        return (
          <Form
            key={h.messageId}
            method="post"
            action={h.ticketNumber && slug ? `/w/${slug}/tickets/${h.ticketNumber}` : undefined}
            preventScrollReset
            className="flex items-center gap-3 rounded-lg bg-slate-900 px-4 py-2 text-sm text-white shadow-lg dark:bg-slate-100 dark:text-slate-900"
          >
            <input type="hidden" name="intent" value="undo-send" />
            <input type="hidden" name="messageId" value={h.messageId} />
            <span>
              {h.ticketNumber ? `Your reply to #${h.ticketNumber}: ` : ''}
              {hydrated ? `Sending in ${seconds} s` : 'Your reply is about to be sent'}
            </span>
            <Button type="submit" variant="secondary" pending={undoing === h.messageId}>
              Undo
            </Button>
          </Form>
        )
      })}
    </div>
  )
}
