import type { SubmissionResult } from '@conform-to/react'
import { Link, useLocation, useNavigate, useNavigation, useNavigationType } from '@remix-run/react'
import {
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
  type MouseEvent,
  type Ref,
  type RefObject,
  type TdHTMLAttributes,
} from 'react'
import type { TicketPriority, TicketStatus } from '#app/utils/vocabulary.ts'
import { useShortcuts } from '#app/utils/use-shortcuts.ts'
import { useFormatters } from '#app/utils/use-formatters.ts'
import { lastTicketOfQueue, queueSearchOf, ticketHref } from '#app/utils/last-queue.ts'
import { focusIsLost, focusMainContent } from '#app/utils/focus.ts'
import { useLive } from '#app/components/live/live-provider.tsx'
import type { WorkspaceEvent } from '#app/realtime/protocol.ts'
import { BULK_FORM_ID } from './bulk-toolbar.tsx'
import { ShortcutsDialog } from './shortcuts-dialog.tsx'
import { morphInnerHtml } from './morph-html.ts'
import {
  assigneeCellHtml,
  customerCellHtml,
  statusCellHtml,
  subjectCellHtml,
  whenCellHtml,
} from './row-html.ts'

/** A queue row as the loader sends it: an optional marker that is absent is empty (false, none). */
export type QueueTableRow = {
  id: string
  number: number
  subject: string
  status: TicketStatus
  priority: TicketPriority
  lastActivityAt: string
  contactName: string
  contactEmail: string
  assigneeName: string | null
  unread?: boolean
  tags: Array<{ id: string; name: string }>
  snippet?: Array<{ text: string; highlight: boolean }> | null
  /** The viewing agent has an unsent draft on this ticket. */
  draft?: boolean
  /** AI triage's one-line summary of the request (plain text). */
  gist?: string | null
  /** The first line of the last message the customer can see (never an internal note). */
  preview?: string | null
  /** The preview is the team's reply rather than the customer's message. */
  previewFromAgent?: boolean
  /** When the customer's still-unanswered message arrived (open and pending tickets only). */
  waitingSince?: string | null
  messageCount?: number
  hasAttachments?: boolean
  mailboxName?: string
}

/**
 * A checked ticket whose row a live update took away (a teammate's change made it leave the
 * view): `changes` are the fields the last change to it set as its event carried them (null: none
 * seen here, so the page cannot say why).
 */
export type LeftSelection = { number: number; changes: Record<string, unknown> | null }

/** What the inbox's bulk toolbar may do to the table's selection. */
export type SelectionHandle = { clear: () => void }

/** Ids the server sent back with a rejected bulk submission, to keep them checked. */
function submittedIds(lastResult: SubmissionResult<string[]> | undefined) {
  const value = lastResult?.initialValue?.ticketIds
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return typeof value === 'string' ? [value] : []
}

/**
 * The queue's rows. j/k move a visible selection (focus lands on the ticket link, so Enter opens
 * it natively), x checks the row for a bulk action, / jumps to the search box, ? lists shortcuts.
 */
/** The keyboard's row (see QueueTable) among `rows` as they are now, or null. */
export function activeIndex(
  cursor: { id: string; index: number; search: string } | null,
  rows: ReadonlyArray<{ id: string }>,
  search: string,
): number | null {
  if (cursor === null || cursor.search !== search || rows.length === 0) return null
  const at = rows.findIndex((row) => row.id === cursor.id)
  return at >= 0 ? at : Math.min(cursor.index, rows.length - 1)
}

export function QueueTable({
  rows,
  now,
  slug,
  searching,
  lastResult,
  keepSelection = false,
  viewing = {},
  selectable = true,
  selectionRef,
  onSelectionLeft,
}: {
  /** Lets the bulk toolbar clear the selection ("Clear selection"). */
  selectionRef?: Ref<SelectionHandle>
  /** Checked tickets a live update took off the page (never a navigation's or a bulk action's). */
  onSelectionLeft?: (left: LeftSelection[]) => void
  /** The last bulk post got no answer (no result either): the checks stay for another try. */
  keepSelection?: boolean
  /** False where there is no bulk form (the customer page): no checkbox column. */
  selectable?: boolean
  /** Ticket id → names of teammates who have it open right now. */
  viewing?: Record<string, string[]>
  rows: QueueTableRow[]
  now: string
  slug: string
  searching: boolean
  lastResult: SubmissionResult<string[]> | undefined
}) {
  // Links from the queue name it (the customer page's rows name no queue).
  const location = useLocation()
  const queueSearch = location.pathname === `/w/${slug}/tickets` ? queueSearchOf(location.search) : ''
  const navigate = useNavigate()
  const navigation = useNavigation()
  const format = useFormatters()
  const [selected, setSelected] = useState(() => new Set(submittedIds(lastResult)))
  // The row the keyboard is on (j/k, x, Enter), by ticket: a live update that adds or removes rows
  // above it keeps it there (it was an index reset to none, so j went back to the top row and Enter
  // could open a ticket that had just arrived). Its row gone from the view (resolved by a teammate),
  // the one now at its place; another view or page starts afresh.
  const [cursor, setCursor] = useState<{ id: string; index: number; search: string } | null>(null)
  const active = activeIndex(cursor, rows, queueSearch)
  const setActive = (index: number) => {
    const row = rows[index]
    if (row) setCursor({ id: row.id, index, search: queueSearch })
  }
  const rowElements = useRef<Array<HTMLTableRowElement | null>>([])
  const [shortcutsOpen, setShortcutsOpen] = useState(false)

  const [hydrated, setHydrated] = useState(false)
  useEffect(() => {
    setHydrated(true)
    // Boxes ticked before the page's scripts ran (no handler saw them) join the selection. Drawn
    // in the browser, a box shows the selection already, so this adds nothing then.
    const ticked = rows.filter(
      (_row, i) =>
        rowElements.current[i]?.querySelector<HTMLInputElement>('input[name="ticketIds"]')?.checked,
    )
    if (ticked.length > 0) setSelected((current) => new Set([...current, ...ticked.map((row) => row.id)]))
    // Once, for the rows the page was drawn with.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  // The last change live events reported per ticket (ids and changed fields only): why a checked
  // row left the view, when this page saw it.
  const { socket } = useLive()
  const lastChanges = useRef(new Map<string, Record<string, unknown>>())
  useEffect(() => {
    if (!socket || !selectable) return
    const seen = (event: WorkspaceEvent) => {
      if (event.type === 'ticket.updated') lastChanges.current.set(event.ticketId, event.changes)
    }
    socket.on('ticket-event', seen)
    return () => {
      socket.off('ticket-event', seen)
    }
  }, [socket, selectable])

  // Other rows (a filter, another page, a live update): keep what is still on the page. Checked
  // tickets a live update took away (the same address: a reload of this page) are announced: the
  // selection shrank silently under a teammate's change.
  const rowIds = rows.map((r) => r.id).join(',')
  const shown = useRef({ key: location.key, numbers: new Map<string, number>() })
  const latestSelected = useRef(selected)
  latestSelected.current = selected
  const reportLeft = useRef(onSelectionLeft)
  reportLeft.current = onSelectionLeft
  useEffect(() => {
    const present = new Set(rowIds.split(','))
    const before = shown.current
    shown.current = { key: location.key, numbers: new Map(rows.map((row) => [row.id, row.number])) }
    const gone = [...latestSelected.current].filter((id) => !present.has(id))
    if (gone.length === 0) return
    setSelected((current) => new Set([...current].filter((id) => present.has(id))))
    if (before.key !== location.key) return
    const left = gone.flatMap((id) => {
      const number = before.numbers.get(id)
      return number === undefined ? [] : [{ number, changes: lastChanges.current.get(id) ?? null }]
    })
    if (left.length > 0) reportLeft.current?.(left)
    // Rows are compared by their ids; the location is read with them.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rowIds])

  // Back on this queue (Back, the ticket's Inbox link, j/k past its ends): the keyboard's row is the
  // ticket last opened or reached from it (the ticket page remembers it), focused so j and Enter go
  // on from there, unless the agent has put the focus somewhere (the search box) already.
  const onQueue = location.pathname === `/w/${slug}/tickets`
  const navigationType = useNavigationType()
  useEffect(() => {
    if (!onQueue) return
    const id = lastTicketOfQueue(slug, queueSearch)
    const index = id === null ? -1 : rows.findIndex((row) => row.id === id)
    const row = rowElements.current[index]
    if (index < 0 || !row) return
    setCursor({ id: rows[index]!.id, index, search: queueSearch })
    const main = document.getElementById('main-content')
    if (!focusIsLost() && document.activeElement !== main) return
    row.querySelector<HTMLAnchorElement>('a[href]')?.focus({ preventScroll: true })
    const box = row.getBoundingClientRect()
    // Back or Forward: the router put the page back where the agent left it, and it stays there
    // (ticket-page.spec). Otherwise (the Inbox link, j/k past the queue's end) the row is brought
    // below the top bar and above the bottom of the window (the bulk toolbar may float there).
    if (navigationType === 'POP') return
    if (box.top < 64 || box.bottom > window.innerHeight - 16) row.scrollIntoView({ block: 'center' })
    // Once per visit of an address (not on a live reload of it).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [location.key])

  useImperativeHandle(
    selectionRef,
    () => ({
      clear: () => {
        // The first checked row's box takes the focus from the toolbar, which hides now.
        const first = rows.findIndex((row) => selected.has(row.id))
        setSelected(new Set())
        const box = rowElements.current[first]?.querySelector<HTMLInputElement>('input[name="ticketIds"]')
        if (box) box.focus()
        else focusMainContent()
      },
    }),
    [rows, selected],
  )

  // A bulk action that succeeded redirects (no action data): clear the checks it applied to.
  // One that got no answer changed nothing: they stay.
  const bulkInFlight = navigation.state !== 'idle' && navigation.formData?.get('intent') === 'bulk'
  const sawBulk = useRef(false)
  useEffect(() => {
    if (bulkInFlight) sawBulk.current = true
    else if (navigation.state === 'idle' && sawBulk.current) {
      sawBulk.current = false
      if (!lastResult && !keepSelection) setSelected(new Set())
    }
  }, [bulkInFlight, navigation.state, lastResult, keepSelection])

  function moveTo(index: number) {
    if (rows.length === 0) return
    const next = Math.min(Math.max(index, 0), rows.length - 1)
    setActive(next)
    rowElements.current[next]?.querySelector<HTMLAnchorElement>('a[href]')?.focus()
  }
  function toggle(id: string, checked: boolean) {
    setSelected((current) => {
      const next = new Set(current)
      if (checked) next.add(id)
      else next.delete(id)
      return next
    })
  }

  useShortcuts({
    j: () => moveTo(active === null ? 0 : active + 1),
    k: () => moveTo(active === null ? 0 : active - 1),
    x: () => {
      if (active !== null && rows[active]) toggle(rows[active].id, !selected.has(rows[active].id))
    },
    Enter: (event) => {
      // Links and buttons act on Enter themselves.
      if (event.target instanceof Element && event.target.closest('a, button, summary')) return
      if (active !== null && rows[active]) navigate(ticketHref(slug, rows[active].number, queueSearch))
    },
    '/': (event) => {
      event.preventDefault()
      document.getElementById('queue-search')?.focus()
    },
  })

  // The rows' ticket links are plain anchors (see QueueRow): one handler here makes a plain
  // left click (or Enter) on one a client-side navigation, as <Link> does.
  function openTicketLink(event: MouseEvent<HTMLTableSectionElement>) {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.altKey || event.ctrlKey || event.shiftKey) return
    // The rows' only anchors are their ticket links.
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null
    const href = link?.getAttribute('href')
    if (!href) return
    event.preventDefault()
    navigate(href)
  }

  const allChecked = rows.length > 0 && rows.every((r) => selected.has(r.id))
  const busy = navigation.state === 'loading' && navigation.location?.pathname === `/w/${slug}/tickets`

  return (
    <div>
      <RowIconSprite />
      <ShortcutsDialog open={shortcutsOpen} onOpenChange={setShortcutsOpen} />
      {rows.length === 0 ? (
        <div className="rounded-lg border border-dashed border-slate-300 p-10 text-center dark:border-slate-700">
          <p className="font-medium">{searching ? 'No tickets match your search' : 'No tickets here'}</p>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            Try another view or fewer filters.
          </p>
          {searching ? null : (
            <p className="mt-3 text-sm text-slate-600 dark:text-slate-400">
              Tickets arrive when customers use your{' '}
              <a href={`/support/${slug}`} className="text-indigo-700 underline dark:text-indigo-300">
                support form
              </a>{' '}
              or write to a support address forwarded to one of your{' '}
              <Link
                to={`/w/${slug}/settings/mailboxes`}
                className="text-indigo-700 underline dark:text-indigo-300"
              >
                mailboxes
              </Link>
              .
            </p>
          )}
        </div>
      ) : (
        <table aria-busy={busy || undefined} className="w-full table-fixed text-left text-sm">
          <caption className="sr-only">Tickets</caption>
          <thead className="text-xs text-slate-500 dark:text-slate-400">
            <tr>
              {selectable ? (
                <th scope="col" className="w-8 py-1">
                  {/* Needs JavaScript: rendered only once hydrated, so it never shows up inert. */}
                  {hydrated ? (
                    <input
                      type="checkbox"
                      aria-label="Select all tickets on this page"
                      checked={allChecked}
                      onChange={(e) =>
                        setSelected(e.target.checked ? new Set(rows.map((r) => r.id)) : new Set())
                      }
                      className="queue-check"
                    />
                  ) : (
                    <span className="sr-only">Select</span>
                  )}
                </th>
              ) : null}
              <th scope="col" className="py-1 font-medium">
                Ticket
                {/* The count lives in the header row, so checking a ticket never moves the rows. */}
                <span aria-live="polite" className="ml-2 font-normal text-indigo-700 dark:text-indigo-300">
                  {selected.size > 0 ? `${selected.size} selected` : ''}
                </span>
              </th>
              <th scope="col" className="hidden w-44 py-1 font-medium md:table-cell">
                Customer
              </th>
              <th scope="col" className="w-[4.5rem] py-1 font-medium sm:w-24">
                Status
              </th>
              <th scope="col" className="hidden w-32 py-1 font-medium lg:table-cell">
                Assignee
              </th>
              <th scope="col" className="w-20 py-1 text-right font-medium sm:w-28">
                Waiting · activity
              </th>
            </tr>
          </thead>
          {/* Clicks reach the rows' links through here; keyboard users get them from the links
              themselves (Enter on a link is a click). */}
          <tbody onClick={openTicketLink}>
            {rows.map((row, index) => (
              <QueueRow
                key={row.id}
                row={row}
                index={index}
                now={now}
                format={format}
                href={ticketHref(slug, row.number, queueSearch)}
                active={index === active}
                selectable={selectable}
                checked={selected.has(row.id)}
                onCheck={(checked) => toggle(row.id, checked)}
                onFocus={() => setActive(index)}
                rowRef={(el) => {
                  rowElements.current[index] = el
                }}
                viewing={viewing[row.id]}
              />
            ))}
          </tbody>
        </table>
      )}
      <button
        type="button"
        onClick={() => setShortcutsOpen(true)}
        className="mt-2 min-h-6 text-xs text-slate-600 hover:underline dark:text-slate-400"
        aria-keyshortcuts="?"
      >
        Keyboard shortcuts
      </button>
    </div>
  )
}

/**
 * The rows' icons (lucide's paths: corner-up-left, message-square, paperclip, eye), drawn once
 * per table and referenced by every row with <use>: a row's icons were ~0.9 KB of inline SVG each.
 * Stroke and fill come from the `queue-icon` class (app/tailwind.css).
 */
function RowIconSprite() {
  return (
    <svg aria-hidden className="hidden">
      <symbol id="queue-icon-reply" viewBox="0 0 24 24">
        <path d="M20 20v-7a4 4 0 0 0-4-4H4" />
        <path d="M9 14 4 9l5-5" />
      </symbol>
      <symbol id="queue-icon-messages" viewBox="0 0 24 24">
        <path d="M22 17a2 2 0 0 1-2 2H6.828a2 2 0 0 0-1.414.586l-2.202 2.202A.71.71 0 0 1 2 21.286V5a2 2 0 0 1 2-2h16a2 2 0 0 1 2 2z" />
      </symbol>
      <symbol id="queue-icon-attachments" viewBox="0 0 24 24">
        <path d="m16 6-8.414 8.586a2 2 0 0 0 2.829 2.829l8.414-8.586a4 4 0 1 0-5.657-5.657l-8.379 8.551a6 6 0 1 0 8.485 8.485l8.379-8.551" />
      </symbol>
      <symbol id="queue-icon-viewing" viewBox="0 0 24 24">
        <path d="M2.062 12.348a1 1 0 0 1 0-.696 10.75 10.75 0 0 1 19.876 0 1 1 0 0 1 0 .696 10.75 10.75 0 0 1-19.876 0" />
        <circle cx="12" cy="12" r="3" />
      </symbol>
    </svg>
  )
}

/**
 * One ticket in two short lines: number, subject and markers (draft, open by teammates,
 * attachments, tags), then the last message's first line (or the search snippet). A checked row
 * is highlighted by CSS, so that works without JavaScript too. The cells other than the checkbox
 * are HTML text from row-html.ts (why there: that file's comment); the subject link inside is a
 * plain anchor that QueueTable's tbody turns into a client-side navigation, and data-discover
 * keeps Remix's route discovery for its href, as <Link> renders it.
 */
function QueueRow({
  row,
  index,
  now,
  format,
  href,
  active,
  selectable,
  checked,
  onCheck,
  onFocus,
  rowRef,
  viewing,
}: {
  row: QueueTableRow
  index: number
  now: string
  format: Formatters
  /** The ticket's link, naming the queue it was opened from (ticketHref). */
  href: string
  active: boolean
  selectable: boolean
  checked: boolean
  onCheck: (checked: boolean) => void
  onFocus: () => void
  rowRef: (el: HTMLTableRowElement | null) => void
  viewing: string[] | undefined
}) {
  const subject = subjectCellHtml(row, href, viewing)
  // New HTML for the subject cell keeps its link (MorphedCell); should it ever replace it (a new
  // href), a link that had the focus gives it to the new one.
  const cell = useRef<HTMLTableCellElement>(null)
  const hadFocus = useRef(false)
  useEffect(() => {
    const link = cell.current?.querySelector('a')
    if (hadFocus.current && link && document.activeElement !== link) {
      const lost = document.activeElement === null || document.activeElement === document.body
      if (lost) link.focus()
    }
  }, [subject])
  return (
    <tr ref={rowRef} data-active={active || undefined} data-row={index} className="queue-row">
      {selectable ? (
        <td className="py-0.5">
          <input
            type="checkbox"
            form={BULK_FORM_ID}
            name="ticketIds"
            value={row.id}
            checked={checked}
            onChange={(e) => onCheck(e.target.checked)}
            aria-label={`Select ticket #${row.number}`}
            className="queue-check"
          />
        </td>
      ) : null}
      {htmlCell('queue-cell', subject, {
        cellRef: cell,
        onFocus: (e) => {
          hadFocus.current = e.target instanceof HTMLAnchorElement
          if (hadFocus.current) onFocus()
        },
        onBlur: (e) => {
          // A link removed with the old HTML may report a blur: that focus is given back above.
          if (e.target.isConnected) hadFocus.current = false
        },
      })}
      {htmlCell('queue-customer', customerCellHtml(row))}
      {htmlCell('queue-status', statusCellHtml(row))}
      {htmlCell('queue-assignee', assigneeCellHtml(row))}
      {htmlCell('queue-when', whenCellHtml(row, format, now))}
    </tr>
  )
}

type HtmlCellProps = { html: string; cellRef?: RefObject<HTMLTableCellElement> } & Omit<
  TdHTMLAttributes<HTMLTableCellElement>,
  'dangerouslySetInnerHTML' | 'children'
>

/**
 * A cell whose contents are HTML text (row-html.ts). On the server, a plain cell made here (no
 * component, hooks or props object per cell on the inbox's hot path; `live` is only for the
 * browser). In the browser React writes the first markup (kept in hydration) and never updates
 * it, since the `__html` it sees stays the same; later markup is morphed in (morphInnerHtml), so a
 * live change keeps the selection, the focus and a screen reader's place in what it did not
 * change. React's own update would set innerHTML.
 */
function htmlCell(className: string, html: string, live?: Omit<HtmlCellProps, 'html' | 'className'>) {
  return typeof document === 'undefined' ? (
    <td className={className} dangerouslySetInnerHTML={{ __html: html }} />
  ) : (
    <MorphedCell className={className} html={html} {...live} />
  )
}

function MorphedCell({ html, cellRef, ...props }: HtmlCellProps) {
  const first = useRef(html)
  const shown = useRef(html)
  const own = useRef<HTMLTableCellElement>(null)
  const ref = cellRef ?? own
  useLayoutEffect(() => {
    if (shown.current === html || !ref.current) return
    morphInnerHtml(ref.current, html)
    shown.current = html
  }, [html, ref])
  return <td ref={ref} {...props} dangerouslySetInnerHTML={{ __html: first.current }} />
}

type Formatters = ReturnType<typeof useFormatters>
