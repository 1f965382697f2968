import { useFetcher, useRevalidator } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'
import { useDesktopNotifications } from './account/desktop-notifications.ts'
import { useReloadWhenRedirectDropped } from './use-kept-post.ts'
import { latestWhenOnline } from '#app/utils/when-online.ts'
import { isRouteModuleLoaded, preloadRouteModule } from '#app/utils/preload-route.ts'
import { NOT_SAVED_MESSAGE, unansweredErrors } from '#app/utils/unanswered.ts'
import { useLive } from './live/live-provider.tsx'
import { BellIcon } from './ui/icons.tsx'
import { Menu, type MenuEntry } from './ui/menu.tsx'

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

const NOTIFICATIONS_ROUTE = 'routes/w.$slug.notifications'

/**
 * The bell: unread count, the latest notifications, mark read. Arrives live; works without JS.
 * With JavaScript its forms post through a fetcher to the notifications page's action, whose
 * module is fetched when the bell is first pointed at or focused: offline, a post whose module
 * is missing would have Remix reload the page (to the browser's offline page), and one that gets
 * no answer would navigate to the notifications page and fail there. Either way the bell now
 * says it was not saved and the page stays.
 */
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
    const reload = latestWhenOnline()
    const handler = () => reload.run(() => revalidate.current())
    socket.on('notification', handler)
    return () => {
      socket.off('notification', handler)
      reload.cancel()
    }
  }, [socket])
  const fetcher = useFetcher<{ error?: string }>({ key: 'notifications-bell' })
  // Marked read as a reload of the page started (the live connection coming back): the count
  // that reload read may be from before the action wrote, and React Router drops the redirect.
  useReloadWhenRedirectDropped(fetcher)
  const [moduleMissing, setModuleMissing] = useState(false)
  // A redirect (the post worked) leaves the fetcher's data as it was: the answer shown is only
  // one that came after the last post started.
  const [before, setBefore] = useState<unknown>()
  const submit = (action: string, fields: Record<string, string>) => {
    const missing = !isRouteModuleLoaded(NOTIFICATIONS_ROUTE)
    setModuleMissing(missing)
    setBefore(fetcher.data)
    if (!missing) fetcher.submit(fields, { method: 'post', action })
  }
  const answer = fetcher.state === 'idle' && fetcher.data !== before ? fetcher.data : undefined
  const error = moduleMissing ? NOT_SAVED_MESSAGE : (unansweredErrors(answer)?.[0] ?? answer?.error)
  return (
    // Pointer and focus on the bell (not interactions of their own): fetch the action's module.
    <div
      className="relative"
      onPointerEnter={() => preloadRouteModule(NOTIFICATIONS_ROUTE)}
      onFocus={() => preloadRouteModule(NOTIFICATIONS_ROUTE)}
    >
      <Menu
        submit={submit}
        triggerClassName="flex items-center gap-2 rounded-md px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
        trigger={
          <>
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
          </>
        }
        contentClassName="w-72 p-2"
        entries={[
          ...items.map((n): MenuEntry => ({
            type: 'form',
            key: n.id,
            action: `/w/${slug}/notifications`,
            fields: { intent: 'open', id: n.id, ...(n.number !== null ? { number: String(n.number) } : {}) },
            className: n.read ? 'text-slate-500 dark:text-slate-400' : 'font-medium',
            label: (
              <>
                {describe(n)}
                <span className="block truncate text-xs font-normal text-slate-500 dark:text-slate-400">
                  {n.subject}
                </span>
              </>
            ),
          })),
          ...(items.length === 0
            ? [
                {
                  type: 'text',
                  key: 'empty',
                  label: 'No notifications yet.',
                  className: 'text-slate-600 dark:text-slate-400',
                } as const,
              ]
            : []),
          { type: 'separator', key: 'sep' },
          ...(unread > 0
            ? [
                {
                  type: 'form',
                  key: 'read-all',
                  action: `/w/${slug}/notifications`,
                  fields: { intent: 'read-all' },
                  label: 'Mark all as read',
                  className: 'text-indigo-700 dark:text-indigo-300',
                } as const,
              ]
            : []),
          {
            type: 'link',
            key: 'all',
            to: `/w/${slug}/notifications`,
            label: 'All notifications',
            className: 'text-indigo-700 dark:text-indigo-300',
          },
        ]}
      />
      <p
        role="alert"
        className="absolute top-full right-0 mt-1 w-64 text-right text-xs text-red-700 dark:text-red-400"
      >
        {error}
      </p>
    </div>
  )
}
