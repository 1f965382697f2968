import { Form, Link, useRevalidator } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { useDesktopNotifications } from './account/desktop-notifications.ts'
import { useLive } from './live/live-provider.tsx'
import { BellIcon } from './ui/icons.tsx'

export type NotificationItem = {
  id: string
  kind: 'assigned' | 'customer-replied' | 'webhook-disabled' | 'mentioned'
  read: boolean
  number: number | null
  subject: string
  actorName: string | null
}

function describe(n: NotificationItem) {
  if (n.kind === 'webhook-disabled') return 'A webhook endpoint was disabled'
  if (n.kind === 'mentioned') return `${n.actorName ?? 'Someone'} mentioned you on #${n.number}`
  return n.kind === 'assigned'
    ? `${n.actorName ?? 'Someone'} assigned you #${n.number}`
    : `Customer replied on #${n.number}`
}

/** The bell: unread count, the latest notifications, mark read. Arrives live; works without JS. */
export function NotificationsBell({
  slug,
  unread,
  items,
}: {
  slug: string
  unread: number
  items: NotificationItem[]
}) {
  const { socket } = useLive()
  useDesktopNotifications(socket)
  const revalidator = useRevalidator()
  const revalidate = useRef(revalidator.revalidate)
  revalidate.current = revalidator.revalidate
  useEffect(() => {
    if (!socket) return
    const handler = () => revalidate.current()
    socket.on('notification', handler)
    return () => {
      socket.off('notification', handler)
    }
  }, [socket])
  return (
    <details className="relative">
      <summary className="flex cursor-pointer list-none items-center gap-2 rounded-md px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800">
        <BellIcon />
        <span className="sr-only xl:not-sr-only">Notifications</span>
        {unread > 0 ? (
          <span
            className="rounded-full bg-red-600 px-2 text-xs font-semibold text-white tabular-nums"
            data-testid="unread-count"
          >
            {unread}
            <span className="sr-only"> unread</span>
          </span>
        ) : null}
      </summary>
      <div className="absolute top-full right-0 z-40 mt-1 w-72 max-w-[calc(100vw-1.5rem)] rounded-md border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-900">
        {items.length === 0 ? (
          <p className="p-2 text-sm text-slate-600 dark:text-slate-400">No notifications yet.</p>
        ) : (
          <ul className="max-h-80 space-y-1 overflow-y-auto" aria-label="Notifications">
            {items.map((n) => (
              <li key={n.id}>
                <Form method="post" action={`/w/${slug}/notifications`}>
                  <input type="hidden" name="intent" value="open" />
                  <input type="hidden" name="id" value={n.id} />
                  {n.number !== null ? <input type="hidden" name="number" value={n.number} /> : null}
                  <button
                    type="submit"
                    className={`block w-full rounded px-2 py-1.5 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800 ${n.read ? 'text-slate-500' : 'font-medium'}`}
                  >
                    {describe(n)}
                    <span className="block truncate text-xs font-normal text-slate-500">{n.subject}</span>
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        {unread > 0 ? (
          <Form
            method="post"
            action={`/w/${slug}/notifications`}
            className="mt-2 border-t border-slate-200 pt-2 dark:border-slate-700"
          >
            <input type="hidden" name="intent" value="read-all" />
            <button type="submit" className="text-sm text-indigo-600 hover:underline dark:text-indigo-400">
              Mark all as read
            </button>
          </Form>
        ) : null}
        <Link
          to={`/w/${slug}/notifications`}
          className="mt-2 block border-t border-slate-200 pt-2 text-sm text-indigo-700 hover:underline dark:border-slate-700 dark:text-indigo-300"
        >
          All notifications
        </Link>
      </div>
    </details>
  )
}
