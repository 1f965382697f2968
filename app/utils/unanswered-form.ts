import { useNavigation } from '@remix-run/react'
import { useState } from 'react'
import { unansweredErrors } from './unanswered.ts'

/**
 * The fields of the page's last form post (navigation, not fetchers), kept once it has ended:
 * the action's answer does not say which form a post that got no answer came from.
 */
function useLastPostedFields() {
  const { formData } = useNavigation()
  const [last, setLast] = useState<FormData>()
  // Stored while rendering (React's "state from a change"), so the render that shows the answer has it.
  if (formData && formData !== last) setLast(formData)
  return formData ?? last
}

/**
 * For a page of several forms, some of them alike (one edit form per item): the not-saved message
 * (`unansweredErrors`), for the form whose post got no answer, picked by fields it posts
 * (`{ intent: 'update', mailboxId }`). undefined for every other form, and after a real answer.
 */
export function useUnansweredForm(actionData: unknown) {
  const posted = useLastPostedFields()
  const errors = unansweredErrors(actionData)
  return (fields: Record<string, string>) =>
    errors && posted && Object.entries(fields).every(([name, value]) => posted.get(name) === value)
      ? errors
      : undefined
}
