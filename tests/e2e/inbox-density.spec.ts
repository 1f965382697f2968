import { expect, test, type Page } from '@playwright/test'
import { gzipSync } from 'node:zlib'
import { signUp, unique } from './helpers.ts'

/** Opens `count` tickets as the signed-in agent (the New ticket form's own post, not the UI). */
async function openTickets(page: Page, slug: string, count: number, prefix: string) {
  await page.goto(`/w/${slug}/tickets/new`)
  const mailboxId = await page.getByLabel('Mailbox').inputValue()
  const origin = new URL(page.url()).origin
  for (let i = 1; i <= count; i++) {
    const response = await page.request.post(`/w/${slug}/tickets/new`, {
      headers: { origin },
      multipart: {
        customerEmail: `customer-${i}@example.net`,
        customerName: `Customer ${i}`,
        mailboxId,
        subject: `${prefix} question ${i}`,
        body: `First line of question ${i}.\nSecond line that the preview leaves out.`,
      },
      maxRedirects: 0,
    })
    expect(response.status(), await response.text()).toBeLessThan(400)
  }
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

test('the inbox shows at least 15 tickets above the fold at 1440×900', async ({ page }) => {
  const id = unique()
  const slug = `dense-${id}`
  await signUp(page, 'Dana Dense', `dana-${id}@example.com`, 'Dense Co', slug)
  await openTickets(page, slug, 22, 'Density')
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
})
