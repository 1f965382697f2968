import { Form } from '@remix-run/react'
import { useEffect, useRef, type ReactNode } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import { FormErrors } from '#app/components/ui/field.tsx'
import { useDrawnValues, type FormValues } from '#app/utils/use-drawn-values.ts'
import { focusFirstInvalidField } from '#app/utils/use-focus-when-shown.ts'

/**
 * One small settings form of a page with several: posts `intent` with its fields, and its submit
 * button shows pending while this form (not another on the page) is submitting. Works without
 * JavaScript like any form. Its fields are drawn with `stored` (their `defaultValue`s): a value
 * stored after the page was drawn (another tab, a detection on this page) shows in a field the
 * person has not changed once the page reloads its data (useDrawnValues). When its post is
 * refused, focus goes to the first field it marks invalid.
 */
const NOTHING_STORED: FormValues = {}

export function IntentForm({
  intent,
  submitLabel,
  pendingIntent,
  variant = 'secondary',
  notSent,
  stored = NOTHING_STORED,
  children,
}: {
  intent: string
  submitLabel: string
  /** The intent being submitted now, if any (navigation.formData's). */
  pendingIntent: FormDataEntryValue | null | undefined
  variant?: 'primary' | 'secondary'
  /** Its last post got no answer (offline; `unansweredErrors`): said under its button. */
  notSent?: string[]
  /** The stored values its fields show, by field name ('' for an unticked box). */
  stored?: FormValues
  children?: ReactNode
}) {
  const id = `${intent}-form`
  useDrawnValues(id, stored, {})
  const posting = pendingIntent === intent
  const wasPosting = useRef(false)
  useEffect(() => {
    // The post's answer is drawn in the render that ends it: its invalid fields are marked now.
    if (wasPosting.current && !posting) focusFirstInvalidField(document.getElementById(id))
    wasPosting.current = posting
  }, [posting, id])
  return (
    <Form method="post" id={id} className="space-y-2">
      <input type="hidden" name="intent" value={intent} />
      {children}
      <Button type="submit" variant={variant} pending={pendingIntent === intent}>
        {submitLabel}
      </Button>
      {notSent ? <FormErrors id={`${intent}-error`} errors={notSent} /> : null}
    </Form>
  )
}
