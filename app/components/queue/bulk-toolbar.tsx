import {
  getFormProps,
  getInputProps,
  getSelectProps,
  useForm,
  type SubmissionResult,
} from '@conform-to/react'
import { Form, useNavigation } from '@remix-run/react'
import { LiveSocketField } from '#app/components/live/live-socket-field.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { ConfirmButton } from '#app/components/ui/confirm-dialog.tsx'
import { BULK_CONFIRM_ABOVE } from '#app/utils/confirmation.ts'
import { FormErrors } from '#app/components/ui/field.tsx'
import { STATUS_LABEL, TICKET_STATUSES } from '#app/utils/vocabulary.ts'
import type { QueueOptions } from './queue-filters.tsx'

export const BULK_FORM_ID = 'bulk'

/** The ticket checkboxes checked in the bulk form (they belong to it through `form=`). */
function selectedCount(form: HTMLFormElement) {
  return new FormData(form).getAll('ticketIds').length
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
  className = '',
}: {
  options: QueueOptions
  lastResult: SubmissionResult<string[]> | undefined
  /** The inbox hides it (CSS only, so without JavaScript too) until a ticket is checked. */
  className?: string
}) {
  const navigation = useNavigation()
  const pendingOperation =
    navigation.state === 'submitting' && navigation.formData?.get('intent') === 'bulk'
      ? navigation.formData.get('operation')
      : null
  const [form, fields] = useForm({ id: BULK_FORM_ID, lastResult, shouldRevalidate: 'onSubmit' })
  const errors = [...(form.errors ?? []), ...(fields.ticketIds.errors ?? [])]
  return (
    <Form
      method="post"
      {...getFormProps(form)}
      aria-label="Bulk actions on selected tickets"
      className={`fixed bottom-4 left-1/2 z-20 w-max max-w-[calc(100vw-2rem)] -translate-x-1/2 rounded-lg border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-900 ${className}`}
    >
      <input type="hidden" name="intent" value="bulk" />
      <LiveSocketField />
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <div className="flex items-center gap-2">
          <label htmlFor={fields.tag.id} className="text-sm font-medium">
            Add tag
          </label>
          <input {...getInputProps(fields.tag, { type: 'text' })} maxLength={50} className={controlClass} />
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
          <label htmlFor={fields.assignee.id} className="text-sm font-medium">
            Assign to
          </label>
          <select {...getSelectProps(fields.assignee)} className={controlClass}>
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
          <label htmlFor={fields.status.id} className="text-sm font-medium">
            Status
          </label>
          <select {...getSelectProps(fields.status)} className={controlClass}>
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
            confirmLabel="Set status"
          >
            Set status
          </ConfirmButton>
        </div>
      </div>
      {[fields.tag, fields.assignee, fields.status].map((field) =>
        field.errors?.length ? (
          <p key={field.name} id={field.errorId} className="mt-2 text-sm text-red-600 dark:text-red-400">
            {field.errors.join(' ')}
          </p>
        ) : null,
      )}
      <FormErrors id={form.errorId} errors={errors.length ? errors : undefined} />
    </Form>
  )
}
