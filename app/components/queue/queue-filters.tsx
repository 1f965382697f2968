import { Form, Link, useLocation, useNavigate, useNavigation } from '@remix-run/react'
import { useRef, type ReactNode } from 'react'
import type { QueueSort, QueueView } from '#app/domain/queue.server.ts'
import { Button } from '#app/components/ui/button.tsx'
import { Plus, Search, X } from '#app/components/ui/icons.tsx'
import { useApplyChoiceMadeBeforeHydration, useHydrated } from '#app/utils/use-hydrated.ts'
import { useFieldFollowingUrl } from '#app/utils/use-url-value.ts'
import { useQueueHref, VIEW_LABEL } from './queue-nav.tsx'
import { PRIORITY_LABEL, STATUS_LABEL, TICKET_PRIORITIES, TICKET_STATUSES } from '#app/utils/vocabulary.ts'

export type QueueQueryValues = {
  /** The view shown (the default one when the URL names none). */
  view: string
  explicitView: string | null
  mailbox: string
  status: string
  priority: string
  assignee: string
  tag: string
  q: string
  sort: QueueSort
}

export type QueueOptions = {
  mailboxes: Array<{ id: string; name: string }>
  members: Array<{ userId: string; name: string }>
  tags: Array<{ id: string; name: string }>
}

const SORT_LABEL: Record<QueueSort, string> = {
  activity: 'Last activity',
  created: 'Created',
  priority: 'Priority',
  relevance: 'Relevance',
}

const selectClass =
  'block h-8 rounded-md border border-slate-300 bg-white py-0 pr-7 pl-2 text-sm dark:border-slate-700 dark:bg-slate-900'

function Select({
  name,
  label,
  value,
  children,
  capped = true,
}: {
  name: string
  label: string
  value: string
  children: ReactNode
  /** Options named by the workspace (mailboxes, teammates, tags) can be long: 176 px at most. Our
   * own labels are short and never cut (a cap cut 'Sort: Last activity' in some fonts). */
  capped?: boolean
}) {
  const ref = useFieldFollowingUrl<HTMLSelectElement>(value)
  return (
    <div>
      <label htmlFor={`filter-${name}`} className="sr-only">
        {label}
      </label>
      {/* Never keyed on its value: a keyboard user arrows through the options, each applied at once,
          and a remount threw focus out of the select on every one. */}
      <select
        ref={ref}
        id={`filter-${name}`}
        name={name}
        defaultValue={value}
        title={label}
        className={capped ? `${selectClass} max-w-44` : selectClass}
      >
        {children}
      </select>
    </div>
  )
}

/** The form's values without the empty ones (`?status=open`, not `?mailbox=&…`). */
function paramsWithoutEmpty(form: HTMLFormElement) {
  const params = new URLSearchParams()
  for (const [key, value] of new FormData(form)) {
    if (typeof value === 'string' && value.trim() !== '') params.append(key, value)
  }
  return params
}

/**
 * The view a search was started from (with JavaScript), offered back as the optional "Only in …"
 * chip on its results. Kept in the history entry's state, not in the URL (the URL stays the
 * search's own) nor in module state: that outlived the search it was set for, and a later search
 * started from another view offered the first one's.
 */
type SearchState = { searchedFrom?: QueueView }

function searchedFromOf(state: unknown): QueueView | undefined {
  const view = (state as SearchState | null)?.searchedFrom
  return view && view in VIEW_LABEL ? view : undefined
}

/** The sort the queue uses when none is chosen: relevance while searching, else last activity. */
const defaultSort = (q: string): QueueSort => (q ? 'relevance' : 'activity')

/**
 * Search and filters as one compact GET form: the URL is the state, so a filtered queue can be
 * shared and the back button restores it. With JavaScript a filter applies as soon as it changes
 * and empty parameters stay out of the URL; without it, the Apply button submits the form.
 */
export function QueueFilters({ query, options }: { query: QueueQueryValues; options: QueueOptions }) {
  const navigation = useNavigation()
  const navigate = useNavigate()
  const location = useLocation()
  const hydrated = useHydrated()
  const loading = navigation.state === 'loading' && navigation.formMethod?.toUpperCase() === 'GET'
  const href = useQueueHref()
  const apply = (form: HTMLFormElement, fromSearch = false) => {
    const params = paramsWithoutEmpty(form)
    // A new search covers all tickets; the view it started from (the default one too) becomes an
    // optional chip. A search changed or filtered further keeps the view its first one started from.
    let searchedFrom: QueueView | undefined
    if (fromSearch && params.get('q') && !query.q) {
      searchedFrom = query.view as QueueView
      params.delete('view')
    } else if (params.get('q') && !params.get('view')) {
      searchedFrom = searchedFromOf(location.state)
    }
    // The default order is not a parameter either.
    if (params.get('sort') === defaultSort(params.get('q') ?? '')) params.delete('sort')
    const search = params.toString()
    navigate(`${location.pathname}${search ? `?${search}` : ''}`, {
      preventScrollReset: true,
      state: searchedFrom ? ({ searchedFrom } satisfies SearchState) : undefined,
    })
  }
  // A filter chosen before the page's scripts ran applies once they do (the Apply button goes away).
  const formRef = useRef<HTMLFormElement>(null)
  const searchRef = useFieldFollowingUrl<HTMLInputElement>(query.q)
  useApplyChoiceMadeBeforeHydration(formRef, (form) => apply(form))
  const filtered = Boolean(
    query.mailbox || query.status || query.priority || query.assignee || query.tag || query.q,
  )
  const scoped = query.q && query.explicitView && query.explicitView !== 'all' ? query.explicitView : null
  const searchedFrom = searchedFromOf(location.state)
  const offered =
    hydrated && query.q && !query.explicitView && searchedFrom && searchedFrom !== 'all' ? searchedFrom : null
  return (
    <Form
      method="get"
      role="search"
      aria-label="Filter tickets"
      ref={formRef}
      // The selects: a reload must not bring back an earlier choice (see above); the search box
      // keeps the browser's suggestions.
      autoComplete="off"
      className="flex flex-wrap items-center gap-2"
      onChange={(event) => {
        // Selects apply at once; the search box waits for Enter (or the Search button).
        if (event.target instanceof HTMLSelectElement) apply(event.currentTarget)
      }}
      onSubmit={(event) => {
        event.preventDefault()
        apply(event.currentTarget, true)
      }}
    >
      {query.explicitView ? <input type="hidden" name="view" value={query.explicitView} /> : null}
      {/* On a phone the search has its own row: its placeholder had 141 px there, beside the mailboxes. */}
      <div className="flex min-w-48 flex-1 items-center gap-1 max-sm:basis-full">
        <label htmlFor="queue-search" className="sr-only">
          Search tickets
        </label>
        <input
          ref={searchRef}
          id="queue-search"
          type="search"
          name="q"
          defaultValue={query.q}
          autoComplete="on"
          maxLength={1000}
          // Short enough to show whole at every width (the longer hint was cut, even at 1440 px);
          // the hint stays in the tooltip.
          placeholder="Search all tickets…"
          title="Words, a customer, an email, or a ticket number such as #123"
          aria-keyshortcuts="/"
          className="block h-8 w-full min-w-0 rounded-md border border-slate-300 bg-white px-2.5 text-sm dark:border-slate-700 dark:bg-slate-900"
        />
        <button
          type="submit"
          aria-busy={loading || undefined}
          className="flex size-8 shrink-0 items-center justify-center rounded-md border border-slate-300 bg-white hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
        >
          <Search aria-hidden className="size-4" />
          <span className="sr-only">Search</span>
        </button>
      </div>
      {scoped ? (
        <Link
          to={href({ view: null })}
          // Offered again once removed (with JavaScript).
          state={{ searchedFrom: scoped as QueueView } satisfies SearchState}
          className="flex h-8 items-center gap-1 rounded-full bg-indigo-50 px-3 text-xs font-medium text-indigo-800 hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-200"
          title="Search all tickets instead"
        >
          Only in {VIEW_LABEL[scoped as QueueView] ?? scoped}
          <X aria-hidden className="size-3.5" />
          <span className="sr-only">(remove this scope)</span>
        </Link>
      ) : offered ? (
        <Link
          to={href({ view: offered })}
          className="flex h-8 items-center gap-1 rounded-full border border-dashed border-slate-300 px-3 text-xs font-medium text-slate-700 hover:bg-slate-50 dark:border-slate-600 dark:text-slate-300 dark:hover:bg-slate-800"
          title="Search only this view"
        >
          <Plus aria-hidden className="size-3.5" />
          Only in {VIEW_LABEL[offered]}
        </Link>
      ) : null}
      <Select name="mailbox" label="Mailbox" value={query.mailbox}>
        <option value="">All mailboxes</option>
        {options.mailboxes.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </Select>
      <Select name="status" label="Status" value={query.status} capped={false}>
        <option value="">Any status</option>
        {TICKET_STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABEL[s]}
          </option>
        ))}
      </Select>
      <Select name="priority" label="Priority" value={query.priority} capped={false}>
        <option value="">Any priority</option>
        {TICKET_PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {PRIORITY_LABEL[p]}
          </option>
        ))}
      </Select>
      <Select name="assignee" label="Assignee" value={query.assignee}>
        <option value="">Anyone</option>
        <option value="none">Unassigned</option>
        {options.members.map((m) => (
          <option key={m.userId} value={m.userId}>
            {m.name}
          </option>
        ))}
      </Select>
      <Select name="tag" label="Tag" value={query.tag}>
        <option value="">Any tag</option>
        {options.tags.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </Select>
      {/* The first option is the default sort, posted empty: without JavaScript a new search
          from a page sorted by activity (the default) is sorted by relevance, as with it, unless
          another sort was chosen. */}
      <Select
        name="sort"
        label="Sort by"
        value={query.sort === defaultSort(query.q) ? '' : query.sort}
        capped={false}
      >
        <option value="">Sort: {SORT_LABEL[defaultSort(query.q)]}</option>
        {(Object.keys(SORT_LABEL) as QueueSort[])
          .filter((s) => s !== 'relevance' && s !== defaultSort(query.q))
          .map((s) => (
            <option key={s} value={s}>
              Sort: {SORT_LABEL[s]}
            </option>
          ))}
      </Select>
      {hydrated ? null : (
        <Button type="submit" variant="secondary" className="h-8 py-0">
          Apply filters
        </Button>
      )}
      {filtered ? (
        <Link
          to={query.explicitView ? `?view=${query.explicitView}` : '.'}
          className="text-sm text-indigo-700 hover:underline dark:text-indigo-300"
        >
          Clear
        </Link>
      ) : null}
    </Form>
  )
}
