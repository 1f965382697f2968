import { expect, test } from '@playwright/test'
import { openTickets, signUp, unique } from './helpers.ts'

// The inbox's search: the "Only in …" chip offers the view the search was started from, and
// without JavaScript a new search is sorted as with it (by relevance) unless a sort was chosen.

const about = (subjects: string[]) => subjects.map((subject) => ({ subject, body: `About ${subject}.` }))

test('the "Only in" chip offers the view this search started from, not an earlier search’s', async ({
  page,
}) => {
  const id = unique()
  const slug = `scope-${id}`
  await signUp(page, 'Sam Scope', `sam-${id}@example.com`, 'Scope Co', slug)
  await openTickets(page, slug, about(['Kiwi order', 'Refund please', 'Refund again']))

  await page.goto(`/w/${slug}/tickets?view=unassigned`)
  const search = page.getByRole('search', { name: 'Filter tickets' }).getByLabel('Search tickets')
  await search.fill('kiwi')
  await search.press('Enter')
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=kiwi`)
  await expect(page.getByRole('link', { name: 'Only in Unassigned' })).toBeVisible()

  // The Inbox (All open, the default view), then a new search: it started from All open.
  await page.getByRole('link', { name: 'Inbox', exact: true }).click()
  await expect(page).toHaveURL(`/w/${slug}/tickets`)
  await search.fill('refund')
  await search.press('Enter')
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=refund`)
  await expect(page.getByRole('link', { name: 'Only in Unassigned' })).toHaveCount(0)
  const chip = page.getByRole('link', { name: 'Only in All open' })
  await expect(chip).toBeVisible()
  await expect(page.getByRole('link', { name: /Refund/ })).toHaveCount(2)

  // A changed search keeps the chip of the view the first one started from; Back shows each
  // search's own.
  await search.fill('kiwi')
  await search.press('Enter')
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=kiwi`)
  await expect(chip).toBeVisible()
  await page.goBack()
  await page.goBack()
  await page.goBack()
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=kiwi`)
  await expect(page.getByRole('link', { name: 'Only in Unassigned' })).toBeVisible()
  await page.goForward()
  await page.goForward()
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=refund`)
  await chip.click()
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=refund&view=open`)
  const scoped = page.getByRole('link', { name: /Only in All open.*remove this scope/ })
  await expect(scoped).toBeVisible()
  await scoped.click()
  await expect(page).toHaveURL(`/w/${slug}/tickets?q=refund`)
  await expect(chip).toBeVisible()
})

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false })

  test('a new search is sorted by relevance unless a sort was chosen, and its chip carries no sort', async ({
    page,
  }) => {
    const id = unique()
    const slug = `nojs-sort-${id}`
    await signUp(page, 'Nia Sort', `nia-${id}@example.com`, 'Sort Co', slug)
    // The weaker match is the more recently active: by activity it would come first.
    await openTickets(page, slug, about(['Refund refund refund, refund now', 'A refund']))

    await page.goto(`/w/${slug}/tickets?view=unassigned`)
    const form = page.getByRole('search', { name: 'Filter tickets' })
    await expect(form.getByLabel('Sort by')).toHaveValue('')
    await form.getByLabel('Search tickets').fill('refund')
    await form.getByRole('button', { name: 'Apply filters' }).click()
    await expect(page).toHaveURL(/[?&]q=refund/)
    expect(new URL(page.url()).searchParams.get('sort') ?? '').toBe('')
    await expect(form.getByLabel('Sort by')).toHaveValue('')
    await expect(form.getByLabel('Sort by').locator('option:checked')).toHaveText('Sort: Relevance')
    const subjects = page.locator('table tbody tr').getByRole('link', { name: /refund/i })
    await expect(subjects.first()).toHaveText(/Refund refund refund/)
    // The chip removes the view and keeps no sort.
    const chip = page.getByRole('link', { name: /Only in Unassigned.*remove this scope/ })
    expect(new URL((await chip.getAttribute('href'))!, page.url()).searchParams.get('sort') ?? '').toBe('')

    // A sort chosen is kept.
    await form.getByLabel('Sort by').selectOption('activity')
    await form.getByRole('button', { name: 'Apply filters' }).click()
    await expect(page).toHaveURL(/[?&]sort=activity/)
    await expect(subjects.first()).toHaveText('A refund')
  })
})
