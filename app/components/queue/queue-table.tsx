import type { SubmissionResult } from '@conform-to/react'
import { Link, useNavigate, useNavigation } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'
import {
  PRIORITY_LABEL,
  PRIORITY_TEXT,
  STATUS_BADGE,
  STATUS_LABEL,
  type TicketPriority,
  type TicketStatus,
} from '#app/utils/vocabulary.ts'
import { useShortcuts } from '#app/utils/use-shortcuts.ts'
import { BULK_FORM_ID } from './bulk-toolbar.tsx'
import { RelativeTime } from './relative-time.tsx'
import { EyeIcon } from '#app/components/ui/icons.tsx'
import { ShortcutsDialog } from './shortcuts-dialog.tsx'

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
  unread: boolean
  tags: Array<{ id: string; name: string }>
  snippet: Array<{ text: string; highlight: boolean }> | null
  /** The viewing agent has an unsent draft on this ticket. */
  draft?: boolean
  /** AI triage's one-line summary of the request (plain text). */
  gist?: string | null
}

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
export function QueueTable({
  rows,
  now,
  slug,
  searching,
  lastResult,
  viewing = {},
  selectable = true,
}: {
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
  const navigate = useNavigate()
  const navigation = useNavigation()
  const [selected, setSelected] = useState(() => new Set(submittedIds(lastResult)))
  const [active, setActive] = useState<number | null>(null)
  const links = useRef<Array<HTMLAnchorElement | null>>([])
  const dialog = useRef<HTMLDialogElement>(null)

  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])

  // Other rows (a filter, another page, a live update): keep what is still on the page.
  const rowIds = rows.map((r) => r.id).join(',')
  useEffect(() => {
    const present = new Set(rowIds.split(','))
    setSelected((current) => new Set([...current].filter((id) => present.has(id))))
    setActive(null)
  }, [rowIds])

  // A bulk action that succeeded redirects (no action data): clear the checks it applied to.
  const bulkInFlight = navigation.state !== 'idle' && navigation.formData?.get('intent') === 'bulk'
  const sawBulk = useRef(false)
  useEffect(() => {
    if (bulkInFlight) sawBulk.current = true
    else if (navigation.state === 'idle' && sawBulk.current) {
      sawBulk.current = false
      if (!lastResult) setSelected(new Set())
    }
  }, [bulkInFlight, navigation.state, lastResult])

  function moveTo(index: number) {
    if (rows.length === 0) return
    const next = Math.min(Math.max(index, 0), rows.length - 1)
    setActive(next)
    links.current[next]?.focus()
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
      if (active !== null && rows[active]) navigate(`/w/${slug}/tickets/${rows[active].number}`)
    },
    '/': (event) => {
      event.preventDefault()
      document.getElementById('queue-search')?.focus()
    },
    '?': () => dialog.current?.showModal(),
  })

  const allChecked = rows.length > 0 && rows.every((r) => selected.has(r.id))
  const busy = navigation.state === 'loading' && navigation.location?.pathname === `/w/${slug}/tickets`

  return (
    <div>
      <div className="mb-2 flex items-center justify-between text-sm text-slate-600 dark:text-slate-400">
        <p aria-live="polite">{selected.size > 0 ? `${selected.size} selected` : ''}</p>
        <button
          type="button"
          onClick={() => dialog.current?.showModal()}
          className="hover:underline"
          aria-keyshortcuts="?"
        >
          Keyboard shortcuts
        </button>
      </div>
      <ShortcutsDialog ref={dialog} />
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
        <table aria-busy={busy || undefined} className="w-full text-left text-sm">
          <caption className="sr-only">Tickets</caption>
          <thead className="text-slate-500 dark:text-slate-400">
            <tr>
              {selectable ? (
                <th scope="col" className="w-8 py-2">
                  {/* Needs JavaScript: rendered only once hydrated, so it never shows up inert. */}
                  {hydrated ? (
                    <input
                      type="checkbox"
                      aria-label="Select all tickets on this page"
                      checked={allChecked}
                      onChange={(e) =>
                        setSelected(e.target.checked ? new Set(rows.map((r) => r.id)) : new Set())
                      }
                      className="size-4"
                    />
                  ) : (
                    <span className="sr-only">Select</span>
                  )}
                </th>
              ) : null}
              <th scope="col" className="py-2 font-medium">
                Ticket
              </th>
              <th scope="col" className="py-2 font-medium">
                Customer
              </th>
              <th scope="col" className="py-2 font-medium">
                Status
              </th>
              <th scope="col" className="py-2 font-medium">
                Priority
              </th>
              <th scope="col" className="py-2 font-medium">
                Assignee
              </th>
              <th scope="col" className="py-2 font-medium">
                Last activity
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr
                key={row.id}
                data-active={index === active || undefined}
                className="border-t border-slate-200 align-top data-[active]:bg-indigo-50 dark:border-slate-800 dark:data-[active]:bg-indigo-950"
              >
                {selectable ? (
                  <td className="py-2">
                    <input
                      type="checkbox"
                      form={BULK_FORM_ID}
                      name="ticketIds"
                      value={row.id}
                      checked={selected.has(row.id)}
                      onChange={(e) => toggle(row.id, e.target.checked)}
                      aria-label={`Select ticket #${row.number}`}
                      className="size-4"
                    />
                  </td>
                ) : null}
                <td className="py-2 pr-4">
                  <div className="flex items-baseline gap-2">
                    {row.unread ? (
                      <>
                        <span className="size-2 shrink-0 rounded-full bg-indigo-500" aria-hidden />
                        <span className="sr-only">Unread:</span>
                      </>
                    ) : null}
                    <span className="text-slate-500 dark:text-slate-400">#{row.number}</span>
                    <Link
                      ref={(el) => {
                        links.current[index] = el
                      }}
                      to={`/w/${slug}/tickets/${row.number}`}
                      onFocus={() => setActive(index)}
                      className={`hover:underline focus:outline-2 focus:outline-indigo-500 ${row.unread ? 'font-semibold' : ''}`}
                    >
                      {row.subject}
                    </Link>
                    {row.draft ? (
                      <span
                        className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-200"
                        title="You have an unsent draft on this ticket"
                      >
                        Draft
                      </span>
                    ) : null}
                    {viewing[row.id]?.length ? (
                      <span
                        className="rounded-full bg-indigo-50 px-2 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
                        title={`Open now: ${viewing[row.id].join(', ')}`}
                      >
                        <EyeIcon className="mr-1 inline size-3.5 align-[-2px]" />
                        {viewing[row.id].map((n) => n.split(' ')[0]).join(', ')}
                        <span className="sr-only"> viewing</span>
                      </span>
                    ) : null}
                  </div>
                  {row.gist ? (
                    <p
                      className="mt-0.5 truncate text-xs text-slate-500 dark:text-slate-400"
                      title="Gist by AI triage"
                    >
                      {row.gist}
                    </p>
                  ) : null}
                  {row.snippet ? (
                    <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
                      {row.snippet.map((part, i) =>
                        part.highlight ? (
                          <mark
                            key={i}
                            className="rounded bg-yellow-200 px-0.5 dark:bg-yellow-700 dark:text-white"
                          >
                            {part.text}
                          </mark>
                        ) : (
                          <span key={i}>{part.text}</span>
                        ),
                      )}
                    </p>
                  ) : null}
                  {row.tags.length > 0 ? (
                    <ul aria-label="Tags" className="mt-1 flex flex-wrap gap-1">
                      {row.tags.map((tag) => (
                        <li
                          key={tag.id}
                          className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-300"
                        >
                          {tag.name}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </td>
                <td className="py-2 pr-4">
                  <span title={row.contactEmail}>{row.contactName || row.contactEmail}</span>
                </td>
                <td className="py-2 pr-4">
                  <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_BADGE[row.status]}`}>
                    {STATUS_LABEL[row.status]}
                  </span>
                </td>
                <td className={`py-2 pr-4 ${PRIORITY_TEXT[row.priority]}`}>{PRIORITY_LABEL[row.priority]}</td>
                <td className="py-2 pr-4">
                  {row.assigneeName ?? <span className="text-slate-500 dark:text-slate-400">Unassigned</span>}
                </td>
                <td className="py-2 whitespace-nowrap text-slate-600 dark:text-slate-400">
                  <RelativeTime iso={row.lastActivityAt} now={now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
