import { expect, test, type Page } from '@playwright/test'
import { inviteTeammate, signUp, unique } from './helpers.ts'

// A member's role changed while their tabs are open: before, a demoted admin's settings page stayed
// as it was, and its next reload was the error page; a promoted agent saw nothing new until one.

/** Olive (the owner, on the members page) gives Jordan `role`. */
async function setJordansRole(page: Page, role: 'agent' | 'admin') {
  await page.getByLabel('Role of Jordan Admin', { exact: true }).selectOption(role)
  const saved = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().includes('/settings/members'),
  )
  await page.getByRole('button', { name: 'Save role of Jordan Admin' }).click()
  expect((await saved).status()).toBe(200)
  await expect(page.getByText('Role updated.')).toBeVisible()
}

/** The command palette's pages matching "Settings:" on `tab`, opened with Ctrl+K and closed again. */
async function palettePages(tab: Page) {
  await tab.keyboard.press('Control+K')
  await tab.getByRole('combobox', { name: 'Search tickets, customers, views and actions' }).fill('Settings:')
  const options = tab.getByRole('option', { name: /Settings:/ })
  await expect(options.first()).toBeVisible()
  const names = await options.allTextContents()
  await tab.keyboard.press('Escape')
  return names.map((name) => name.trim())
}

test('a demoted admin’s open admin page moves to the inbox and says why; the menus follow the role both ways, without a reload', async ({
  page,
  browser,
}) => {
  test.setTimeout(90_000)
  const id = unique()
  const slug = `roles-${id}`
  const workspace = `Roles ${id}`
  await signUp(page, 'Olive Owner', `olive-${id}@example.com`, workspace, slug)
  const jordan = await inviteTeammate(page, browser, slug, 'Jordan Admin', `jordan-${id}@example.com`)
  await page.goto(`/w/${slug}/settings/members`)
  await setJordansRole(page, 'admin')

  // Jordan: Webhooks (admins only) in one tab, the general settings in another.
  const webhooksTab = jordan.page
  await webhooksTab.goto(`/w/${slug}/settings/webhooks`)
  await expect(webhooksTab.getByRole('heading', { name: 'Webhooks' })).toBeVisible()
  const generalTab = await jordan.context.newPage()
  await generalTab.goto(`/w/${slug}/settings`)
  const settingsNav = generalTab.getByRole('navigation', { name: 'Settings' })
  await expect(settingsNav.getByRole('link', { name: 'Webhooks' })).toBeVisible()
  for (const tab of [webhooksTab, generalTab]) {
    await expect(tab.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible()
    // Gone if the page is loaded again: the changes below must come without that.
    await tab.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true))
  }

  await setJordansRole(page, 'agent')

  // The admins' page is left for the inbox, saying why; no error page.
  await expect(webhooksTab).toHaveURL(`/w/${slug}/tickets`)
  await expect(
    webhooksTab.getByRole('status').filter({
      hasText: `Your role in ${workspace} is now Agent. The page you had open is for admins, so you are back in the inbox.`,
    }),
  ).toBeVisible()
  await expect(webhooksTab.getByRole('heading', { name: /error|forbidden|not found/i })).toHaveCount(0)
  // A page agents may see stays, its menu without the admins' pages.
  await expect(generalTab.getByRole('status').filter({ hasText: `is now Agent.` })).toBeVisible()
  await expect(generalTab).toHaveURL(`/w/${slug}/settings`)
  await expect(settingsNav.getByRole('link', { name: 'Webhooks' })).toHaveCount(0)
  await expect(settingsNav.getByRole('link', { name: 'AI', exact: true })).toHaveCount(0)
  expect(await palettePages(generalTab)).not.toContainEqual(expect.stringMatching(/Webhooks|API tokens|AI/))

  // Promoted again: the admins' pages come back to the menu.
  await setJordansRole(page, 'admin')
  await expect(generalTab.getByRole('status').filter({ hasText: `is now Admin.` })).toBeVisible()
  await expect(settingsNav.getByRole('link', { name: 'Webhooks' })).toBeVisible()
  await expect(settingsNav.getByRole('link', { name: 'API tokens' })).toBeVisible()
  expect(await palettePages(generalTab)).toContainEqual(expect.stringMatching(/Settings: Webhooks/))
  for (const tab of [webhooksTab, generalTab]) {
    expect(await tab.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
  }
  // Dismissed, it hands focus to the page.
  await generalTab.getByRole('button', { name: 'Dismiss' }).click()
  await expect(generalTab.getByRole('status').filter({ hasText: 'is now Admin.' })).toHaveCount(0)
  await expect(generalTab.locator('#main-content')).toBeFocused()
  await jordan.context.close()
})
