import { expect, test, type Locator, type Page } from '@playwright/test'
import { signUp, unique } from './helpers.ts'

/** The dialog's box, and whether it lies inside the viewport. */
async function fitsTheViewport(page: Page, dialog: Locator) {
  const box = (await dialog.boundingBox())!
  const viewport = page.viewportSize()!
  return (
    box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width
  )
}

test('a dialog taller than the window stays inside it and scrolls: its title and Close are reachable', async ({
  page,
}) => {
  const slug = `dlg-${unique()}`
  await signUp(page, 'Dana Dialog', `${slug}@example.com`, 'Dialogs', slug)
  // A 1280×800 laptop at 200% zoom: the shortcuts list (about 620 px tall) used to reach from
  // y −110 to 510, title and Close off screen, and the page behind does not scroll.
  await page.setViewportSize({ width: 640, height: 400 })
  await page.goto(`/w/${slug}/tickets`)
  await page.getByRole('main').focus()
  await page.keyboard.press('?')
  const shortcuts = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(shortcuts).toBeVisible()
  expect(await fitsTheViewport(page, shortcuts)).toBe(true)
  await expect(shortcuts.getByRole('heading', { name: 'Keyboard shortcuts' })).toBeInViewport()
  const close = shortcuts.getByRole('button', { name: 'Close' })
  await close.scrollIntoViewIfNeeded()
  await expect(close).toBeInViewport()
  await close.click()
  await expect(shortcuts).toHaveCount(0)
})

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })

  test('the palette has a Close button to tap, and fits above the keyboard', async ({ page }) => {
    const slug = `dlp-${unique()}`
    await signUp(page, 'Pat Phone', `${slug}@example.com`, 'Phones', slug)
    await page.goto(`/w/${slug}/tickets`)
    const jump = page.getByRole('button', { name: /Jump to/ })
    await jump.tap()
    const palette = page.getByRole('dialog', { name: 'Jump to…' })
    await expect(palette).toBeVisible()
    // The keyboard up: about half the screen left. The dialog sat at y −64, its heading off screen.
    await page.setViewportSize({ width: 390, height: 420 })
    expect(await fitsTheViewport(page, palette)).toBe(true)
    await expect(palette.getByRole('heading', { name: 'Jump to…' })).toBeInViewport()
    const close = palette.getByRole('button', { name: 'Close' })
    await expect(close).toBeInViewport()
    const box = (await close.boundingBox())!
    expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(24)
    await close.tap()
    await expect(palette).toHaveCount(0)
    await expect(jump).toBeFocused()
  })
})
