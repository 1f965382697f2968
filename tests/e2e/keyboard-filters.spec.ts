import { expect, test, type Page } from '@playwright/test'
import { signUp, unique, waitForHydration } from './helpers.ts'

const focusedId = (page: Page) =>
  page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName)

/**
 * A select that applies as soon as it changes (WCAG 3.2.2): arrowing through its options with the
 * keyboard keeps focus on it, each option applied in turn, and Back shows the option of the URL
 * it returns to. Before, each change remounted the select (`key={value}`) and focus went to
 * <main>: the next arrow key scrolled the page.
 */
test('the inbox filters keep focus while a keyboard user arrows through their options', async ({ page }) => {
  const id = unique()
  const slug = `kbd-${id}`
  await signUp(page, 'Kim Keys', `kim-${id}@example.com`, 'Keys Co', slug)
  await page.goto(`/w/${slug}/tickets`)
  await waitForHydration(page, '#filter-priority')
  const filters = page.getByRole('search', { name: 'Filter tickets' })

  const cases: Array<{ id: string; param: string; first: string; second: string }> = [
    { id: 'filter-priority', param: 'priority', first: 'low', second: 'normal' },
    { id: 'filter-status', param: 'status', first: 'open', second: 'pending' },
    { id: 'filter-assignee', param: 'assignee', first: 'none', second: '' },
    { id: 'filter-sort', param: 'sort', first: 'created', second: 'priority' },
  ]
  for (const c of cases) {
    await page.goto(`/w/${slug}/tickets`)
    await waitForHydration(page, `#${c.id}`)
    await page.locator(`#${c.id}`).focus()
    await page.keyboard.press('ArrowDown')
    await expect(page).toHaveURL(new RegExp(`[?&]${c.param}=${c.first}(&|$)`))
    await expect.poll(() => focusedId(page)).toBe(c.id)
    await expect(page.locator(`#${c.id}`)).toHaveValue(c.first)
    if (c.second) {
      // Still in the select: the next arrow key is the next option.
      await page.keyboard.press('ArrowDown')
      await expect(page).toHaveURL(new RegExp(`[?&]${c.param}=${c.second}(&|$)`))
      await expect.poll(() => focusedId(page)).toBe(c.id)
      // Back: the select shows the URL's option again, not the one it showed last.
      await page.goBack()
      await expect(page).toHaveURL(new RegExp(`[?&]${c.param}=${c.first}(&|$)`))
      await expect(page.locator(`#${c.id}`)).toHaveValue(c.first)
      await page.goForward()
      await expect(page.locator(`#${c.id}`)).toHaveValue(c.second)
    }
  }
  // Back to the inbox without a filter: every select shows its "any" option again.
  await page.goto(`/w/${slug}/tickets?priority=high`)
  await page.goto(`/w/${slug}/tickets`)
  await page.goBack()
  await expect(filters.getByLabel('Priority')).toHaveValue('high')
  await page.goForward()
  await expect(filters.getByLabel('Priority')).toHaveValue('')
})

test('the notifications filters show the URL’s choice after Back and Forward', async ({ page }) => {
  const id = unique()
  const slug = `kbdn-${id}`
  await signUp(page, 'Nia Notes', `nia-${id}@example.com`, 'Notes Co', slug)
  await page.goto(`/w/${slug}/notifications`)
  await waitForHydration(page, 'select[name="kind"]')
  const filters = page.getByRole('form', { name: 'Filter notifications' })
  await filters.getByLabel('Unread only').check()
  await filters.getByLabel('Kind').selectOption({ index: 1 })
  const kind = await filters.getByLabel('Kind').inputValue()
  await filters.getByRole('button', { name: 'Apply' }).click()
  await expect(page).toHaveURL(/unread=1/)
  await page.goBack()
  await expect(page).not.toHaveURL(/unread=1/)
  await expect(filters.getByLabel('Unread only')).not.toBeChecked()
  await expect(filters.getByLabel('Kind')).toHaveValue('')
  await page.goForward()
  await expect(filters.getByLabel('Unread only')).toBeChecked()
  await expect(filters.getByLabel('Kind')).toHaveValue(kind)
})

test('a search keeps focus in its box, and the box follows the URL after Back', async ({ page }) => {
  const id = unique()
  const slug = `kbds-${id}`
  await signUp(page, 'Sol Search', `sol-${id}@example.com`, 'Search Co', slug)
  for (const box of ['#queue-search', '#customer-search']) {
    await page.goto(box === '#queue-search' ? `/w/${slug}/tickets` : `/w/${slug}/customers`)
    await waitForHydration(page, box)
    await page.locator(box).fill('refund')
    await page.locator(box).press('Enter')
    await expect(page).toHaveURL(/q=refund/)
    await expect.poll(() => focusedId(page)).toBe(box.slice(1))
    await page.locator(box).fill('invoice')
    await page.locator(box).press('Enter')
    await expect(page).toHaveURL(/q=invoice/)
    await page.goBack()
    await expect(page).toHaveURL(/q=refund/)
    await expect(page.locator(box)).toHaveValue('refund')
  }
})
