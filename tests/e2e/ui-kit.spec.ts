import { expect, test } from '@playwright/test'
import { inputBeforeFirstRender, signUp, unique, waitForHydration } from './helpers.ts'

// The kit's Radix menus and dialogs with JavaScript, and their HTML fallbacks without it.

test('the user menu and the shortcuts list work from the keyboard, on Radix', async ({ page }) => {
  const id = unique()
  await signUp(page, 'Kit Keyboard', `kit-${id}@example.com`, 'Kit Co', `kit-${id}`)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()

  // The first Tab reaches "Skip to main content", which moves focus past the top bar and navigation.
  // A key press and a click come first, before React's first render of the reloaded page: they used
  // to leave it never hydrated, live status "Connecting…" for good (about 1 CI run in 10 here).
  const earlyInput = await inputBeforeFirstRender(page)
  await page.reload()
  await page.keyboard.press('Tab')
  const skip = page.getByRole('link', { name: 'Skip to main content' })
  await expect(skip).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.locator('main#main-content')).toBeFocused()
  // Hydrated again (React's props on the skip link) and live again, before the menu below (it
  // fetches its Radix half on focus, once hydrated).
  await waitForHydration(page, 'a[href="#main-content"]')
  expect(await earlyInput()).toBe('sent')
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()

  // Focus reaching the HTML fallback fetches the Radix menu, which takes over with focus kept.
  await page.locator('summary', { hasText: 'Account menu for Kit Keyboard' }).focus()
  const button = page.getByRole('button', { name: 'Account menu for Kit Keyboard' })
  await expect(button).toHaveAttribute('aria-haspopup', 'menu')
  await expect(button).toBeFocused()
  await page.keyboard.press('Enter')
  const menu = page.getByRole('menu')
  await expect(menu.getByRole('menuitem', { name: 'Account' })).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(menu).toHaveCount(0)
  await expect(button).toBeFocused()

  await button.click()
  await page.getByRole('menuitem', { name: 'Account' }).click()
  await expect(page).toHaveURL(/\/account$/)
  await page.goBack()

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click()
  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click()
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(dialog).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
  // `?` opens the same list, once, in the inbox and on every other page of the workspace.
  await page.keyboard.press('?')
  await expect(dialog).toHaveCount(1)
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)

  // The pointer reaching the bell's HTML fallback brings in Radix; the menu opens on click.
  await page.locator('summary', { hasText: 'Notifications' }).hover()
  await page
    .getByRole('banner')
    .getByRole('button', { name: /Notifications/ })
    .click()
  await expect(page.getByRole('menu').getByText('No notifications yet.')).toBeVisible()
  await page.getByRole('menuitem', { name: 'All notifications' }).click()
  await expect(page).toHaveURL(/\/notifications$/)
  await page.keyboard.press('?')
  await expect(dialog).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)

  await page.getByRole('button', { name: 'Account menu for Kit Keyboard' }).click()
  await page.getByRole('menuitem', { name: 'Sign out' }).click()
  await expect(page).toHaveURL('/login')
})

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false })

  test('the user menu is a disclosure of the same link and form', async ({ page }) => {
    const id = unique()
    await signUp(page, 'Kit Plain', `kit-plain-${id}@example.com`, 'Kit Plain', `kit-plain-${id}`)
    const header = page.getByRole('banner')
    // No live connection without JavaScript: said once, not "Connecting…" for ever.
    await expect(header.getByText('No live updates without JavaScript')).toBeVisible()
    await expect(header.getByText('Connecting…')).toBeHidden()
    await page.locator('summary', { hasText: 'Account menu for Kit Plain' }).click()
    await expect(header.getByRole('link', { name: 'Account' })).toBeVisible()
    await header.getByRole('button', { name: 'Sign out' }).click()
    await expect(page).toHaveURL('/login')
  })
})

test('an open dialog holds the page still, and the page’s policy lets its scroll lock in', async ({
  page,
}) => {
  const refused: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text())
  })
  const id = unique()
  await signUp(page, 'Kit Scroll', `kit-scroll-${id}@example.com`, 'Scroll Co', `kit-scroll-${id}`)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  const bodyOverflow = () => page.evaluate(() => getComputedStyle(document.body).overflow)
  expect(await bodyOverflow()).not.toBe('hidden')
  await page.keyboard.press('?')
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(dialog).toBeVisible()
  // react-remove-scroll's <style> (with the page's nonce) hides the body's overflow.
  await expect.poll(bodyOverflow).toBe('hidden')
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
  await expect.poll(bodyOverflow).not.toBe('hidden')
  expect(refused).toEqual([])
})
