import type { SubmissionResult } from '@conform-to/react'
import { Form, useNavigation } from '@remix-run/react'
import { LiveSocketField } from '#app/components/live/live-socket-field.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { ConfirmButton } from '#app/components/ui/confirm-dialog.tsx'
import { BULK_CONFIRM_ABOVE, nameTickets } from '#app/utils/confirmation.ts'
import { FormErrors } from '#app/components/ui/field.tsx'
import { focusMainContent } from '#app/utils/focus.ts'
import { TAG_NAME_MAX } from '#app/utils/ticket-page-schemas.ts'
import { STATUS_LABEL, TICKET_STATUSES, type TicketStatus } from '#app/utils/vocabulary.ts'
import type { QueueOptions } from './queue-filters.tsx'
import type { LeftSelection } from './queue-table.tsx'

export const BULK_FORM_ID = 'bulk'

/** The ticket checkboxes checked in the bulk form (they belong to it through `form=`). */
function selectedCount(form: HTMLFormElement) {
  return new FormData(form).getAll('ticketIds').length
}

/** The checked tickets as the confirmation names them (nameTickets), read from their rows. */
function selectedTickets(form: HTMLFormElement) {
  const checked = [
    ...form.ownerDocument.querySelectorAll<HTMLInputElement>('input[name="ticketIds"]:checked'),
  ]
  return nameTickets(
    checked
      .filter((input) => input.form === form)
      .map((input) => ({
        number: Number(/#(\d+)/.exec(input.getAttribute('aria-label') ?? '')?.[1] ?? 0),
        subject: input.closest('tr')?.querySelector('.queue-subject')?.textContent?.trim() ?? '',
      })),
  )
}

type BulkField = 'tag' | 'assignee' | 'status'

/**
 * A control's attributes from the server's reply to a rejected submission (Conform's
 * SubmissionResult: errors by field name, '' for the form's, and the values sent), with the ids
 * and ARIA wiring Conform's getInputProps gave it (`bulk-tag`, `bulk-tag-error`). The action
 * parses with Conform as every form does; the toolbar only reads its reply. useForm's client
 * state (a proxy per field, subscriptions) was ~2% of the inbox server's busy time for a form
 * that validates on the server only (docs/performance.md, session 4).
 */
function fieldOf(lastResult: SubmissionResult<string[]> | undefined, name: BulkField) {
  const id = `${BULK_FORM_ID}-${name}`
  const errors = lastResult?.error?.[name] ?? undefined
  const invalid = Boolean(errors?.length)
  const value = lastResult?.initialValue?.[name]
  return {
    errors: invalid ? errors : undefined,
    errorId: `${id}-error`,
    props: {
      id,
      name,
      defaultValue: typeof value === 'string' ? value : undefined,
      'aria-invalid': invalid || undefined,
      'aria-describedby': invalid ? `${id}-error` : undefined,
    },
  }
}

/**
 * Why a checked ticket left the view, from the fields its last live event changed: the new
 * assignee or status, or, when the page saw no such change (a tag, a merge, an event it missed),
 * only that it no longer matches.
 */
export function describeLeft(left: LeftSelection, members: QueueOptions['members'], me: string) {
  const changes = left.changes ?? {}
  const assignee = changes.assigneeId
  let reason: string | undefined
  if (assignee === null) reason = 'unassigned'
  else if (typeof assignee === 'string') {
    const name = assignee === me ? 'you' : members.find((m) => m.userId === assignee)?.name
    reason = name ? `assigned to ${name}` : undefined
  } else if (typeof changes.status === 'string' && changes.status in STATUS_LABEL) {
    reason = `status set to ${STATUS_LABEL[changes.status as TicketStatus]}`
  }
  return reason
    ? `#${left.number} left your selection: ${reason}`
    : `#${left.number} no longer matches this view and left your selection`
}

const controlClass =
  'rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900'

/**
 * The bulk action form, after the queue's rows and kept at the bottom of the window while they
 * scroll (sticky: it stays in the main column, never over the navigation, and at the end of the
 * list takes its own room, so it covers no row at any width). The row checkboxes belong to it
 * through their `form` attribute, so it works without JavaScript; each button names its
 * operation. The tag group comes first because Enter in its text field submits with the form's
 * first submit button. Above it, the notice of checked tickets a teammate's change took away.
 */
export function BulkToolbar({
  options,
  me,
  lastResult,
  notSent,
  left = [],
  onDismissLeft,
  onClear,
  className = '',
}: {
  options: QueueOptions
  /** The viewing agent's user id: "Me" heads the assignees. */
  me: string
  lastResult: SubmissionResult<string[]> | undefined
  /** The last bulk post got no answer (offline): said where the form's errors show. */
  notSent?: string[]
  /** Checked tickets a live update took off the page (QueueTable's onSelectionLeft). */
  left?: LeftSelection[]
  onDismissLeft?: () => void
  /** Unchecks every ticket (QueueTable's selection). Without JavaScript the button resets the form. */
  onClear?: () => void
  /** The inbox hides the form (CSS only, so without JavaScript too) until a ticket is checked. */
  className?: string
}) {
  const navigation = useNavigation()
  const pendingOperation =
    navigation.state === 'submitting' && navigation.formData?.get('intent') === 'bulk'
      ? navigation.formData.get('operation')
      : null
  const fields = {
    tag: fieldOf(lastResult, 'tag'),
    assignee: fieldOf(lastResult, 'assignee'),
    status: fieldOf(lastResult, 'status'),
  }
  const formErrors = notSent ?? lastResult?.error?.[''] ?? []
  const errors = [...formErrors, ...(lastResult?.error?.ticketIds ?? [])]
  const formErrorId = `${BULK_FORM_ID}-error`
  const others = options.members.filter((m) => m.userId !== me)
  return (
    <div className="sticky bottom-4 z-20 mx-auto w-max max-w-full space-y-2">
      {/* Always in the page, so a screen reader hears what is put in it. */}
      <div
        className={
          left.length > 0
            ? 'flex items-start gap-3 rounded-lg border border-amber-300 bg-amber-50 p-2 text-sm shadow-lg dark:border-amber-700 dark:bg-amber-950'
            : ''
        }
      >
        <div role="status" aria-live="polite" className="min-w-0 flex-1">
          {left.map((ticket) => (
            <p key={ticket.number}>{describeLeft(ticket, options.members, me)}</p>
          ))}
        </div>
        {left.length > 0 ? (
          <button
            type="button"
            onClick={() => {
              onDismissLeft?.()
              focusMainContent()
            }}
            className="min-h-6 shrink-0 font-medium text-amber-900 underline dark:text-amber-200"
          >
            Dismiss
          </button>
        ) : null}
      </div>
      <Form
        method="post"
        id={BULK_FORM_ID}
        noValidate
        aria-describedby={formErrors.length ? formErrorId : undefined}
        aria-label="Bulk actions on selected tickets"
        className={`rounded-lg border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-900 ${className}`}
      >
        <input type="hidden" name="intent" value="bulk" />
        <LiveSocketField />
        <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
          <div className="flex items-center gap-2">
            <label htmlFor={fields.tag.props.id} className="text-sm font-medium">
              Add tag
            </label>
            <input type="text" {...fields.tag.props} maxLength={TAG_NAME_MAX} className={controlClass} />
            <Button
              type="submit"
              name="operation"
              value="tag"
              variant="secondary"
              pending={pendingOperation === 'tag'}
            >
              Add tag
            </Button>
          </div>
          <div className="flex items-center gap-2">
            <label htmlFor={fields.assignee.props.id} className="text-sm font-medium">
              Assign to
            </label>
            <select {...fields.assignee.props} className={controlClass}>
              <option value="">Choose…</option>
              {others.length < options.members.length ? <option value={me}>Me</option> : null}
              <option value="none">Nobody (unassign)</option>
              {others.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.name}
                </option>
              ))}
            </select>
            <Button
              type="submit"
              name="operation"
              value="assign"
              variant="secondary"
              pending={pendingOperation === 'assign'}
            >
              Assign
            </Button>
          </div>
          <div className="flex items-center gap-2">
            <label htmlFor={fields.status.props.id} className="text-sm font-medium">
              Status
            </label>
            <select {...fields.status.props} className={controlClass}>
              <option value="">Choose…</option>
              {TICKET_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </select>
            <ConfirmButton
              name="operation"
              value="status"
              variant="secondary"
              pending={pendingOperation === 'status'}
              when={(form) => selectedCount(form) > BULK_CONFIRM_ABOVE}
              title={(form) => `Change the status of ${selectedCount(form)} tickets?`}
              description="Each ticket gets the new status; this is recorded in its activity."
              items={selectedTickets}
              confirmLabel="Set status"
            >
              Set status
            </ConfirmButton>
          </div>
          {/* A reset unchecks the boxes (they belong to this form) without JavaScript too. */}
          <button
            type="reset"
            onClick={(event) => {
              if (!onClear) return
              event.preventDefault()
              onClear()
            }}
            className="rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
          >
            Clear selection
          </button>
        </div>
        {[fields.tag, fields.assignee, fields.status].map((field) =>
          field.errors ? (
            <p
              key={field.props.name}
              id={field.errorId}
              className="mt-2 text-sm text-red-600 dark:text-red-400"
            >
              {field.errors.join(' ')}
            </p>
          ) : null,
        )}
        <FormErrors id={formErrorId} errors={errors.length ? errors : undefined} />
      </Form>
    </div>
  )
}
