import { RemixBrowser } from '@remix-run/react'
import { startTransition, StrictMode } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { keepEarlyEventsFromReact } from '#app/utils/early-events.ts'
import { keepPageWhenLoadsFail } from '#app/utils/keep-page-loads.ts'

// Before the router makes its first request: a reload of the page's data that gets no answer
// keeps the page (app/utils/keep-page-loads.ts).
keepPageWhenLoadsFail()

// Before hydrateRoot: a key pressed or a click before React's first render would make React
// hydrate synchronously, RemixBrowser suspend in that render, and the page never hydrate
// (app/utils/early-events.ts).
keepEarlyEventsFromReact()

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  )
})
