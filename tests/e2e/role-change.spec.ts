import { expect, test, type Page, type WebSocketRoute } from '@playwright/test'
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

// A role change or removal reaches a member's tabs as a live event, to the sockets connected at
// that moment. A tab whose socket was down then (offline, a dropped connection) never learned it:
// its menus stayed the old role's, and its reload on reconnecting turned an admins' page into
// the error page and a removed member's page into "Page not found". Now `ready` carries the
// user's roles and the tab follows them as the live event would have.

/**
 * Routes the page's live connections through the test, so it can drop the current one and hold
 * the next ones (socket.io reconnects by itself) until `restore`.
 */
async function droppableLiveConnection(page: Page) {
  let current: WebSocketRoute | null = null
  let held: Promise<void> = Promise.resolve()
  let release = () => {}
  await page.routeWebSocket(/\/socket\.io\//, async (ws) => {
    await held
    current = ws
    ws.connectToServer()
  })
  return {
    async drop() {
      held = new Promise<void>((resolve) => (release = resolve))
      await current?.close()
    },
    restore: () => release(),
  }
}

test('a tab whose live connection was down when its admin was demoted follows the role once it reconnects', async ({
  page,
  browser,
}) => {
  test.setTimeout(90_000)
  const id = unique()
  const slug = `roles-off-${id}`
  const workspace = `Roles off ${id}`
  await signUp(page, 'Olive Owner', `olive-${id}@example.com`, workspace, slug)
  const jordan = await inviteTeammate(page, browser, slug, 'Jordan Admin', `jordan-${id}@example.com`)
  await page.goto(`/w/${slug}/settings/members`)
  await setJordansRole(page, 'admin')

  // Jordan: Webhooks (admins only) in one tab, the general settings in another.
  const webhooksTab = jordan.page
  const generalTab = await jordan.context.newPage()
  const connections = [await droppableLiveConnection(webhooksTab), await droppableLiveConnection(generalTab)]
  await webhooksTab.goto(`/w/${slug}/settings/webhooks`)
  await expect(webhooksTab.getByRole('heading', { name: 'Webhooks' })).toBeVisible()
  await generalTab.goto(`/w/${slug}/settings`)
  const settingsNav = generalTab.getByRole('navigation', { name: 'Settings' })
  await expect(settingsNav.getByRole('link', { name: 'Webhooks' })).toBeVisible()
  for (const tab of [webhooksTab, generalTab]) {
    await expect(tab.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible()
  }

  // Their connections drop, and stay down while Olive demotes Jordan: no live event reaches them.
  for (const connection of connections) await connection.drop()
  for (const tab of [webhooksTab, generalTab]) {
    await expect(tab.getByRole('status').filter({ hasText: /^Live$/ })).toHaveCount(0)
  }
  await setJordansRole(page, 'agent')
  for (const connection of connections) connection.restore()

  // Reconnected: the admins' page is left for the inbox, saying why, never the error page.
  await expect(webhooksTab).toHaveURL(`/w/${slug}/tickets`, { timeout: 20_000 })
  await expect(
    webhooksTab.getByRole('status').filter({
      hasText: `Your role in ${workspace} is now Agent. The page you had open is for admins, so you are back in the inbox.`,
    }),
  ).toBeVisible()
  await expect(webhooksTab.getByRole('heading', { name: /error|forbidden|not found/i })).toHaveCount(0)
  // A page agents may see stays, its menu without the admins' pages.
  await expect(generalTab.getByRole('status').filter({ hasText: 'is now Agent.' })).toBeVisible()
  await expect(generalTab).toHaveURL(`/w/${slug}/settings`)
  await expect(settingsNav.getByRole('link', { name: 'Webhooks' })).toHaveCount(0)
  await expect(generalTab.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible()
  await jordan.context.close()
})

test('a tab whose live connection was down when its member was removed says so once it reconnects, and keeps the page', async ({
  page,
  browser,
}) => {
  test.setTimeout(90_000)
  const id = unique()
  const slug = `gone-off-${id}`
  const workspace = `Gone off ${id}`
  await signUp(page, 'Olive Owner', `olive-${id}@example.com`, workspace, slug)
  const jordan = await inviteTeammate(page, browser, slug, 'Jordan Admin', `jordan-${id}@example.com`)
  const tab = jordan.page
  const connection = await droppableLiveConnection(tab)
  await tab.goto(`/w/${slug}/settings`)
  const heading = tab.getByRole('heading', { name: 'Workspace', exact: true })
  await expect(tab.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible()

  await connection.drop()
  await expect(tab.getByRole('status').filter({ hasText: /^Live$/ })).toHaveCount(0)
  await page.goto(`/w/${slug}/settings/members`)
  await page.getByRole('button', { name: 'Remove Jordan Admin' }).click()
  await page
    .getByRole('dialog', { name: /Remove Jordan Admin/ })
    .getByRole('button', { name: 'Remove', exact: true })
    .click()
  await expect(page.getByText('Member removed.')).toBeVisible()
  connection.restore()

  await expect(
    tab.getByRole('alert').filter({ hasText: `You no longer have access to ${workspace}` }),
  ).toBeVisible({ timeout: 20_000 })
  await expect(tab.getByRole('status').filter({ hasText: 'No access' })).toBeVisible()
  // Not reloaded into "Page not found".
  await expect(tab.getByRole('heading', { name: /not found/i })).toHaveCount(0)
  await expect(heading).toBeVisible()
  await jordan.context.close()
})
