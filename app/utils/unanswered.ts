import { isRouteErrorResponse, type ClientActionFunctionArgs } from '@remix-run/react'

/**
 * Whether a failed client-side request (a fetcher's load or post, a revalidation) never got an
 * answer the page should act on: the network is down, the connection was cut, or a server or
 * proxy answered 5xx. Such a failure must not replace the page with the error boundary (that
 * takes what the agent typed with it). A redirect and a 4xx refusal (403, 404) are answers and
 * keep their usual path.
 */
export function neverAnswered(error: unknown) {
  if (error instanceof Response) return false
  if (isRouteErrorResponse(error)) return error.status >= 500
  return true
}

/** The result a route's clientLoader or clientAction gives when the request was not answered. */
export const UNANSWERED = { sendFailed: true } as const

/** Shown by a form whose post got no answer; the page and what was typed stay as they were. */
export const NOT_SAVED_MESSAGE = 'Not saved: Switchboard could not be reached. Try again.'

/** Shown by a form whose post was refused because its user is no longer a member of the workspace. */
export const NO_ACCESS_MESSAGE =
  'Not saved: you no longer have access to this workspace. What you typed is still here: copy it before you leave this page.'

/** Shown by a form whose post was refused for the user's role (changed since the page opened). */
export const NO_PERMISSION_MESSAGE =
  'Not saved: you no longer have permission to do this (your role may have changed). What you typed is still here.'

/**
 * The message for a post refused because its user lost access since the page opened: removed
 * from the workspace (`requireMember`'s 404 "Workspace not found") or a role too low now (403).
 * The page and what was typed on it stay: the error page would replace them, and reloading the
 * page's data would only end on that error page too.
 */
export function accessRefusal(error: unknown) {
  if (!isRouteErrorResponse(error)) return undefined
  if (error.status === 404 && error.data === 'Workspace not found') return NO_ACCESS_MESSAGE
  if (error.status === 403) return NO_PERMISSION_MESSAGE
  return undefined
}

/** Shown by a form whose post was refused as too large (over 1 MB without files). */
export const TOO_LARGE_MESSAGE =
  'Not saved: this is too large to send. What you typed is still here: shorten it and try again.'

/** A post refused as too large (413): an answer, but the page and what was typed stay. */
function tooLargeRefusal(error: unknown) {
  return isRouteErrorResponse(error) && error.status === 413 ? TOO_LARGE_MESSAGE : undefined
}

/**
 * A route's clientAction for forms that must not lose the page when their post gets no answer:
 * it answers `{ sendFailed, intent: 'unanswered', error }` instead (the page shows `error`, and
 * `unlessActionNeverArrived` keeps every loader from reloading). A post refused because the user
 * lost access to the workspace or the page (`accessRefusal`) answers the same way, with
 * `noAccess` and that reason as its `error`; one refused as too large (413) with TOO_LARGE_MESSAGE.
 */
export async function keepPageWhenUnanswered({ serverAction, request }: ClientActionFunctionArgs) {
  // serverAction reads the request's body; a copy says which of the page's forms it was (their
  // `intent` field). Not for a multipart post: it may carry 25 MB of files, and the pages that
  // post one have a single form.
  const copy = request.headers.get('Content-Type')?.includes('multipart/') ? undefined : request.clone()
  try {
    return await serverAction()
  } catch (error) {
    const refusal = accessRefusal(error)
    const tooLarge = tooLargeRefusal(error)
    if (!refusal && !tooLarge && !neverAnswered(error)) throw error
    if (!refusal && !tooLarge) console.error('A form post got no answer', error)
    const formIntent = copy ? (await copy.formData().catch(() => undefined))?.get('intent') : undefined
    return {
      ...UNANSWERED,
      intent: 'unanswered',
      formIntent: typeof formIntent === 'string' ? formIntent : null,
      error: refusal ?? tooLarge ?? NOT_SAVED_MESSAGE,
      ...(refusal ? { noAccess: true as const } : {}),
    }
  }
}

/**
 * The form-level error to show for an action result from `keepPageWhenUnanswered`, if it is one.
 * `formIntent`: only for the form that posts that `intent` (a page with several forms).
 */
export function unansweredErrors(actionData: unknown, formIntent?: string): string[] | undefined {
  const answer = actionData as { intent?: unknown; error?: unknown; formIntent?: unknown } | undefined
  if (answer?.intent !== 'unanswered' || typeof answer.error !== 'string') return undefined
  if (formIntent !== undefined && answer.formIntent !== formIntent) return undefined
  return [answer.error]
}
