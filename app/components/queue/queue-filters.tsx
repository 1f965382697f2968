import { Form, Link, useNavigation } from '@remix-run/react'
import type { ReactNode } from 'react'
import type { QueueSort } from '#app/domain/queue.server.ts'
import { Button } from '#app/components/ui/button.tsx'
import { PRIORITY_LABEL, STATUS_LABEL, TICKET_PRIORITIES, TICKET_STATUSES } from '#app/utils/vocabulary.ts'

export type QueueQueryValues = {
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
  'block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900'

function Select({
  name,
  label,
  value,
  children,
}: {
  name: string
  label: string
  value: string
  children: ReactNode
}) {
  return (
    <div className="space-y-1">
      <label
        htmlFor={`filter-${name}`}
        className="block text-xs font-medium text-slate-600 dark:text-slate-400"
      >
        {label}
      </label>
      {/* key: a new value from the URL (back button) resets the uncontrolled select */}
      <select key={value} id={`filter-${name}`} name={name} defaultValue={value} className={selectClass}>
        {children}
      </select>
    </div>
  )
}

/**
 * Search and filters as one GET form: the URL is the state, so a filtered queue can be shared
 * and the back button restores it. Works without JavaScript.
 */
export function QueueFilters({ query, options }: { query: QueueQueryValues; options: QueueOptions }) {
  const navigation = useNavigation()
  const loading = navigation.state === 'loading' && navigation.formMethod?.toUpperCase() === 'GET'
  return (
    <Form method="get" role="search" aria-label="Filter tickets" className="space-y-3">
      {query.explicitView ? <input type="hidden" name="view" value={query.explicitView} /> : null}
      <div className="flex items-end gap-2">
        <div className="flex-1 space-y-1">
          <label
            htmlFor="queue-search"
            className="block text-xs font-medium text-slate-600 dark:text-slate-400"
          >
            Search tickets
          </label>
          <input
            key={query.q}
            id="queue-search"
            type="search"
            name="q"
            defaultValue={query.q}
            maxLength={1000}
            placeholder="Words, a customer, an email, or #123"
            aria-keyshortcuts="/"
            className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
        <Button type="submit" pending={loading}>
          Search
        </Button>
      </div>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <Select name="mailbox" label="Mailbox" value={query.mailbox}>
          <option value="">All</option>
          {options.mailboxes.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </Select>
        <Select name="status" label="Status" value={query.status}>
          <option value="">All</option>
          {TICKET_STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </Select>
        <Select name="priority" label="Priority" value={query.priority}>
          <option value="">All</option>
          {TICKET_PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABEL[p]}
            </option>
          ))}
        </Select>
        <Select name="assignee" label="Assignee" value={query.assignee}>
          <option value="">All</option>
          <option value="none">Unassigned</option>
          {options.members.map((m) => (
            <option key={m.userId} value={m.userId}>
              {m.name}
            </option>
          ))}
        </Select>
        <Select name="tag" label="Tag" value={query.tag}>
          <option value="">All</option>
          {options.tags.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
        <Select name="sort" label="Sort by" value={query.sort}>
          {(Object.keys(SORT_LABEL) as QueueSort[])
            .filter((s) => s !== 'relevance' || query.q)
            .map((s) => (
              <option key={s} value={s}>
                {SORT_LABEL[s]}
              </option>
            ))}
        </Select>
      </div>
      <div className="flex gap-3 text-sm">
        <Button type="submit" variant="secondary" pending={loading}>
          Apply filters
        </Button>
        <Link
          to={query.explicitView ? `?view=${query.explicitView}` : '.'}
          className="self-center text-indigo-600 hover:underline dark:text-indigo-400"
        >
          Clear filters
        </Link>
      </div>
    </Form>
  )
}
