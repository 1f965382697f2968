import type { LinksFunction, LoaderFunctionArgs } from '@remix-run/node'
import {
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useLocation,
  useRouteError,
} from '@remix-run/react'
import { useEffect, type ReactNode } from 'react'
import { TimeZoneDetector } from '#app/components/account/time-zone-detector.tsx'
import { dropAllDraftBackups } from '#app/components/ticket/draft-backup.ts'
import { getSignedIn } from '#app/http/auth.server.ts'
import { DEFAULT_TIME_ZONE } from '#app/utils/format.ts'
import { useNonce } from '#app/utils/nonce.tsx'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import stylesheet from './tailwind.css?url'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

/**
 * The viewer's time zone for every page (the session lookup is shared with the route guards, so
 * this adds no query). `timeZoneChosen` is false until the user picks one or the browser reports
 * it on the first visit.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request)
  return {
    timeZone: signedIn?.user.timeZone ?? DEFAULT_TIME_ZONE,
    timeZoneChosen: signedIn ? signedIn.user.timeZone !== null : null,
  }
}

export const shouldRevalidate = unlessActionNeverArrived

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce()
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-screen">
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  const { timeZoneChosen } = useLoaderData<typeof loader>()
  return (
    <>
      {timeZoneChosen === false ? <TimeZoneDetector /> : null}
      <Outlet />
      <DiscoverThisPage />
      <SignOutForgetsUnsavedText />
    </>
  )
}

/** Signing out (any form posting to /logout) forgets the reply text this browser kept unsaved. */
function SignOutForgetsUnsavedText() {
  useEffect(() => {
    const onSubmit = (event: SubmitEvent) => {
      const form = event.target
      if (form instanceof HTMLFormElement && new URL(form.action, location.href).pathname === '/logout') {
        dropAllDraftBackups()
      }
    }
    document.addEventListener('submit', onSubmit, true)
    return () => document.removeEventListener('submit', onSubmit, true)
  }, [])
  return null
}

/**
 * Remix learns the routes of a path the first time it goes there (lazy route discovery, a fetch
 * of /__manifest), and a page with a parameter in its path (a ticket) is not counted as known
 * until it has been looked up. A form the page posts to itself then looked the page up first:
 * offline, that lookup failed and the whole page became "Something went wrong", the typed reply
 * gone, before the form's own "Couldn't send" handling could run. A hidden link to the page
 * itself has it looked up as soon as the page renders, while the network is there.
 */
function DiscoverThisPage() {
  const { pathname } = useLocation()
  return <Link to={pathname} discover="render" prefetch="none" hidden tabIndex={-1} aria-hidden="true" />
}

/** A message Remix's router made for developers (`String(new Error(…))`), not one of ours. */
const isRouterMessage = (data: string) => data.startsWith('Error: ')

export function ErrorBoundary() {
  const error = useRouteError()
  const location = useLocation()
  let title = 'Something went wrong'
  let detail = 'An unexpected error happened. It has been logged; please try again.'
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) {
      title = 'Page not found'
      detail = 'There is nothing here, or you do not have access to it.'
    } else if (error.status === 403) {
      title = 'Not allowed'
      detail =
        typeof error.data === 'string' && error.data ? error.data : 'You do not have permission to do that.'
    } else if (error.status === 503) {
      title = 'Service temporarily unavailable'
      detail = 'Switchboard cannot reach its database right now. Try again in a moment.'
    } else if (error.status === 429) {
      title = 'Too many requests'
      detail = typeof error.data === 'string' ? error.data : 'Please wait a little and try again.'
    } else if (error.status === 405) {
      // Remix's own 405 (a post to a page without an action) carries a sentence for developers,
      // naming the route module: "Error: You made a POST request to … but did not provide an
      // `action` for route "routes/…"". That is not for the reader.
      title = 'Not possible here'
      detail = 'This page does not take that request.'
    } else {
      title = `${error.status} ${error.statusText}`
      // Our own 4xx refusals (an unreadable form, say) carry a sentence for the reader; the
      // router's own errors ("Error: …", internal) do not.
      if (error.status < 500 && typeof error.data === 'string' && error.data && !isRouterMessage(error.data))
        detail = error.data
    }
  }
  // No answer at all (the network is down, or the server): a link followed offline, say. A reply
  // being typed is kept in this browser (app/components/ticket/draft-backup.ts) and comes back
  // with its ticket. (A reload of the page shown never ends here: keep-page-loads.ts.)
  const offline = typeof document !== 'undefined' && navigator.onLine === false
  // By name, not instanceof: importing the class here would split keep-page-loads.ts (which
  // entry.client.tsx installs) into a chunk of its own, one more request on every page.
  const unreachable = error instanceof Error && error.name === 'UnreachableError'
  if (unreachable || (!isRouteErrorResponse(error) && offline)) {
    title = offline ? 'You are offline' : 'Switchboard could not be reached'
    detail =
      'Switchboard could not be reached. Text you were typing in a reply is kept in this browser and comes back when you open the ticket again.'
  }
  return (
    <main className="mx-auto max-w-lg p-10">
      <h1 className="text-2xl font-semibold">{title}</h1>
      <p className="mt-3 text-slate-600 dark:text-slate-400">{detail}</p>
      <p className="mt-6 flex gap-4">
        {unreachable ? (
          <Link className="text-indigo-600 underline dark:text-indigo-400" to={location}>
            Try again
          </Link>
        ) : null}
        <Link className="text-indigo-600 underline dark:text-indigo-400" to="/">
          Go to Switchboard
        </Link>
      </p>
    </main>
  )
}
