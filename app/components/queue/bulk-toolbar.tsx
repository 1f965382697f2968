import type { SubmissionResult } from '@conform-to/react'
import { Form, useNavigation } from '@remix-run/react'
import { LiveSocketField } from '#app/components/live/live-socket-field.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { ConfirmButton } from '#app/components/ui/confirm-dialog.tsx'
import { BULK_CONFIRM_ABOVE, nameTickets } from '#app/utils/confirmation.ts'
import { FormErrors } from '#app/components/ui/field.tsx'
import { STATUS_LABEL, TICKET_STATUSES } from '#app/utils/vocabulary.ts'
import type { QueueOptions } from './queue-filters.tsx'

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

const controlClass =
  'rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900'

/**
 * The bulk action form, floating at the bottom of the window. The row checkboxes belong to it through their `form` attribute, so it
 * works without JavaScript; each button names its operation. The tag group comes first because
 * Enter in its text field submits with the form's first button.
 */
export function BulkToolbar({
  options,
  lastResult,
  notSent,
  className = '',
}: {
  options: QueueOptions
  lastResult: SubmissionResult<string[]> | undefined
  /** The last bulk post got no answer (offline): said where the form's errors show. */
  notSent?: string[]
  /** The inbox hides it (CSS only, so without JavaScript too) until a ticket is checked. */
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
  return (
    <Form
      method="post"
      id={BULK_FORM_ID}
      noValidate
      aria-describedby={formErrors.length ? formErrorId : undefined}
      aria-label="Bulk actions on selected tickets"
      className={`fixed bottom-4 left-1/2 z-20 w-max max-w-[calc(100vw-2rem)] -translate-x-1/2 rounded-lg border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-900 ${className}`}
    >
      <input type="hidden" name="intent" value="bulk" />
      <LiveSocketField />
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <div className="flex items-center gap-2">
          <label htmlFor={fields.tag.props.id} className="text-sm font-medium">
            Add tag
          </label>
          <input type="text" {...fields.tag.props} maxLength={50} className={controlClass} />
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
            <option value="none">Nobody (unassign)</option>
            {options.members.map((m) => (
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
  )
}
