import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test'
import { FakeOpenAI } from '../fakes/openai.ts'
import { E2E_INBOUND_SECRET, E2E_OPENAI_PORT } from '../../playwright.config.ts'
import { rawModePost } from '../helpers/inbound-post.ts'

export const PASSWORD = 'a long enough passphrase'
export const unique = () => Math.random().toString(36).slice(2, 8)

/**
 * Gives this page's requests their own client address (the app trusts X-Forwarded-For from a
 * loopback proxy, as behind a load balancer), so per-address limits such as 10 new accounts per
 * address per hour apply per simulated person, not to the whole suite.
 */
export async function ownAddress(page: Page) {
  const octet = () => Math.floor(Math.random() * 250) + 1
  await page.setExtraHTTPHeaders({ 'x-forwarded-for': `198.18.${octet()}.${octet()}` })
}

/**
 * The fake OpenAI server (tests/fakes/openai.ts) on the port the e2e server's OPENAI_BASE_URL
 * names, for the spec file that calls this: one spec at a time may run it (ai.spec.ts runs alone,
 * before the specs of the e2e project).
 */
export function withFakeOpenAI() {
  const fake = new FakeOpenAI()
  test.beforeAll(() => fake.start(E2E_OPENAI_PORT))
  test.afterAll(() => fake.stop())
  return fake
}

export async function signUp(page: Page, name: string, email: string, workspace: string, slug: string) {
  await ownAddress(page)
  await page.goto('/signup')
  await page.getByLabel('Your name').fill(name)
  await page.getByLabel('Work email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByLabel('Workspace name').fill(workspace)
  await page.getByLabel('Workspace URL').fill(slug)
  await page.getByRole('button', { name: 'Create account' }).click()
  await expect(page).toHaveURL(`/w/${slug}`)
}

/** A customer writes in through the public support form (in a fresh browser context). */
export async function submitSupportForm(
  browser: Browser,
  slug: string,
  input: { name: string; email: string; subject: string; message: string },
  options: { javaScriptEnabled?: boolean } = {},
) {
  // Each customer comes from their own address (the app trusts X-Forwarded-For from a loopback
  // proxy, as behind a load balancer), so the per-IP limit of the form applies per customer.
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    extraHTTPHeaders: { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250) + 1}` },
  })
  const page = await context.newPage()
  await page.goto(`/support/${slug}`)
  await page.getByLabel('Your name').fill(input.name)
  await page.getByLabel('Email').fill(input.email)
  await page.getByLabel('Subject').fill(input.subject)
  await page.getByLabel('How can we help?').fill(input.message)
  await page.getByRole('button', { name: /send/i }).click()
  await expect(page).toHaveURL(/[?&]sent=\d+/)
  return { context, page }
}

/**
 * Opens tickets as the signed-in agent (the New ticket form's own post, not the UI), the nth from
 * customer-<n>@example.net, oldest first.
 */
export async function openTickets(
  page: Page,
  slug: string,
  tickets: Array<{ subject: string; body: string }>,
) {
  await page.goto(`/w/${slug}/tickets/new`)
  const mailboxId = await page.getByLabel('Mailbox').inputValue()
  const origin = new URL(page.url()).origin
  for (const [i, { subject, body }] of tickets.entries()) {
    const response = await page.request.post(`/w/${slug}/tickets/new`, {
      headers: { origin },
      multipart: {
        customerEmail: `customer-${i + 1}@example.net`,
        customerName: `Customer ${i + 1}`,
        mailboxId,
        subject,
        body,
      },
      maxRedirects: 0,
    })
    expect(response.status(), await response.text()).toBeLessThan(400)
  }
}

/** Owner invites a teammate who signs up through the link in another browser context. */
export async function inviteTeammate(
  page: Page,
  browser: Browser,
  slug: string,
  name: string,
  email: string,
) {
  await page.goto(`/w/${slug}/settings/members`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Role', { exact: true }).selectOption('agent')
  await page.getByRole('button', { name: 'Create invite link' }).click()
  const link = await page.getByLabel(/Invite link/).inputValue()
  const context = await browser.newContext()
  const teammate = await context.newPage()
  await ownAddress(teammate)
  await teammate.goto(link)
  await teammate.getByLabel('Your name').fill(name)
  await teammate.getByLabel('Choose a password').fill(PASSWORD)
  await teammate.getByRole('button', { name: 'Create account and join' }).click()
  await expect(teammate).toHaveURL(`/w/${slug}`)
  return { context, page: teammate }
}

/**
 * Holds the page's next live connections (Socket.IO's WebSocket) until the returned function is
 * called: events published meanwhile reach no one on the page.
 */
export async function holdLiveConnection(page: Page) {
  let release = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  await page.routeWebSocket(/\/socket\.io\//, async (ws) => {
    await gate
    ws.connectToServer()
  })
  return release
}

/**
 * On the page's next document load, sends a key press and a click (`keydown`, `mousedown`) in the
 * moment between `hydrateRoot` and React's first render, where one used to stop the page from ever
 * hydrating (app/utils/early-events.ts). Resolves to whether they were sent in that moment (a
 * message loop runs until the entry has created React's root; React's first render is a message
 * its scheduler posts after that).
 */
export async function inputBeforeFirstRender(page: Page) {
  await page.addInitScript(() => {
    if (sessionStorage.getItem('e2e:input-before-first-render')) return
    const context = () => (window as { __remixContext?: { stream?: unknown } }).__remixContext
    const rootCreated = () => Object.keys(document).some((key) => key.startsWith('__reactContainer'))
    const until = Date.now() + 30_000
    const loop = new MessageChannel()
    loop.port1.onmessage = () => {
      if (rootCreated()) {
        const beforeFirstRender = context()?.stream !== undefined
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true }))
        document.body.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }))
        sessionStorage.setItem('e2e:input-before-first-render', beforeFirstRender ? 'sent' : 'too late')
      } else if (Date.now() < until) loop.port2.postMessage(null)
    }
    loop.port2.postMessage(null)
  })
  return () => page.evaluate(() => sessionStorage.getItem('e2e:input-before-first-render'))
}

/**
 * Holds the page's scripts (every `.js` response) until the returned function is called: the
 * document renders and takes input as it does before its scripts have loaded on a slow
 * connection. Open the page with `waitUntil: 'commit'` (module scripts hold DOMContentLoaded).
 */
export async function holdScripts(page: Page) {
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  await page.route('**/*.js', async (route) => {
    await held
    await route.continue()
  })
  return release
}

/**
 * Waits until React has hydrated the element (it attaches its props to the DOM node): from then
 * on a form posts with fetch, not as a page load.
 */
export async function waitForHydration(page: Page, selector: string) {
  try {
    await page.waitForFunction(
      (css) => {
        const element = document.querySelector(css)
        return element !== null && Object.keys(element).some((key) => key.startsWith('__reactProps'))
      },
      selector,
      { timeout: 45_000 },
    )
  } catch (error) {
    // Once in a while in CI a reloaded page never hydrated (and its live status stayed
    // "Connecting…"): the entry ran, the data was decoded, no router. The cause was a key pressed
    // before React's first render (React error #345; fixed by app/utils/early-events.ts, tested
    // with inputBeforeFirstRender). Should a page stall again, say where: a script that failed to
    // load (the browser keeps a failed module for the document's life, so importing it again
    // fails too), the entry never run (it takes `__remixContext.stream`), the page's data never
    // decoded (its stream not closed: the render cut short), or the router made but not rendered.
    const state = await page
      .evaluate(async () => {
        const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[]
        const done = new Set(resources.map((entry) => entry.name))
        const scripts = [...document.querySelectorAll<HTMLLinkElement>('link[rel="modulepreload"]')].map(
          (link) => link.href,
        )
        const imports = await Promise.all(
          scripts.map((href) =>
            import(/* @vite-ignore */ href).then(
              () => undefined,
              (importError: unknown) => `${href}: ${String(importError)}`,
            ),
          ),
        )
        const context = (window as { __remixContext?: { stream?: unknown; state?: unknown } }).__remixContext
        const inline = [...document.scripts].map((script) => script.textContent ?? '')
        const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[]
        return {
          notLoaded: scripts.filter((href) => !done.has(href)),
          failedImports: imports.filter((failure) => failure !== undefined),
          failedResources: resources
            .filter((entry) => entry.responseStatus >= 400)
            .map((entry) => `${entry.name} ${entry.responseStatus}`),
          scripts: scripts.length,
          entryRan: context !== undefined && context.stream === undefined,
          dataDecoded: context?.state !== undefined,
          dataChunks: inline.filter((text) => text.includes('streamController.enqueue(')).length,
          dataClosed: inline.some((text) => text.includes('streamController.close()')),
          router: '__remixRouter' in window,
          modules: Object.keys((window as { __remixRouteModules?: object }).__remixRouteModules ?? {}),
          document: navigation && {
            type: navigation.type,
            status: navigation.responseStatus,
            bytes: navigation.encodedBodySize,
            readyState: document.readyState,
          },
        }
      })
      .catch((evaluateError: unknown) => String(evaluateError))
    throw new Error(`not hydrated: ${JSON.stringify(state)}`, { cause: error })
  }
}

/**
 * Opens the newest outbox email to `to` whose subject matches (in /dev/emails), waiting for it to
 * arrive: emails are sent by a job.
 */
export async function openFromOutbox(page: Page, to: string, subject: RegExp, timeoutMs = 15_000) {
  const row = page.getByRole('row').filter({ hasText: to }).filter({ hasText: subject })
  await expect(async () => {
    await page.goto('/dev/emails')
    await expect(row.first()).toBeVisible({ timeout: 1_000 })
  }).toPass({ timeout: timeoutMs })
  await row.first().getByRole('link').click()
}

/** The first link of `path` in the plain text of the newest outbox email to `to` (openFromOutbox). */
export async function linkFromOutbox(page: Page, to: string, subject: RegExp, path: string) {
  await openFromOutbox(page, to, subject)
  const text = await page
    .getByRole('region', { name: 'Plain text' })
    .or(page.locator('pre'))
    .first()
    .innerText()
  const match = new RegExp(`https?://[^\\s]+${path}/[A-Za-z0-9_-]+`).exec(text)
  expect(match, `a ${path} link in the email`).not.toBeNull()
  return new URL(match![0]).pathname
}

/**
 * An internal note on the ticket page open in `page`, posted outside the page (as a teammate
 * would): the page gets a live event and reloads.
 */
export async function noteFromElsewhere(page: Page, body: string) {
  const response = await page.request.post(page.url(), {
    headers: { origin: new URL(page.url()).origin },
    form: { intent: 'reply', kind: 'note', body },
    maxRedirects: 0,
  })
  expect(response.status()).toBe(302)
}

/** The e2e server's default INBOUND_DOMAIN. */
export const INBOUND_DOMAIN = 'inbound.localhost'

/** SendGrid Inbound Parse posting a raw-mode email to our webhook, as a real multipart body. */
export async function postInbound(request: APIRequestContext, eml: Buffer, envelopeTo: string) {
  const post = rawModePost(eml, { envelopeTo: [envelopeTo], envelopeFrom: 'casey@example.net' })
  const response = await request.post(`/webhooks/sendgrid/inbound/${E2E_INBOUND_SECRET}`, {
    headers: { 'content-type': post.contentType },
    data: post.body,
  })
  expect(response.status()).toBe(200)
}
