import { expect, test, type Browser, type Page } from '@playwright/test'
import { PASSWORD, signUp, submitSupportForm, unique } from './helpers.ts'

// The reply composer's draft keeps everything the agent set in it (text, CC, BCC, "Then set
// status") and never loses text.

/** A workspace with one ticket from a customer, opened; returns the agent's email and the ticket's URL. */
async function openTicket(page: Page, browser: Browser, subject: string) {
  const id = unique()
  const slug = `draft-${id}`
  const email = `dana-${id}@example.com`
  await signUp(page, 'Dana Agent', email, 'Draft Co', slug)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject,
    message: 'Something went wrong with my order.',
  })
  await customer.context.close()
  await page.goto(`/w/${slug}/tickets`)
  await page.getByRole('link', { name: subject }).click()
  await expect(page.getByRole('heading', { name: subject })).toBeVisible()
  return { slug, email, ticketUrl: new URL(page.url()).pathname }
}

const composer = (page: Page) => page.getByLabel(/Reply to Casey Customer/)
const savedDraft = (page: Page) =>
  page.waitForResponse((r) => r.url().endsWith('/draft') && r.request().method() === 'POST' && r.ok())

test('a draft keeps the CC the agent emptied, the BCC and the status choice, across a reload and a navigation', async ({
  page,
  browser,
}) => {
  const { slug, ticketUrl } = await openTicket(page, browser, 'Copied colleague')
  // The ticket's CC list: cc1, set by an earlier reply.
  const origin = new URL(page.url()).origin
  const first = await page.request.post(ticketUrl, {
    headers: { origin },
    form: { intent: 'reply', kind: 'reply', body: 'First answer.', ccShown: '1', cc: 'cc1@example.com' },
    maxRedirects: 0,
  })
  expect(first.status()).toBe(302)
  await page.reload()
  const cc = page.getByLabel('CC', { exact: true })
  const bcc = page.getByLabel('BCC', { exact: true })
  const status = page.getByLabel('Then set status')
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  await composer(page).click()
  await expect(cc).toHaveValue('cc1@example.com')

  // The agent stops copying cc1 on a private answer, and sets BCC and the status.
  await cc.fill('')
  await bcc.fill('audit@example.com')
  await status.selectOption('pending')
  const saved = savedDraft(page)
  await composer(page).fill('A private answer, for the customer only.')
  await saved
  await page.reload()
  await expect(composer(page)).toHaveValue('A private answer, for the customer only.')
  await expect(cc).toHaveValue('')
  await expect(bcc).toHaveValue('audit@example.com')
  await expect(status).toHaveValue('pending')

  // Typed for a new reply, then away through a link before the autosave, and back.
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  await cc.fill('cc2@example.com')
  await status.selectOption('resolved')
  const savedOnLeaving = savedDraft(page)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click()
  await savedOnLeaving
  await page.getByRole('link', { name: 'Copied colleague' }).click()
  await expect(composer(page)).toHaveValue('A private answer, for the customer only.')
  await expect(cc).toHaveValue('cc2@example.com')
  await expect(status).toHaveValue('resolved')

  // A bad address is not saved, says so, and stays as typed (kept in this browser).
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  await cc.fill('cc2@example')
  await expect(
    page.getByRole('alert').filter({ hasText: 'Draft not saved: CC: “cc2@example”' }),
  ).toBeVisible()
  await page.reload()
  await expect(cc).toHaveValue('cc2@example')
  await expect(page.getByRole('status').filter({ hasText: 'Brought back what you typed' })).toBeVisible()

  // Send: what the fields show goes (the emptied CC, not the ticket's cc1).
  await cc.fill('')
  await page.getByRole('button', { name: /^Send reply/ }).click()
  await expect(page.getByRole('list', { name: 'Conversation' }).getByText('A private answer')).toBeVisible()
  await page.goto(`/w/${slug}/tickets/${ticketUrl.split('/').pop()}`)
  await composer(page).click()
  await expect(cc).toHaveValue('')
})

test('two tabs on one ticket: a tab that has not seen the other’s draft never saves over it, and offers to load it or keep its own', async ({
  page,
  browser,
}) => {
  const { ticketUrl } = await openTicket(page, browser, 'Two tabs')
  const live = (p: Page) => expect(p.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  const conflict = (p: Page) =>
    p.getByRole('alert').filter({ hasText: 'Your draft was changed in another tab or device' })
  // Tab B was opened first (an empty composer); then tab A, where the long answer is written.
  const tabB = page
  await live(tabB)
  const tabA = await page.context().newPage()
  await tabA.goto(ticketUrl)
  await live(tabA)
  const long = 'A long answer, with every step the customer needs to follow.'
  const savedA = savedDraft(tabA)
  await composer(tabA).fill(long)
  await savedA
  // B learns at once, before typing anything.
  await expect(conflict(tabB)).toBeVisible()
  await expect(composer(tabB)).toHaveValue('')

  // B types a short note anyway: nothing is saved over A's answer until B chooses.
  await composer(tabB).fill('Short note.')
  await tabB.waitForTimeout(1500)
  const stored = await tabB.request.get(`${ticketUrl}/draft`)
  expect(((await stored.json()) as { draft: { body: string } }).draft.body).toBe(long)

  // "Keep mine": saved over it, knowingly; now A is told, and "Load it" brings B's text.
  const savedB = savedDraft(tabB)
  await tabB.getByRole('button', { name: 'Keep mine' }).click()
  await savedB
  await expect(conflict(tabB)).toHaveCount(0)
  await expect(conflict(tabA)).toBeVisible()
  await tabA.getByRole('button', { name: 'Load it' }).click()
  await expect(composer(tabA)).toHaveValue('Short note.')
  await expect(conflict(tabA)).toHaveCount(0)
  await expect(composer(tabA)).toBeFocused()

  // A tab without a live connection (a phone asleep) learns at its next save: refused (409), the
  // typing kept, the same choice offered.
  const asleep = await page.context().newPage()
  await asleep.route(/\/socket\.io\//, (route) => route.abort())
  await asleep.routeWebSocket(/\/socket\.io\//, (ws) => ws.close())
  await asleep.goto(ticketUrl)
  await expect(composer(asleep)).toHaveValue('Short note.')
  const savedAgainA = savedDraft(tabA)
  await composer(tabA).fill('Short note. With a last line from tab A.')
  await savedAgainA
  const refused = asleep.waitForResponse((r) => r.url().endsWith('/draft') && r.status() === 409)
  await composer(asleep).fill('Written on the phone.')
  await refused
  await expect(conflict(asleep)).toBeVisible()
  await expect(composer(asleep)).toHaveValue('Written on the phone.')
  await asleep.getByRole('button', { name: 'Load it' }).click()
  await expect(composer(asleep)).toHaveValue('Short note. With a last line from tab A.')
})

test('text typed just before Sign out is saved before the session ends; the browser’s copy is then forgotten', async ({
  page,
  browser,
}) => {
  const { email, ticketUrl } = await openTicket(page, browser, 'Last words')
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  // Within the autosave's second: before, the sign-out posted first, the composer's save arrived
  // after the session had ended and was refused, and this browser's copy was already dropped.
  await composer(page).fill('Typed a moment before signing out.')
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL('/login')
  expect(
    await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('unsaved-draft'))),
  ).toEqual([])
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).not.toHaveURL(/\/login/)
  await page.goto(ticketUrl)
  await expect(composer(page)).toHaveValue('Typed a moment before signing out.')
})
