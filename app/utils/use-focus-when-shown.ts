import { useLocation } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { focusIsLost } from './focus.ts'

/**
 * For what a page shows after a post in place of the form that was posted (the customer's "Reply
 * sent", the support form's "We received your request", an unsubscribe's "Done"): the button
 * that had focus is gone, so focus is on `<body>` and the next Tab starts at the top of the page.
 * Gives the element (`tabIndex={-1}`) focus when it appears after a navigation in the browser and
 * focus was lost; not on the page as loaded (the browser's own start).
 */
export function useFocusWhenShown<Element extends HTMLElement>() {
  const ref = useRef<Element>(null)
  const { key } = useLocation()
  useEffect(() => {
    // 'default': the location the page was loaded with, not one a navigation made.
    if (key !== 'default' && focusIsLost()) ref.current?.focus()
    // Once, when it appears.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])
  return ref
}

/**
 * After a plain form's post was refused (its fields drawn with `aria-invalid`), focus goes to the
 * first invalid field, as Conform does for its forms: it was on the form's button, or on <main>.
 */
export function focusFirstInvalidField(form: HTMLElement | null) {
  const invalid = form?.querySelector<HTMLElement>('[aria-invalid="true"]')
  invalid?.focus()
}
