import { expect, test, type Browser } from '@playwright/test'
import { inviteTeammate, signUp } from './helpers.ts'

const unique = () => Math.random().toString(36).slice(2, 8)

/** An owner's workspace with an agent invited into it; the agent's page, signed in. */
async function agentOfAcme(browser: Browser, javaScriptEnabled: boolean) {
  const id = unique()
  const owner = await (await browser.newContext()).newPage()
  const slug = `leave-${id}`
  await signUp(owner, 'Olga Owner', `olga-${id}@example.com`, `Acme ${id}`, slug)
  const teammate = await inviteTeammate(owner, browser, slug, 'Andy Agent', `andy-${id}@example.com`)
  // The same session in a context with JavaScript as the test asks.
  const state = await teammate.context.storageState()
  const context = await browser.newContext({ storageState: state, javaScriptEnabled })
  return { page: await context.newPage(), slug, workspace: `Acme ${id}`, owner }
}

for (const javaScriptEnabled of [true, false]) {
  test(`leaving a workspace (${javaScriptEnabled ? 'with' : 'without'} JavaScript) lands on Create a workspace saying so`, async ({
    browser,
  }) => {
    const { page, slug, workspace, owner } = await agentOfAcme(browser, javaScriptEnabled)
    // Another tab of the same session, open on the inbox (live, with JavaScript).
    const otherTab = javaScriptEnabled ? await page.context().newPage() : null
    if (otherTab) {
      await otherTab.goto(`/w/${slug}/tickets`)
      await expect(otherTab.locator('[data-live-state="live"]')).toBeVisible()
    }
    await page.goto(`/w/${slug}/settings/members`)
    const row = page.getByRole('row', { name: /Andy Agent \(you\)/ })
    await row.getByRole('button', { name: 'Leave workspace' }).click()
    // Asked first, in words about the one leaving (the dialog, or the page without JavaScript).
    await expect(page.getByText(`You will lose access to ${workspace} at once.`)).toBeVisible()
    await page.getByRole('button', { name: 'Leave workspace' }).last().click()
    await expect(page).toHaveURL(/\/workspaces\/new\?left=/)
    await expect(page.getByRole('status').filter({ hasText: `You left ${workspace}.` })).toBeVisible()
    await expect(page.getByText('Page not found')).toHaveCount(0)
    // The other tab says the user left, not that they were removed.
    if (otherTab) {
      const notice = otherTab.getByRole('alert').filter({ hasText: `You left ${workspace}.` })
      await expect(notice).toBeVisible()
      await expect(notice).toContainText('You left this workspace in another tab.')
      await expect(otherTab.getByText('You were removed from this workspace')).toHaveCount(0)
    }

    // The owner, the only one, is told they cannot leave instead of being offered it.
    await owner.goto(`/w/${slug}/settings/members`)
    const ownRow = owner.getByRole('row', { name: /Olga Owner \(you\)/ })
    await expect(
      ownRow.getByText('You are the only owner: make another member an owner to leave.'),
    ).toBeVisible()
    await expect(ownRow.getByRole('button', { name: 'Leave workspace' })).toHaveCount(0)
    await expect(owner.getByRole('row', { name: /Andy Agent/ })).toHaveCount(0)
  })
}
