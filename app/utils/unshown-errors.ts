import type { SubmissionResult } from '@conform-to/react'

/**
 * The messages of a refused post that no control on the page would show: the form's own (key
 * '': an unknown intent, a limit) and those of hidden fields (an id). A page with several
 * forms shows them once, at its top, so no refusal passes silently.
 */
export function errorsNoControlShows(
  result: SubmissionResult<string[]> | null | undefined,
  shownFields: readonly string[] = [],
) {
  const messages = Object.entries(result?.error ?? {})
    .filter(([field]) => !shownFields.includes(field))
    .flatMap(([, list]) => list ?? [])
  return messages.length > 0 ? messages : undefined
}
