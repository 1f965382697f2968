import { isRouteErrorResponse } from '@remix-run/react'

/** What an error page says: its heading (also the document's title) and a sentence. */
export type ErrorPageText = { title: string; detail: string }

/**
 * A heading for every status a page can end with, never a bare number: the router's statusText is
 * empty for a Response thrown with only a status (the 400 of an unsubscribe link, the 413 of a
 * sign-in form too large), and "400 " was the whole heading.
 */
const HEADINGS: Record<number, ErrorPageText> = {
  400: {
    title: 'This link or request is not valid',
    detail: 'The address or the form sent could not be used. Go back and try again.',
  },
  401: { title: 'Sign in to continue', detail: 'This page is for signed-in people only.' },
  403: { title: 'Not allowed', detail: 'You do not have permission to do that.' },
  404: { title: 'Page not found', detail: 'There is nothing here, or you do not have access to it.' },
  // Remix's own 405 (a post to a page without an action) carries a sentence for developers,
  // naming the route module: never shown.
  405: { title: 'Not possible here', detail: 'This page does not take that request.' },
  408: { title: 'The request took too long', detail: 'Go back and try again.' },
  409: {
    title: 'This changed in the meantime',
    detail: 'Someone changed this while you were working on it. Reload the page and try again.',
  },
  410: { title: 'No longer available', detail: 'What this link pointed to is gone.' },
  411: { title: 'This request could not be read', detail: 'Go back and try again.' },
  413: {
    title: 'Too large to send',
    detail: 'What was sent is larger than this page takes. Go back, shorten it and try again.',
  },
  414: { title: 'This address is too long', detail: 'Check the address, or go back and try again.' },
  415: {
    title: 'This request could not be read',
    detail: 'Send the form from its page in the browser.',
  },
  422: { title: 'This request could not be used', detail: 'Go back, check what you entered and try again.' },
  429: { title: 'Too many requests', detail: 'Please wait a little and try again.' },
  431: {
    title: 'Request headers too large',
    detail: 'The browser sent more than this server takes. Clearing this site’s cookies may help.',
  },
  500: {
    title: 'Something went wrong',
    detail: 'An unexpected error happened. It has been logged; please try again.',
  },
  503: {
    title: 'Service temporarily unavailable',
    detail: 'Switchboard cannot reach its database right now. Try again in a moment.',
  },
}

const OTHER_CLIENT_ERROR: ErrorPageText = {
  title: 'This request could not be completed',
  detail: 'Go back and try again.',
}

/** For customers (the support pages): nothing about our logs, our database or the agent app. */
const FOR_CUSTOMERS: Record<number, Partial<ErrorPageText>> = {
  429: { detail: 'Please wait a few minutes and try again.' },
  500: { detail: 'An unexpected error happened on our side. Please try again in a moment.' },
  503: { detail: 'We cannot take requests right now. Please try again in a moment.' },
}

/** The status whose text another one shares (502 and 504 are 503's; any other 5xx is 500's). */
function knownStatus(status: number) {
  if (HEADINGS[status]) return status
  if (status === 502 || status === 504) return 503
  return status >= 500 ? 500 : null
}

/** The heading and sentence for an HTTP status (any: an unknown 4xx gets a general one). */
export function statusText(status: number, { customer = false } = {}): ErrorPageText {
  const key = knownStatus(status)
  if (key === null) return OTHER_CLIENT_ERROR
  return { ...HEADINGS[key]!, ...(customer ? FOR_CUSTOMERS[key] : undefined) }
}

/** A message Remix's router made for developers (`String(new Error(…))`), not one of ours. */
const isRouterMessage = (data: string) => data.startsWith('Error: ')

/**
 * What the error page for `error` (a route's, from `useRouteError`, or the `error` a meta
 * function gets) says. Our own 4xx refusals carry a sentence for the reader (an unreadable form, a
 * rate limit's wait), shown as the detail; the router's own errors ("Error: …") are not.
 * `notFound` is a page's own 404 text (the support pages'); `customer` words the rest for
 * customers.
 */
export function errorPageText(
  error: unknown,
  options: { notFound?: ErrorPageText; customer?: boolean } = {},
): ErrorPageText {
  const customer = options.customer ?? false
  // No answer at all (the network is down, or the server): a link followed offline, say. A reply
  // being typed is kept in this browser (app/components/ticket/draft-backup.ts) and comes back
  // with its ticket. By name, not instanceof: importing the class here would split
  // keep-page-loads.ts (which entry.client.tsx installs) into a chunk of its own.
  const offline = typeof document !== 'undefined' && navigator.onLine === false
  const unreachable = error instanceof Error && error.name === 'UnreachableError'
  if (!customer && (unreachable || (!isRouteErrorResponse(error) && offline))) {
    return {
      title: offline ? 'You are offline' : 'Switchboard could not be reached',
      detail:
        'Switchboard could not be reached. Text you were typing in a reply is kept in this browser and comes back when you open the ticket again.',
    }
  }
  if (!isRouteErrorResponse(error)) return statusText(500, { customer })
  if (error.status === 404 && options.notFound) return options.notFound
  const text = statusText(error.status, { customer })
  const own = typeof error.data === 'string' && error.data !== '' && !isRouterMessage(error.data)
  if (own && error.status < 500 && error.status !== 404 && error.status !== 405) {
    return { ...text, detail: error.data as string }
  }
  return text
}

/** The document's title for an error page: what its heading says. */
export function errorPageTitle(text: ErrorPageText, suffix = 'Switchboard') {
  return `${text.title} · ${suffix}`
}
