import { expect, test, type Page } from '@playwright/test'
import { inviteTeammate, openTickets as openTicketsAs, signUp, unique } from './helpers.ts'

/** Tickets made through New ticket's own post, oldest first: the queue lists them newest first. */
const openTickets = (page: Page, slug: string, subjects: string[]) =>
  openTicketsAs(
    page,
    slug,
    subjects.map((subject) => ({ subject, body: 'Hi' })),
  )

const subjectsUpTo = (count: number) =>
  Array.from({ length: count }, (_, i) => `Question ${String(i + 1).padStart(2, '0')}`)

async function openQueue(page: Page, url: string) {
  await page.goto(url)
  // Hydrated: the select-all checkbox renders only on the client.
  await expect(page.getByRole('checkbox', { name: 'Select all tickets on this page' })).toBeVisible()
}

test('back in the queue (Back, the Inbox link, after j/k on the ticket page) the keyboard is on the last ticket opened', async ({
  page,
}) => {
  const id = unique()
  const slug = `place-${id}`
  await signUp(page, 'Pia Place', `place-${id}@example.com`, `Place ${id}`, slug)
  // Newest first: Question 10 … Question 01.
  await openTickets(page, slug, subjectsUpTo(10))
  await openQueue(page, `/w/${slug}/tickets?view=all`)
  const row = (n: number) => page.getByRole('link', { name: `Question ${String(n).padStart(2, '0')}` })

  await page.locator('body').press('j')
  for (let i = 0; i < 5; i++) await page.keyboard.press('j')
  await expect(row(5)).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Question 05' })).toBeVisible()

  // Browser Back: on that row, and j goes on down the queue.
  await page.goBack()
  await expect(page).toHaveURL(/\?view=all$/)
  await expect(row(5)).toBeFocused()
  await page.keyboard.press('j')
  await expect(row(4)).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Question 04' })).toBeVisible()

  // The ticket's Inbox link.
  await page.getByRole('main').getByRole('link', { name: 'Inbox', exact: true }).click()
  await expect(page).toHaveURL(/\?view=all$/)
  await expect(row(4)).toBeFocused()
  await page.keyboard.press('j')
  await expect(row(3)).toBeFocused()

  // j on the ticket page moves on through the queue; the Inbox link comes back to the ticket reached.
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Question 03' })).toBeVisible()
  await page.locator('body').press('j')
  await expect(page.getByRole('heading', { name: 'Question 02' })).toBeVisible()
  await page.locator('body').press('j')
  await expect(page.getByRole('heading', { name: 'Question 01' })).toBeVisible()
  await page.getByRole('main').getByRole('link', { name: 'Inbox', exact: true }).click()
  await expect(page).toHaveURL(/\?view=all$/)
  await expect(row(1)).toBeFocused()
  await page.keyboard.press('k')
  await expect(row(2)).toBeFocused()

  // Another view does not take this one's place.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Unassigned' }).click()
  await expect(page).toHaveURL(/view=unassigned/)
  await expect(
    page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Unassigned' }),
  ).toBeFocused()
})

test('coming back never takes the focus from the search box the agent is typing in', async ({ page }) => {
  const id = unique()
  const slug = `placesearch-${id}`
  await signUp(page, 'Sid Search', `placesearch-${id}@example.com`, `Search ${id}`, slug)
  await openTickets(page, slug, subjectsUpTo(4))
  await openQueue(page, `/w/${slug}/tickets`)
  const search = page
    .getByRole('searchbox', { name: 'Search tickets', exact: true })
    .and(page.locator('#queue-search'))
  await search.fill('Question')
  await search.press('Enter')
  await expect(page).toHaveURL(/q=Question/)
  const searched = page.url()
  await page.getByRole('link', { name: 'Question 03' }).click()
  await expect(page.getByRole('heading', { name: 'Question 03' })).toBeVisible()
  await page.goBack()
  await expect(page.getByRole('link', { name: 'Question 03' })).toBeFocused()
  // The same search typed again: a new visit of the remembered list, the focus stays in the box.
  await page.keyboard.press('/')
  await expect(search).toBeFocused()
  await search.fill('Question')
  await search.press('Enter')
  await expect(page).toHaveURL(searched)
  await expect(search).toBeFocused()
})

test.describe('at 390 px', () => {
  test.use({ viewport: { width: 390, height: 844 } })

  test('Back scrolls the row of the last ticket opened into view and focuses it', async ({ page }) => {
    const id = unique()
    const slug = `placephone-${id}`
    await signUp(page, 'Pho Place', `placephone-${id}@example.com`, `Phone ${id}`, slug)
    await openTickets(page, slug, subjectsUpTo(20))
    await openQueue(page, `/w/${slug}/tickets?view=all`)
    await page.locator('body').press('j')
    for (let i = 0; i < 16; i++) await page.keyboard.press('j')
    const row = page.getByRole('link', { name: 'Question 04' })
    await expect(row).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(page.getByRole('heading', { name: 'Question 04' })).toBeVisible()
    await page.goBack()
    await expect(row).toBeFocused()
    await expect(row).toBeInViewport()
    await page.getByRole('main').evaluate(() => window.scrollTo(0, 0))
    await page.getByRole('link', { name: 'Question 04' }).click()
    await expect(page.getByRole('heading', { name: 'Question 04' })).toBeVisible()
    await page.getByRole('main').getByRole('link', { name: 'Inbox', exact: true }).click()
    await expect(row).toBeFocused()
    await expect(row).toBeInViewport()
  })
})

test("a ticket a teammate's change takes out of the view leaves the selection with a notice", async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `leaves-${id}`
  await signUp(page, 'Lee Owner', `leaves-${id}@example.com`, `Leaves ${id}`, slug)
  const sam = await inviteTeammate(page, browser, slug, 'Sam Rivera', `sam-${id}@example.com`)
  await openTickets(page, slug, subjectsUpTo(3))
  await openQueue(page, `/w/${slug}/tickets?view=unassigned`)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  for (const n of [1, 2, 3]) await page.getByRole('checkbox', { name: `Select ticket #${n}` }).check()
  await expect(page.getByText('3 selected')).toBeVisible()

  // Sam assigns #2 to himself from his own inbox.
  await openQueue(sam.page, `/w/${slug}/tickets?view=unassigned`)
  await sam.page.getByRole('checkbox', { name: 'Select ticket #2' }).check()
  const samBar = sam.page.getByRole('form', { name: 'Bulk actions on selected tickets' })
  await samBar.getByLabel('Assign to').selectOption({ label: 'Me' })
  await samBar.getByRole('button', { name: 'Assign', exact: true }).click()
  await expect(sam.page.getByRole('link', { name: 'Question 02' })).toHaveCount(0)

  await expect(page.getByRole('link', { name: 'Question 02' })).toHaveCount(0)
  await expect(page.getByText('2 selected')).toBeVisible()
  const notice = page.getByRole('status').filter({ hasText: 'left your selection' })
  await expect(notice).toHaveText(/#2 left your selection: assigned to Sam Rivera/)
  await expect(notice).toBeVisible()
  await page.getByRole('button', { name: 'Dismiss' }).click()
  await expect(page.getByText('#2 left your selection')).toHaveCount(0)
  await expect(page.getByText('2 selected')).toBeVisible()

  await expect(page.getByRole('checkbox', { name: 'Select ticket #3' })).toBeChecked()
  // Resolved by Sam: a status that takes it out of Unassigned's open tickets.
  const origin = new URL(page.url()).origin
  const resolved = await sam.page.request.post(`/w/${slug}/tickets/3`, {
    headers: { origin },
    form: { intent: 'update', status: 'resolved' },
    maxRedirects: 0,
  })
  expect(resolved.status()).toBeLessThan(400)
  await expect(page.getByText('1 selected')).toBeVisible()
  await expect(notice).toHaveText(/#3 left your selection: status set to Resolved/)
  await sam.context.close()
})

test('the bulk toolbar sits in the main column, clears the selection, offers Me first; at 390 px it fits and covers no row', async ({
  page,
}) => {
  const id = unique()
  const slug = `bar-${id}`
  await signUp(page, 'Bo Toolbar', `bar-${id}@example.com`, `Bar ${id}`, slug)
  await openTickets(page, slug, subjectsUpTo(4))
  await page.setViewportSize({ width: 1280, height: 800 })
  await openQueue(page, `/w/${slug}/tickets`)
  const bar = page.getByRole('form', { name: 'Bulk actions on selected tickets' })
  await expect(bar).toBeHidden()
  await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
  await page.getByRole('checkbox', { name: 'Select ticket #2' }).check()
  await expect(bar).toBeVisible()
  const sidebar = await page.getByRole('complementary', { name: 'Workspace navigation' }).boundingBox()
  const main = await page.getByRole('main').boundingBox()
  const box = await bar.boundingBox()
  expect(box!.x).toBeGreaterThanOrEqual(sidebar!.x + sidebar!.width)
  // Centred on the main column.
  expect(Math.abs(box!.x + box!.width / 2 - (main!.x + main!.width / 2))).toBeLessThan(2)
  await expect(page.getByRole('button', { name: 'Keyboard shortcuts' })).toBeVisible()
  const shortcuts = await page.getByRole('button', { name: 'Keyboard shortcuts' }).boundingBox()
  expect(shortcuts!.y + shortcuts!.height <= box!.y || shortcuts!.y >= box!.y + box!.height).toBe(true)

  // "Me" first among the people.
  const options = await bar.getByLabel('Assign to').locator('option').allTextContents()
  expect(options.slice(0, 3)).toEqual(['Choose…', 'Me', 'Nobody (unassign)'])

  await bar.getByRole('button', { name: 'Clear selection' }).click()
  await expect(page.getByRole('checkbox', { name: 'Select ticket #1' })).not.toBeChecked()
  await expect(page.getByRole('checkbox', { name: 'Select ticket #2' })).not.toBeChecked()
  await expect(bar).toBeHidden()
  // The button that had the focus is gone: it goes to the table, not <body>.
  expect(await page.evaluate(() => document.activeElement !== document.body)).toBe(true)

  await page.setViewportSize({ width: 390, height: 700 })
  await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
  await expect(bar).toBeVisible()
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  expect(width).toBeLessThanOrEqual(390)
  const barBox = (await bar.boundingBox())!
  expect(barBox.x).toBeGreaterThanOrEqual(0)
  expect(barBox.x + barBox.width).toBeLessThanOrEqual(390)
  const lastRow = (await page.locator('tr.queue-row').last().boundingBox())!
  expect(lastRow.y + lastRow.height).toBeLessThanOrEqual(barBox.y)
  const pages = await page.getByRole('button', { name: 'Keyboard shortcuts' }).boundingBox()
  expect(pages!.y + pages!.height).toBeLessThanOrEqual(barBox.y)
})
