import { expect, test, type Page } from '@playwright/test'
import { gzipSync } from 'node:zlib'
import { openTickets, signUp, unique } from './helpers.ts'

/** Opens `count` tickets as the signed-in agent: "<prefix> question <n>", a two-line body. */
function openQuestions(page: Page, slug: string, count: number, prefix: string) {
  return openTickets(
    page,
    slug,
    Array.from({ length: count }, (_, i) => ({
      subject: `${prefix} question ${i + 1}`,
      body: `First line of question ${i + 1}.\nSecond line that the preview leaves out.`,
    })),
  )
}

/** Ticket rows whose whole box is inside the viewport. */
async function rowsAboveTheFold(page: Page) {
  return page.evaluate(() => {
    const height = window.innerHeight
    return [...document.querySelectorAll('table tbody tr')].filter((row) => {
      const box = row.getBoundingClientRect()
      return box.height > 0 && box.top >= 0 && box.bottom <= height
    }).length
  })
}

test.use({ viewport: { width: 1440, height: 900 } })

test('the inbox shows at least 15 tickets above the fold at 1440×900; a bulk change of more than 10 names them first', async ({
  page,
}) => {
  const id = unique()
  const slug = `dense-${id}`
  await signUp(page, 'Dana Dense', `dana-${id}@example.com`, 'Dense Co', slug)
  await openQuestions(page, slug, 22, 'Density')
  // The JavaScript a first load of the inbox ships (gzip), for the budget note.
  const scripts: Promise<number>[] = []
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') {
      scripts.push(
        response.body().then(
          (body) => gzipSync(body).length,
          () => 0,
        ),
      )
    }
  })
  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('link', { name: 'Density question 22' })).toBeVisible()
  await page.waitForLoadState('networkidle')
  const gzipBytes = (await Promise.all(scripts)).reduce((a, b) => a + b, 0)
  console.log(`inbox JS on load: ${(gzipBytes / 1024).toFixed(1)} KB gzip in ${scripts.length} files`)
  const rows = await rowsAboveTheFold(page)
  console.log(`rows above the fold at 1440x900: ${rows}`)
  expect(rows).toBeGreaterThanOrEqual(15)
  // A bulk status change of more than 10 asks first, naming the tickets (the first 10 by number).
  for (let n = 1; n <= 12; n++)
    await page.getByRole('checkbox', { name: `Select ticket #${n}`, exact: true }).check()
  const bulk = page.getByRole('form', { name: 'Bulk actions on selected tickets' })
  await bulk.getByLabel('Status').selectOption('pending')
  await bulk.getByRole('button', { name: 'Set status' }).click()
  const dialog = page.getByRole('dialog', { name: 'Change the status of 12 tickets?' })
  await expect(dialog.getByRole('list', { name: 'Applies to' }).getByRole('listitem')).toHaveText([
    ...Array.from({ length: 10 }, (_, i) => `#${i + 1} Density question ${i + 1}`),
    'and 2 more',
  ])
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(page.getByRole('link', { name: 'Density question 1', exact: true })).toBeVisible()
})

test("a bulk action's toast offers Undo, which puts exactly those tickets back", async ({ page }) => {
  const id = unique()
  const slug = `undo-${id}`
  await signUp(page, 'Uma Undo', `uma-${id}@example.com`, 'Undo Co', slug)
  await openQuestions(page, slug, 3, 'Undo')
  await page.goto(`/w/${slug}/tickets`)
  const bulkBar = page.getByRole('form', { name: 'Bulk actions on selected tickets' })
  await expect(bulkBar).toBeHidden()
  await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
  await page.getByRole('checkbox', { name: 'Select ticket #2' }).check()
  await expect(bulkBar).toBeVisible()
  await bulkBar.getByLabel('Status').selectOption('resolved')
  await bulkBar.getByRole('button', { name: 'Set status' }).click()

  const toast = page.getByRole('status').filter({ hasText: '2 tickets set to Resolved' })
  await expect(toast).toBeVisible()
  await expect(page.getByRole('link', { name: 'Undo question 1' })).toHaveCount(0)
  await expect(page.getByRole('link', { name: 'Undo question 3' })).toBeVisible()
  await toast.getByRole('button', { name: 'Undo' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Undone: 2 tickets restored' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Undo question 1' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Undo question 2' })).toBeVisible()

  // A search from a view covers all tickets; the view is an optional scope chip.
  await page.goto(`/w/${slug}/tickets?view=unassigned`)
  const search = page.getByRole('search', { name: 'Filter tickets' }).getByLabel('Search tickets')
  await search.fill('question')
  await search.press('Enter')
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=question`)
  await page.getByRole('link', { name: 'Only in Unassigned' }).click()
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=question&view=unassigned`)
  await expect(page.getByRole('link', { name: /Only in Unassigned.*remove this scope/ })).toBeVisible()
})

test('the command palette (Ctrl+K) jumps to a ticket by subject or number and assigns it', async ({
  page,
}) => {
  const id = unique()
  const slug = `palette-${id}`
  await signUp(page, 'Pat Palette', `pat-${id}@example.com`, 'Palette Co', slug)
  await openQuestions(page, slug, 3, 'Palette')
  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('button', { name: /Jump to/ })).toBeVisible()

  await page.keyboard.press('Control+K')
  const input = page.getByRole('combobox', { name: 'Search tickets, customers, views and actions' })
  await input.fill('palette quest 2')
  await expect(page.getByRole('option', { name: /#2 Palette question 2/ })).toHaveAttribute(
    'aria-selected',
    'true',
  )
  await input.press('Enter')
  await expect(page).toHaveURL(`/w/${slug}/tickets/2`)
  await expect(page.getByRole('heading', { name: 'Palette question 2' })).toBeVisible()

  await page.keyboard.press('Control+K')
  await input.fill('#3')
  await expect(page.getByRole('option', { name: /#3 Palette question 3/ })).toHaveAttribute(
    'aria-selected',
    'true',
  )
  await input.press('Enter')
  await expect(page).toHaveURL(`/w/${slug}/tickets/3`)

  await page.keyboard.press('Control+K')
  await input.fill('assign to me')
  await expect(page.getByRole('option', { name: /Assign to me/ })).toHaveAttribute('aria-selected', 'true')
  const posted = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith(`/w/${slug}/tickets/3`),
  )
  await input.press('Enter')
  await expect(input).toBeHidden()
  expect((await posted).status()).toBeLessThan(400)
  await page.goto(`/w/${slug}/tickets?view=mine`)
  await expect(page.getByRole('link', { name: 'Palette question 3' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Palette question 2' })).toHaveCount(0)

  // The ticket page's single keys: e resolves, a assigns to me.
  await page.goto(`/w/${slug}/tickets/1`)
  await expect(page.getByRole('heading', { name: 'Palette question 1' })).toBeVisible()
  const resolved = page.waitForResponse((r) => r.request().method() === 'POST')
  await page.keyboard.press('e')
  expect((await resolved).status()).toBeLessThan(400)
  const assigned = page.waitForResponse((r) => r.request().method() === 'POST')
  await page.keyboard.press('a')
  expect((await assigned).status()).toBeLessThan(400)
  await page.goto(`/w/${slug}/tickets?view=resolved`)
  await expect(page.getByRole('link', { name: 'Palette question 1' })).toBeVisible()
  await expect(page.getByRole('row', { name: /Palette question 1/ })).toContainText('Pat Palette')
})

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false })

  test('filters apply with the Apply button, and a bulk action ends on a banner whose Undo works', async ({
    page,
  }) => {
    const id = unique()
    const slug = `nojs-${id}`
    await signUp(page, 'Noah Nojs', `noah-${id}@example.com`, 'No JS Co', slug)
    await openQuestions(page, slug, 2, 'Plain')
    await page.goto(`/w/${slug}/tickets`)
    const filters = page.getByRole('search', { name: 'Filter tickets' })
    await filters.getByLabel('Status').selectOption('open')
    await filters.getByRole('button', { name: 'Apply filters' }).click()
    await expect(page).toHaveURL(/status=open/)

    await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
    const bulkBar = page.getByRole('form', { name: 'Bulk actions on selected tickets' })
    await bulkBar.getByLabel('Status').selectOption('pending')
    await bulkBar.getByRole('button', { name: 'Set status' }).click()
    const banner = page.getByRole('status').filter({ hasText: '1 ticket set to Pending' })
    await expect(banner).toBeVisible()
    await expect(page.getByRole('link', { name: 'Plain question 1' })).toHaveCount(0)
    await banner.getByRole('button', { name: 'Undo' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Undone: 1 ticket restored' })).toBeVisible()
    await expect(page.getByRole('link', { name: 'Plain question 1' })).toBeVisible()
  })

  test("a rejected bulk action names the field's error and keeps the selection", async ({ page }) => {
    const id = unique()
    const slug = `nojs-err-${id}`
    await signUp(page, 'Erin Errors', `erin-${id}@example.com`, 'No JS Errors', slug)
    await openQuestions(page, slug, 1, 'Rejected')
    await page.goto(`/w/${slug}/tickets`)
    await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
    const bulkBar = page.getByRole('form', { name: 'Bulk actions on selected tickets' })
    await bulkBar.getByRole('button', { name: 'Assign' }).click()
    const assignee = bulkBar.getByLabel('Assign to')
    await expect(assignee).toHaveAttribute('aria-invalid', 'true')
    await expect(assignee).toHaveAccessibleDescription('Choose a teammate from the list')
    await expect(page.getByRole('checkbox', { name: 'Select ticket #1' })).toBeChecked()
    await expect(bulkBar.getByLabel('Add tag')).not.toHaveAttribute('aria-invalid')
  })
})
