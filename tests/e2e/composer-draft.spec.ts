import { expect, test, type Browser, type Page } from '@playwright/test'
import { signUp, submitSupportForm, unique } from './helpers.ts'

// The reply composer's draft keeps everything the agent set in it (text, CC, BCC, "Then set
// status") and never loses text.

/** A workspace with one ticket from a customer, opened; returns the ticket's URL. */
async function openTicket(page: Page, browser: Browser, subject: string) {
  const id = unique()
  const slug = `draft-${id}`
  await signUp(page, 'Dana Agent', `dana-${id}@example.com`, 'Draft Co', slug)
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
  return { slug, ticketUrl: new URL(page.url()).pathname }
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
