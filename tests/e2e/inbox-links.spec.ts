import { expect, test } from '@playwright/test'
import { signUp, unique } from './helpers.ts'

// The queue's ticket links are plain anchors that QueueTable's tbody turns into client-side
// navigations (docs/performance.md, "Session 4: SSR inbox render").
test('a row opens its ticket without a page load, by click and by j then Enter, after a hydration without warnings', async ({
  page,
}) => {
  const warnings: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') warnings.push(message.text())
  })
  const id = unique()
  await signUp(page, 'Rowan Links', `links-${id}@example.com`, `Links ${id}`, `links-${id}`)
  const slug = `links-${id}`
  await page.goto(`/w/${slug}/tickets/new`)
  const mailboxId = await page.getByLabel('Mailbox').inputValue()
  const origin = new URL(page.url()).origin
  for (const subject of ['Kettle whistles', 'Toaster sparks']) {
    const response = await page.request.post(`/w/${slug}/tickets/new`, {
      headers: { origin },
      multipart: {
        customerEmail: `c-${id}@example.net`,
        customerName: 'Cleo',
        mailboxId,
        subject,
        body: 'Hi',
      },
      maxRedirects: 0,
    })
    expect(response.status(), await response.text()).toBeLessThan(400)
  }

  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('button', { name: 'Keyboard shortcuts' })).toBeVisible()
  // Hydrated: the select-all checkbox renders only on the client.
  await expect(page.getByRole('checkbox', { name: 'Select all tickets on this page' })).toBeVisible()
  // A marker on window survives client-side navigations only.
  await page.evaluate(() => Object.assign(window, { stillThisDocument: true }))

  await page.getByRole('link', { name: 'Toaster sparks' }).click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets/\\d+`))
  await expect(page.getByRole('heading', { name: 'Toaster sparks' })).toBeVisible()
  expect(await page.evaluate(() => 'stillThisDocument' in window)).toBe(true)

  await page.goBack()
  await expect(page.getByRole('link', { name: 'Kettle whistles' })).toBeVisible()
  await page.locator('body').press('j')
  await expect(page.getByRole('link', { name: 'Toaster sparks' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Toaster sparks' })).toBeVisible()
  expect(await page.evaluate(() => 'stillThisDocument' in window)).toBe(true)

  expect(warnings.filter((text) => /hydrat|did not match|server rendered/i.test(text))).toEqual([])
})
