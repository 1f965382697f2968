import { expect, test } from '@playwright/test'
import { signUp, unique } from './helpers.ts'

/**
 * A wide table scrolls inside its own box at 390 px, never the page. The API tokens page scrolled
 * sideways by 108 px once a token existed: the header's sr-only "Actions" label is absolutely
 * positioned, and with no containing block on the scrolling box it counted in the page's width.
 */
test('at 390 px the API tokens page with a token scrolls its table, not the page, with and without JavaScript', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `narrow-${id}`
  await signUp(page, 'Nora Narrow', `nora-${id}@example.com`, `Narrow ${id}`, slug)
  await page.goto(`/w/${slug}/settings/api-tokens`)
  await page.getByRole('textbox', { name: 'Name' }).fill('A CRM sync token with a rather long name')
  await page.getByRole('button', { name: 'Create token' }).click()
  await expect(
    page.getByRole('cell', { name: 'A CRM sync token with a rather long name', exact: true }),
  ).toBeVisible()

  const sideways = () =>
    page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(`/w/${slug}/settings/api-tokens`)
  expect(await sideways()).toBeLessThanOrEqual(0)
  // The table itself is wider than the window: it is what scrolls.
  const table = page.locator('main table')
  expect(await table.evaluate((t) => t.parentElement!.scrollWidth > t.parentElement!.clientWidth)).toBe(true)

  const context = await browser.newContext({
    javaScriptEnabled: false,
    storageState: await page.context().storageState(),
    viewport: { width: 390, height: 844 },
  })
  const noJs = await context.newPage()
  await noJs.goto(`/w/${slug}/settings/api-tokens`)
  expect(
    await noJs.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
  ).toBeLessThanOrEqual(0)
  await context.close()
})
