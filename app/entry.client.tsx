import { RemixBrowser } from '@remix-run/react'
import { startTransition, StrictMode } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { keepPageWhenLoadsFail } from '#app/utils/keep-page-loads.ts'

// Before the router makes its first request: a reload of the page's data that gets no answer
// keeps the page (app/utils/keep-page-loads.ts).
keepPageWhenLoadsFail()

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  )
})
