import { useFetcher } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { LiveSocketField } from '#app/components/live/live-socket-field.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { X } from '#app/components/ui/icons.tsx'
import {
  PRIORITY_LABEL,
  STATUS_LABEL,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  type TicketPriority,
  type TicketStatus,
} from '#app/utils/vocabulary.ts'
import { useApplyChoiceMadeBeforeHydration, useHydrated } from '#app/utils/use-hydrated.ts'
import { useReloadWhenRedirectDropped } from '#app/components/use-kept-post.ts'
import { NOT_SAVED_MESSAGE } from '#app/utils/unanswered.ts'
import { TAG_NAME_MAX } from '#app/utils/ticket-page-schemas.ts'

/** The sidebar's controls: `tag` is the add-tag input, `removeTag` a tag's × button. */
export type SidebarField = 'status' | 'priority' | 'assigneeId' | 'tag' | 'removeTag'
/** What the action answers a sidebar form with when it refuses the change (`tagId`: which ×). */
/** `typed`: what a refused field held, drawn in it again (a post without JavaScript loads the page anew). */
export type SidebarError = { field: SidebarField; message: string; tagId?: string; typed?: string }
/** `sendFailed`: the post got no answer (offline, a 5xx; see the route's clientAction). */
type SidebarResult = { sidebarError?: SidebarError; sendFailed?: true }

/** The refusal (or the failure to get an answer) a sidebar form's last post got. */
function refusalOf(fetched: SidebarResult | undefined, field: SidebarField): SidebarError | undefined {
  if (fetched?.sidebarError) return fetched.sidebarError
  return fetched?.sendFailed ? { field, message: NOT_SAVED_MESSAGE } : undefined
}

type Props = {
  ticket: { status: TicketStatus; priority: TicketPriority; assigneeId: string | null }
  members: Array<{ userId: string; name: string }>
  tags: Array<{ id: string; name: string }>
  workspaceTags: Array<{ id: string; name: string }>
  /** An error from a full-page (no JavaScript) post. */
  pageError?: SidebarError
}

const selectClass =
  'block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900'

/**
 * Status, priority, assignee and tags, each saved on its own: with JavaScript on change through
 * a fetcher (no reload), without it by a small form with a Save button.
 */
export function TicketSidebar({ ticket, members, tags, workspaceTags, pageError }: Props) {
  return (
    <section aria-label="Ticket properties" className="space-y-4">
      <FieldForm
        name="status"
        label="Status"
        value={ticket.status}
        options={TICKET_STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] }))}
        pageError={pageError}
      />
      <FieldForm
        name="priority"
        label="Priority"
        value={ticket.priority}
        options={TICKET_PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABEL[p] }))}
        pageError={pageError}
      />
      <FieldForm
        name="assigneeId"
        label="Assignee"
        value={ticket.assigneeId ?? 'none'}
        options={[
          { value: 'none', label: 'Unassigned' },
          ...members.map((m) => ({ value: m.userId, label: m.name })),
          // A closed ticket keeps who handled it after they left the workspace: not "Unassigned".
          ...(ticket.assigneeId && !members.some((m) => m.userId === ticket.assigneeId)
            ? [{ value: ticket.assigneeId, label: 'A former member' }]
            : []),
        ]}
        pageError={pageError}
      />
      <TagsEditor tags={tags} workspaceTags={workspaceTags} pageError={pageError} />
    </section>
  )
}

function errorFor(field: SidebarField, fetched: SidebarResult | undefined, pageError?: SidebarError) {
  const error = refusalOf(fetched, field) ?? pageError
  return error?.field === field ? error.message : undefined
}

function FieldForm(props: {
  name: Exclude<SidebarField, 'tag' | 'removeTag'>
  label: string
  value: string
  options: Array<{ value: string; label: string }>
  pageError?: SidebarError
}) {
  const fetcher = useFetcher<SidebarResult>()
  // Saved as a reload of the page started (a live event's): that reload may show the old value.
  useReloadWhenRedirectDropped(fetcher)
  const hydrated = useHydrated()
  // A choice made before the page's scripts ran is saved once they do (its Save button goes away).
  const formRef = useRef<HTMLFormElement>(null)
  useApplyChoiceMadeBeforeHydration(formRef, (form) => fetcher.submit(form, { preventScrollReset: true }))
  const id = `ticket-${props.name}`
  const errorId = `${id}-error`
  const pending = fetcher.state !== 'idle'
  // Optimistic: show the choice being saved; fall back to the server's value once settled.
  const submitted = fetcher.formData?.get(props.name)
  const value = typeof submitted === 'string' ? submitted : props.value
  const error = fetcher.state === 'idle' ? errorFor(props.name, fetcher.data, props.pageError) : undefined
  return (
    <fetcher.Form method="post" preventScrollReset ref={formRef} autoComplete="off" className="space-y-1">
      <input type="hidden" name="intent" value="update" />
      <LiveSocketField />
      <label htmlFor={id} className="block text-sm font-medium">
        {props.label}
      </label>
      <div className="flex items-center gap-2">
        <select
          id={id}
          name={props.name}
          value={value}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          onChange={(event) => fetcher.submit(event.currentTarget.form, { preventScrollReset: true })}
          className={selectClass}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {hydrated ? null : (
          <Button type="submit" variant="secondary" aria-label={`Save ${props.label.toLowerCase()}`}>
            Save
          </Button>
        )}
      </div>
      <div id={errorId} className="min-h-5 text-xs" aria-live="polite">
        {pending ? (
          <span className="text-slate-500 dark:text-slate-400">Saving…</span>
        ) : error ? (
          <span className="text-red-600 dark:text-red-400">{error}</span>
        ) : null}
      </div>
    </fetcher.Form>
  )
}

function TagsEditor(props: {
  tags: Array<{ id: string; name: string }>
  workspaceTags: Array<{ id: string; name: string }>
  pageError?: SidebarError
}) {
  const adder = useFetcher<SidebarResult>()
  useReloadWhenRedirectDropped(adder)
  const formRef = useRef<HTMLFormElement>(null)
  const error = adder.state === 'idle' ? errorFor('tag', adder.data, props.pageError) : undefined
  const adding = adder.formData?.get('name')
  const wasAdding = useRef(false)
  useEffect(() => {
    // Clear the input once a tag was added (an error keeps what was typed).
    if (adder.state === 'idle' && wasAdding.current && !refusalOf(adder.data, 'tag')) formRef.current?.reset()
    wasAdding.current = adder.state !== 'idle'
  }, [adder.state, adder.data])
  const suggestions = props.workspaceTags.filter((t) => !props.tags.some((x) => x.id === t.id))
  // A refused × (no JavaScript) shows on its chip; one naming no chip here, under the list.
  const removeError = props.pageError?.field === 'removeTag' ? props.pageError : undefined
  const orphanRemoveError =
    removeError && !props.tags.some((t) => t.id === removeError.tagId) ? removeError.message : undefined
  return (
    <div className="space-y-2">
      {/* h2: the page's h1 is the subject, and no other heading comes between (a skipped level). */}
      <h2 className="text-sm font-medium" id="tags-heading">
        Tags
      </h2>
      <ul aria-labelledby="tags-heading" className="flex flex-wrap gap-1.5">
        {props.tags.map((tag) => (
          <TagChip
            key={tag.id}
            tag={tag}
            pageError={removeError?.tagId === tag.id ? removeError.message : undefined}
          />
        ))}
        {typeof adding === 'string' && adding.trim() ? (
          <li className="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-500 dark:bg-slate-800">
            {adding.trim()}…
          </li>
        ) : null}
        {props.tags.length === 0 && !adding ? (
          <li className="text-xs text-slate-500 dark:text-slate-400">No tags</li>
        ) : null}
      </ul>
      {orphanRemoveError ? (
        <p id="ticket-tags-error" role="alert" className="text-xs text-red-600 dark:text-red-400">
          {orphanRemoveError}
        </p>
      ) : null}
      <adder.Form method="post" preventScrollReset ref={formRef} className="flex items-start gap-2">
        <input type="hidden" name="intent" value="add-tag" />
        <LiveSocketField />
        <div className="min-w-0 flex-1">
          <label htmlFor="ticket-add-tag" className="sr-only">
            Add a tag
          </label>
          <input
            id="ticket-add-tag"
            name="name"
            list="ticket-tag-suggestions"
            placeholder="Add a tag"
            maxLength={TAG_NAME_MAX}
            defaultValue={props.pageError?.field === 'tag' ? props.pageError.typed : undefined}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'ticket-add-tag-error' : undefined}
            className="block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
          />
          <datalist id="ticket-tag-suggestions">
            {suggestions.map((t) => (
              <option key={t.id} value={t.name} />
            ))}
          </datalist>
        </div>
        <Button type="submit" variant="secondary" pending={adder.state !== 'idle'}>
          Add
        </Button>
      </adder.Form>
      <div
        id="ticket-add-tag-error"
        className="min-h-5 text-xs text-red-600 dark:text-red-400"
        aria-live="polite"
      >
        {error ?? null}
      </div>
    </div>
  )
}

function TagChip({ tag, pageError }: { tag: { id: string; name: string }; pageError?: string }) {
  const fetcher = useFetcher<SidebarResult>()
  useReloadWhenRedirectDropped(fetcher)
  if (fetcher.state !== 'idle' && !refusalOf(fetcher.data, 'removeTag')) {
    return null // optimistically gone
  }
  const error =
    fetcher.state === 'idle' ? (refusalOf(fetcher.data, 'removeTag')?.message ?? pageError) : undefined
  const errorId = `ticket-tag-${tag.id}-error`
  return (
    <li className="inline-flex flex-wrap items-center gap-x-1">
      <span className="inline-flex items-center gap-0.5 rounded-full bg-indigo-50 pl-2 text-xs text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200">
        {tag.name}
        <fetcher.Form method="post" preventScrollReset className="inline">
          <input type="hidden" name="intent" value="remove-tag" />
          <LiveSocketField />
          <input type="hidden" name="tagId" value={tag.id} />
          <button
            type="submit"
            aria-label={`Remove tag ${tag.name}`}
            aria-describedby={error ? errorId : undefined}
            className="flex size-6 items-center justify-center rounded-full hover:bg-indigo-200 dark:hover:bg-indigo-800"
          >
            {/* The icon is 12 px; the button is 24 × 24, the least target WCAG 2.5.8 allows. */}
            <X aria-hidden className="size-3" />
          </button>
        </fetcher.Form>
      </span>
      {error ? (
        <span id={errorId} role="alert" className="text-xs text-red-600 dark:text-red-400">
          {error}
        </span>
      ) : null}
    </li>
  )
}
