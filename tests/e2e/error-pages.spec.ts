import { expect, test, type Page } from '@playwright/test'
import { AxeChecker } from './axe.ts'
import { ownAddress, signUp, unique } from './helpers.ts'

/**
 * Every error page names its problem in the document's title and in a heading of words (axe's
 * `document-title`, serious; a heading of "400 " said nothing). Before, the root ErrorBoundary
 * set no title, and a status without a statusText (400, 413) was its bare number.
 */
async function expectNamedErrorPage(page: Page, checker: AxeChecker | null, heading: RegExp | string) {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading)
  const h1 = (await page.getByRole('heading', { level: 1 }).textContent()) ?? ''
  expect(h1).not.toMatch(/^\s*\d{3}\b/)
  await expect(page).toHaveTitle(`${h1} · ${page.url().includes('/support/') ? 'Support' : 'Switchboard'}`)
  // axe runs as a script: not in a browser without JavaScript.
  if (!checker) return
  const result = await checker.analyze(page, ['document-title', 'page-has-heading-one', 'landmark-one-main'])
  expect(
    result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).toEqual([])
}

test('error pages have a title and a heading naming the problem', async ({ page, browser }) => {
  const id = unique()
  const slug = `err-${id}`
  const checker = new AxeChecker(page.context())
  await signUp(page, 'Erin Errors', `erin-${id}@example.com`, 'Errors Co', slug)

  for (const path of [
    '/nope',
    `/w/${slug}/nope`,
    '/w/not-a-workspace-of-hers/tickets',
    `/w/${slug}/tickets/99999`,
  ]) {
    const response = await page.goto(path)
    expect(response?.status(), path).toBe(404)
    await expectNamedErrorPage(page, checker, 'Page not found')
  }
  const customer = await page.goto(`/w/${slug}/customers/00000000-0000-4000-8000-000000000000`)
  expect(customer?.status()).toBe(404)
  await expectNamedErrorPage(page, checker, 'Page not found')

  const unsubscribe = await page.goto('/notifications/unsubscribe/abc')
  expect(unsubscribe?.status()).toBe(400)
  await expectNamedErrorPage(page, checker, 'This link or request is not valid')
  await expect(page.getByText('This unsubscribe link is not valid.')).toBeVisible()

  // A customer's link that is not valid, and a support page that does not exist.
  const context = await browser.newContext()
  const visitor = await context.newPage()
  await ownAddress(visitor)
  const visitorChecker = new AxeChecker(context)
  await visitor.goto('/support/t/not-a-real-token-0123456789')
  await expectNamedErrorPage(visitor, visitorChecker, 'This link is not valid or has expired')
  await visitor.goto(`/support/no-such-workspace-${id}`)
  await expectNamedErrorPage(visitor, visitorChecker, 'We could not find this support page')
  await visitorChecker.close()
  await context.close()
  await checker.close()
})

test('a sign-in form over the body limit is a "Too large to send" page, not a bare 413', async ({
  browser,
}) => {
  // Without JavaScript, a form whose fields lost their maxlength (an old page, a tool): the body
  // is over SHORT_FORM_BYTES and refused before it is read.
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  await ownAddress(page)
  await page.goto('/login')
  await page
    .locator('input')
    .evaluateAll((inputs) => inputs.forEach((input) => input.removeAttribute('maxlength')))
  await page.getByLabel('Email').fill(`${'a'.repeat(10_000)}@example.com`)
  await page.getByLabel('Password').fill('p'.repeat(10_000))
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ])
  expect(response.status()).toBe(413)
  await expectNamedErrorPage(page, null, 'Too large to send')
  await context.close()
})
