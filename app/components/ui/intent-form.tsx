import { Form } from '@remix-run/react'
import type { ReactNode } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import { FormErrors } from '#app/components/ui/field.tsx'

/**
 * One small settings form of a page with several: posts `intent` with its fields, and its submit
 * button shows pending while this form (not another on the page) is submitting. Works without
 * JavaScript like any form.
 */
export function IntentForm({
  intent,
  submitLabel,
  pendingIntent,
  variant = 'secondary',
  notSent,
  children,
}: {
  intent: string
  submitLabel: string
  /** The intent being submitted now, if any (navigation.formData's). */
  pendingIntent: FormDataEntryValue | null | undefined
  variant?: 'primary' | 'secondary'
  /** Its last post got no answer (offline; `unansweredErrors`): said under its button. */
  notSent?: string[]
  children?: ReactNode
}) {
  return (
    <Form method="post" className="space-y-2">
      <input type="hidden" name="intent" value={intent} />
      {children}
      <Button type="submit" variant={variant} pending={pendingIntent === intent}>
        {submitLabel}
      </Button>
      {notSent ? <FormErrors id={`${intent}-error`} errors={notSent} /> : null}
    </Form>
  )
}
