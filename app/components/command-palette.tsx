import { useLocation, useNavigate, useSubmit } from '@remix-run/react'
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { Command } from '#app/components/ui/icons.tsx'
import { useLazyModule } from '#app/components/ui/lazy.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'
import { ticketNumberIn } from '#app/utils/ticket-number.ts'
import { useShortcuts } from '#app/utils/use-shortcuts.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'
import { STATUS_LABEL, TICKET_STATUSES, type TicketStatus } from '#app/utils/vocabulary.ts'

const loadDialog = () => import('#app/components/ui/dialog.tsx')

/** What GET /w/<slug>/palette answers (app/routes/w.$slug.palette.ts). */
type PaletteResults = {
  me: string | null
  tickets: Array<{ number: number; subject: string; status: TicketStatus }>
  customers: Array<{ id: string; name: string; email: string }>
}

type Item = { id: string; group: string; label: string; hint?: string; run: () => void }

const EMPTY: PaletteResults = { me: null, tickets: [], customers: [] }

/** The ticket number when the page is a ticket page of this workspace. */
function ticketNumberOf(pathname: string, slug: string) {
  const match = pathname.match(new RegExp(`^/w/${slug}/tickets/(\\d+)$`))
  return match ? Number(match[1]) : null
}

/** Posts one of the ticket page's own intents (as its sidebar would) and stays on the page. */
function useTicketIntent(slug: string) {
  const submit = useSubmit()
  return (number: number, fields: Record<string, string>) => {
    const form = new FormData()
    for (const [k, v] of Object.entries(fields)) form.set(k, v)
    submit(form, {
      method: 'post',
      action: `/w/${slug}/tickets/${number}`,
      encType: 'multipart/form-data',
      preventScrollReset: true,
    })
  }
}

/** Every word of the query appears in the label (any order, any case). */
function matches(label: string, query: string) {
  const haystack = label.toLowerCase()
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word))
}

/**
 * The command palette (Ctrl/Cmd+K, or the top bar's button): jump to a ticket by number or
 * subject, a customer, a view or a page, and act on the open ticket (assign to me, set status,
 * add tag). With JavaScript only; without it the top bar's search box and the navigation remain.
 * The Radix dialog is fetched on first intent, so it is not part of the first load.
 * `canAdminister`: the admins' pages (Settings: AI, API tokens, Webhooks) are offered; an agent's
 * palette leaves them out (their loaders refuse an agent).
 */
export function CommandPalette({ slug, canAdminister }: { slug: string; canAdminister: boolean }) {
  const hydrated = useHydrated()
  const dialog = useLazyModule(loadDialog)
  const [open, setOpen] = useState(false)
  const [initialQuery, setInitialQuery] = useState('')
  const { request } = dialog
  const location = useLocation()
  const ticket = ticketNumberOf(location.pathname, slug)
  const postIntent = useTicketIntent(slug)

  // On a ticket page: a assigns it to me, e resolves it, s offers the statuses in the palette.
  useShortcuts(
    ticket === null
      ? {}
      : {
          a: () => {
            void fetch(`/w/${slug}/palette?q=`, { headers: { accept: 'application/json' } })
              .then((response) => response.json() as Promise<PaletteResults>)
              .then(({ me }) => {
                if (me) postIntent(ticket, { intent: 'update', assigneeId: me })
              })
          },
          e: () => postIntent(ticket, { intent: 'update', status: 'resolved' }),
          s: (event) => {
            event.preventDefault()
            request()
            setInitialQuery('status')
            setOpen(true)
          },
        },
  )

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key.toLowerCase() !== 'k' || !(event.ctrlKey || event.metaKey) || event.altKey) return
      event.preventDefault()
      request()
      setInitialQuery('')
      setOpen((was) => !was)
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [request])

  if (!hydrated) return null
  const Dialog = dialog.module?.Dialog
  return (
    <>
      <button
        type="button"
        onPointerEnter={request}
        onFocus={request}
        onClick={() => {
          request()
          setInitialQuery('')
          setOpen(true)
        }}
        aria-keyshortcuts="Control+K Meta+K"
        className="flex h-8 items-center gap-1.5 rounded-md border border-slate-300 px-2 text-sm text-slate-600 hover:bg-slate-50 dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800"
      >
        <Command aria-hidden className="size-4" />
        <span className="sr-only sm:not-sr-only">Jump to…</span>
        <kbd className="hidden font-sans text-xs text-slate-500 md:inline dark:text-slate-400">Ctrl K</kbd>
      </button>
      {Dialog && open ? (
        <Dialog open onOpenChange={setOpen} title="Jump to…" className="max-w-xl" closeButton placement="top">
          <PaletteBody
            slug={slug}
            canAdminister={canAdminister}
            initialQuery={initialQuery}
            onDone={() => setOpen(false)}
          />
        </Dialog>
      ) : null}
    </>
  )
}

function PaletteBody({
  slug,
  canAdminister,
  initialQuery,
  onDone,
}: {
  slug: string
  canAdminister: boolean
  initialQuery: string
  onDone: () => void
}) {
  const navigate = useNavigate()
  const postIntent = useTicketIntent(slug)
  const location = useLocation()
  const listId = useId()
  const [query, setQuery] = useState(initialQuery)
  const [results, setResults] = useState<PaletteResults>(EMPTY)
  const [loading, setLoading] = useState(false)
  const [active, setActive] = useState(0)
  const listRef = useRef<HTMLUListElement>(null)

  // Ask the server as the person types (debounced; a newer query aborts the older one).
  useEffect(() => {
    const controller = new AbortController()
    const timer = setTimeout(
      () => {
        setLoading(true)
        fetch(`/w/${slug}/palette?${new URLSearchParams({ q: query.trim() })}`, {
          signal: controller.signal,
          headers: { accept: 'application/json' },
        })
          .then((response) => (response.ok ? (response.json() as Promise<PaletteResults>) : EMPTY))
          .then((found) => setResults(found))
          .catch(() => {})
          .finally(() => {
            if (!controller.signal.aborted) setLoading(false)
          })
      },
      query.trim() ? 150 : 0,
    )
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [slug, query])

  const currentTicket = ticketNumberOf(location.pathname, slug)

  const items = useMemo(() => {
    const go = (to: string) => () => {
      onDone()
      navigate(to)
    }
    const act = (fields: Record<string, string>) => () => {
      onDone()
      if (currentTicket !== null) postIntent(currentTicket, fields)
    }
    const q = query.trim()
    const number = ticketNumberIn(q)
    const list: Item[] = []
    const ticketActions: Item[] = []
    if (currentTicket !== null) {
      if (results.me) {
        ticketActions.push({
          id: 'assign-me',
          group: `Ticket #${currentTicket}`,
          label: 'Assign to me',
          run: act({ intent: 'update', assigneeId: results.me }),
        })
      }
      for (const status of TICKET_STATUSES) {
        ticketActions.push({
          id: `status-${status}`,
          group: `Ticket #${currentTicket}`,
          label: `Set status: ${STATUS_LABEL[status]}`,
          run: act({ intent: 'update', status }),
        })
      }
      // A ticket number (`#12`, `12`) is a ticket to open, never a tag named "#12".
      if (q && number === null) {
        const name = sliceWhole(q, 50)
        ticketActions.push({
          id: 'add-tag',
          group: `Ticket #${currentTicket}`,
          label: `Add tag “${name}”`,
          run: act({ intent: 'add-tag', name }),
        })
      }
    }
    const base = `/w/${slug}`
    const places: Item[] = [
      ...(
        [
          ['mine', 'Mine'],
          ['unassigned', 'Unassigned'],
          ['open', 'All open'],
          ['pending', 'Pending'],
          ['resolved', 'Resolved'],
          ['all', 'All tickets'],
        ] as const
      ).map(([view, label]) => ({
        id: `view-${view}`,
        group: 'Views',
        label: `Inbox: ${label}`,
        run: go(`${base}/tickets?view=${view}`),
      })),
      ...(
        [
          ['home', 'Home', ''],
          ['new', 'New ticket', '/tickets/new'],
          ['customers', 'Customers', '/customers'],
          ['notifications', 'Notifications', '/notifications'],
          ['account', 'Your account', '/account'],
          ['settings', 'Settings', '/settings'],
          ['members', 'Settings: Members', '/settings/members'],
          ['mailboxes', 'Settings: Mailboxes', '/settings/mailboxes'],
          ['canned', 'Settings: Canned responses', '/settings/canned-responses'],
          ...(canAdminister
            ? ([
                ['ai', 'Settings: AI', '/settings/ai'],
                ['tokens', 'Settings: API tokens', '/settings/api-tokens'],
                ['webhooks', 'Settings: Webhooks', '/settings/webhooks'],
              ] as const)
            : []),
        ] as const
      ).map(([id, label, path]) => ({ id: `page-${id}`, group: 'Pages', label, run: go(`${base}${path}`) })),
    ]
    const tickets: Item[] = results.tickets.map((t) => ({
      id: `ticket-${t.number}`,
      group: 'Tickets',
      label: `#${t.number} ${t.subject}`,
      hint: STATUS_LABEL[t.status],
      run: go(`${base}/tickets/${t.number}`),
    }))
    const customers: Item[] = results.customers.map((c) => ({
      id: `customer-${c.id}`,
      group: 'Customers',
      label: c.name || c.email,
      hint: c.name ? c.email : undefined,
      run: go(`${base}/customers/${c.id}`),
    }))
    if (!q) return [...ticketActions, ...places]
    // Before the search answers (or when it finds none), the number still opens: through the
    // inbox's `#n` jump, which says so when the workspace has no such ticket.
    if (number !== null && !results.tickets.some((t) => t.number === number)) {
      list.push({
        id: `open-${number}`,
        group: 'Tickets',
        label: `Open ticket #${number}`,
        run: go(`${base}/tickets?${new URLSearchParams({ q: `#${number}` })}`),
      })
    }
    list.push(
      ...tickets,
      ...ticketActions.filter((i) => i.id === 'add-tag' || matches(i.label, q)),
      ...customers,
      ...places.filter((i) => matches(i.label, q)),
    )
    return list
  }, [query, results, currentTicket, slug, canAdminister, navigate, postIntent, onDone])

  // A new list starts at its first item.
  useEffect(() => setActive(0), [items.length, query])
  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' })
  }, [active])

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      if (items.length === 0) return
      const step = event.key === 'ArrowDown' ? 1 : -1
      setActive((i) => (i + step + items.length) % items.length)
    } else if (event.key === 'Enter') {
      event.preventDefault()
      items[active]?.run()
    }
  }

  const optionId = (i: number) => `${listId}-${i}`
  return (
    <div>
      <input
        autoFocus
        type="text"
        role="combobox"
        aria-label="Search tickets, customers, views and actions"
        aria-expanded
        aria-controls={listId}
        aria-activedescendant={items[active] ? optionId(active) : undefined}
        aria-autocomplete="list"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onKeyDown}
        maxLength={200}
        placeholder="Ticket number or subject, customer, view, action…"
        className="mt-3 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-base dark:border-slate-700 dark:bg-slate-950"
      />
      <ul
        ref={listRef}
        id={listId}
        role="listbox"
        aria-label="Results"
        aria-busy={loading || undefined}
        className="mt-2 max-h-[min(24rem,calc(100dvh-12rem))] overflow-y-auto"
      >
        {items.map((item, i) => (
          <li
            key={item.id}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            onPointerMove={() => setActive(i)}
            onClick={item.run}
            className="flex cursor-pointer items-center gap-3 rounded-md px-3 py-1.5 text-sm aria-selected:bg-indigo-50 aria-selected:text-indigo-900 dark:aria-selected:bg-indigo-950 dark:aria-selected:text-indigo-100"
          >
            <span className="w-20 shrink-0 text-xs text-slate-600 dark:text-slate-400">{item.group}</span>
            <span className="min-w-0 flex-1 truncate">{item.label}</span>
            {item.hint ? (
              <span className="shrink-0 text-xs text-slate-600 dark:text-slate-400">{item.hint}</span>
            ) : null}
          </li>
        ))}
      </ul>
      <p className="mt-2 border-t border-slate-200 pt-2 text-xs text-slate-500 dark:border-slate-700 dark:text-slate-400">
        {items.length === 0 && query.trim() && !loading ? 'Nothing found. ' : ''}↑↓ to move, Enter to open,
        Esc to close
      </p>
    </div>
  )
}
