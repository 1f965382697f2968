/** The field a confirmed destructive post carries (from the dialog, or the confirmation page). */
export const CONFIRMED_FIELD = 'confirmed'

/** A bulk status change of more tickets than this asks for confirmation first. */
export const BULK_CONFIRM_ABOVE = 10

/** How many tickets a bulk confirmation names; the rest are counted. */
export const BULK_CONFIRM_NAMES = 10

/**
 * Tickets as a bulk confirmation names them, with JavaScript (the dialog) and without (the
 * confirmation page): "#12 Refund please", the first BULK_CONFIRM_NAMES by number, then "and N more".
 */
export function nameTickets(tickets: Array<{ number: number; subject: string }>) {
  const sorted = [...tickets].sort((a, b) => a.number - b.number)
  const named = sorted
    .slice(0, BULK_CONFIRM_NAMES)
    .map((t) => (t.subject ? `#${t.number} ${t.subject}` : `#${t.number}`))
  const more = sorted.length - named.length
  return more > 0 ? [...named, `and ${more} more`] : named
}

/** What an action answers a destructive post without `confirmed=1` with. */
export type ConfirmStep = {
  title: string
  description?: string
  /** What the action applies to, one a line ("#12 Refund please", "and 5 more"). */
  items?: string[]
  confirmLabel: string
  /** The validated fields to post again (never the raw form: only what the schema accepted). */
  fields: Array<[string, string]>
}

export function isConfirmed(form: FormData) {
  return form.get(CONFIRMED_FIELD) === '1'
}

/** The confirmation step of an action's answer, if it is one. */
export function confirmStepOf(actionData: unknown): ConfirmStep | undefined {
  return actionData && typeof actionData === 'object' && 'confirmStep' in actionData
    ? (actionData as { confirmStep: ConfirmStep }).confirmStep
    : undefined
}

/** The action's answer without the confirmation-step variant (for the page's own forms). */
export function withoutConfirmStep<T>(actionData: T): Exclude<T, { confirmStep: ConfirmStep }> | undefined {
  return confirmStepOf(actionData) ? undefined : (actionData as Exclude<T, { confirmStep: ConfirmStep }>)
}

/** The answer itself: 200, nothing changed. */
export function askToConfirm(step: ConfirmStep) {
  return { confirmStep: step }
}
