import { RemixBrowser } from '@remix-run/react'
import { startTransition, StrictMode } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { setNonce } from 'get-nonce'
import { keepEarlyEventsFromReact } from '#app/utils/early-events.ts'
import { keepPageWhenLoadsFail } from '#app/utils/keep-page-loads.ts'

// Before the router makes its first request: a reload of the page's data that gets no answer
// keeps the page (app/utils/keep-page-loads.ts).
keepPageWhenLoadsFail()

// Before hydrateRoot: a key pressed or a click before React's first render would make React
// hydrate synchronously, RemixBrowser suspend in that render, and the page never hydrate
// (app/utils/early-events.ts).
keepEarlyEventsFromReact()

// The page's CSP nonce (a script's `nonce` property: browsers hide the attribute's value) for the
// one <style> the dialogs' scroll lock adds (react-remove-scroll, through get-nonce); the policy
// refused it without, so the page scrolled behind an open dialog.
const nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce
if (nonce) setNonce(nonce)

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  )
})
