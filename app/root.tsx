import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import {
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  isRouteErrorResponse,
  ScrollRestoration,
  useLoaderData,
  useLocation,
  useRouteError,
  useSubmit,
} from '@remix-run/react'
import { useEffect, useRef, type ReactNode } from 'react'
import { TimeZoneDetector } from '#app/components/account/time-zone-detector.tsx'
import { dropAllDraftBackups } from '#app/components/ticket/draft-backup.ts'
import { draftSavesAnswered, saveDraftsNow } from '#app/components/ticket/use-draft-autosave.ts'
import { getSignedIn } from '#app/http/auth.server.ts'
import { errorPageText, errorPageTitle } from '#app/utils/error-page.ts'
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

/**
 * An error page's title says what its heading says ("Page not found · Switchboard"): the root's
 * ErrorBoundary renders every page whose route has none of its own, and the document had no title
 * at all. Other pages name themselves.
 */
export const meta: MetaFunction = ({ error }) =>
  error === undefined || error === null ? [] : [{ title: errorPageTitle(errorPageText(error)) }]

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

/** How long signing out waits for the composers' last saves before it goes anyway (offline too). */
const SAVE_BEFORE_SIGN_OUT_MS = 1500

/**
 * Signing out (any form posting to /logout) forgets the reply text this browser kept unsaved,
 * after saving it: the composers first save what they have not (text typed within the
 * autosave's second), and when a save is on the wire the sign-out waits for its answer (at most
 * SAVE_BEFORE_SIGN_OUT_MS: offline it fails at once, and a hung one does not hold the sign-out),
 * then goes through the router with the form's own fields. Before, the sign-out posted first,
 * the composer's save arrived after the session had ended, and the browser's copy was already
 * dropped: the last words were lost. With nothing to save, the form's submit goes on untouched.
 */
function SignOutForgetsUnsavedText() {
  const submit = useSubmit()
  const latest = useRef(submit)
  latest.current = submit
  useEffect(() => {
    let waiting = false
    const onSubmit = (event: SubmitEvent) => {
      const form = event.target
      if (!(form instanceof HTMLFormElement) || new URL(form.action, location.href).pathname !== '/logout') {
        return
      }
      if (waiting) {
        // A second click while the saves are answered: one sign-out is on its way.
        event.preventDefault()
        event.stopPropagation()
        return
      }
      if (!saveDraftsNow()) {
        dropAllDraftBackups()
        return
      }
      // Held back before Remix sees it (capture on the document comes first), and sent through
      // the router once the saves are answered: the form may be gone from the page by then.
      event.preventDefault()
      event.stopPropagation()
      waiting = true
      const fields = new FormData(form, event.submitter)
      const action = form.getAttribute('action') ?? '/logout'
      void draftSavesAnswered(SAVE_BEFORE_SIGN_OUT_MS).then(() => {
        waiting = false
        dropAllDraftBackups()
        latest.current(fields, { method: 'post', action })
      })
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

export function ErrorBoundary() {
  const error = useRouteError()
  const location = useLocation()
  const { title, detail } = errorPageText(error)
  // No answer at all: the page the agent tried can be asked for again.
  const unreachable = error instanceof Error && error.name === 'UnreachableError'
  // A form too large to send: its page again (the browser's Back, which the detail names, also
  // keeps what was typed).
  const tooLarge = isRouteErrorResponse(error) && error.status === 413
  return (
    <main className="mx-auto max-w-lg p-10">
      <h1 className="text-2xl font-semibold">{title}</h1>
      <p className="mt-3 text-slate-600 dark:text-slate-400">{detail}</p>
      <p className="mt-6 flex gap-4">
        {tooLarge ? (
          <Link className="text-indigo-600 underline dark:text-indigo-400" to={location}>
            Back to the form
          </Link>
        ) : null}
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
