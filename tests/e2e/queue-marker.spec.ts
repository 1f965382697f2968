import { expect, test, type Locator, type Page } from '@playwright/test'
import { signUp, submitSupportForm, unique } from './helpers.ts'

// A row's "viewing" marker and tags keep their room; a long subject is what gets shortened
// (2026-12-07, 1440×900: the marker shrank to an eye and "…", 41 px for 56 px of content, the name
// only in its tooltip, and the tags beside it were cut).

/** Whether an element's text is cut (its content is wider than its box). */
const cut = (locator: Locator) => locator.evaluate((el) => el.scrollWidth > el.clientWidth + 0.5)

/** Every tag chip of the row shows whole inside the list's box (none wrapped out of sight or cut). */
const allTagsShow = (row: Locator) =>
  row.getByRole('list', { name: 'Tags' }).evaluate((list) => {
    const box = list.getBoundingClientRect()
    return [...list.children].every((chip) => {
      const r = chip.getBoundingClientRect()
      return r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 && r.right <= box.right + 0.5
    })
  })

async function markerShowsWhole(page: Page, subject: string, tags: 'all tags' | 'as fit') {
  const row = page.getByRole('row', { name: new RegExp(subject) })
  const marker = row.locator('.queue-viewing')
  await expect(marker).toContainText('Alex')
  expect(await cut(marker)).toBe(false)
  if (tags === 'all tags') expect(await allTagsShow(row)).toBe(true)
  // The subject gave up the room, and still shows its start.
  const link = row.getByRole('link', { name: subject })
  expect(await cut(link)).toBe(true)
  expect((await link.boundingBox())!.width).toBeGreaterThanOrEqual(47)
}

test('a long subject is shortened, not the viewing marker or the tags, at 1440 and at 390 px', async ({
  page,
}) => {
  const id = unique()
  const slug = `marker-${id}`
  await signUp(page, 'Alex Viewer', `alex-${id}@example.com`, `Marker ${id}`, slug)
  const subject = 'Cannot log in after enabling two-factor authentication'
  const customer = await submitSupportForm(page.context().browser()!, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject,
    message: 'The code is never accepted.',
  })
  await customer.context.close()
  const origin = new URL(page.url()).origin
  for (const name of ['login', '2fa', 'authentication', 'mobile-app']) {
    const tagged = await page.request.post(`/w/${slug}/tickets/1`, {
      headers: { origin },
      form: { intent: 'add-tag', name },
      maxRedirects: 0,
    })
    expect(tagged.status()).toBeLessThan(400)
  }
  // Alex has the ticket open in another tab: the inbox marks the row.
  const ticketTab = await page.context().newPage()
  await ticketTab.goto(`/w/${slug}/tickets/1`)
  await expect(ticketTab.getByRole('heading', { name: subject })).toBeVisible()
  await expect(ticketTab.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()

  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  // The marker comes with the snapshot of who is viewing that the inbox asks for as it connects
  // (it was answered before the socket's rooms were joined, and showed nothing: 962f935).
  await markerShowsWhole(page, subject, 'all tags')

  // A phone: the subject keeps a few letters and the marker stays whole; the tags take what is
  // left.
  await page.setViewportSize({ width: 390, height: 844 })
  await markerShowsWhole(page, subject, 'as fit')
})
