import { expect, test } from '@playwright/test'
import { linkFromOutbox, signUp, submitSupportForm, unique } from './helpers.ts'

// Found from outside (2026-12-07): a customer's Arabic or Hebrew text was laid out left to right
// (its final punctuation at the wrong end) in the support form, the queue, the ticket page and the
// private link; and the private link showed times in UTC even in a browser in Paris.
const SUBJECT = 'مشكلة في الطلب؟'
const MESSAGE = 'لم يصل الطلب بعد، هل يمكنكم المساعدة؟'

test('customer text takes its own direction, and the private link shows the reader’s local time', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `rtl-${id}`
  const customer = `rtl-${id}@example.net`
  await signUp(page, 'Rana Agent', `rana-${id}@example.com`, 'RTL Co', slug)

  const { context, page: form } = await submitSupportForm(browser, slug, {
    name: 'سارة',
    email: customer,
    subject: SUBJECT,
    message: MESSAGE,
  })
  await form.goto(`/support/${slug}`)
  for (const label of ['Your name', 'Subject', 'How can we help?']) {
    await expect(form.getByLabel(label)).toHaveAttribute('dir', 'auto')
  }
  await context.close()

  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('link', { name: SUBJECT })).toHaveAttribute('dir', 'auto')
  await expect(page.locator('.queue-preview').filter({ hasText: MESSAGE })).toHaveAttribute('dir', 'auto')
  await page.getByRole('link', { name: SUBJECT }).click()
  await expect(page.getByRole('heading', { level: 1, name: SUBJECT })).toHaveAttribute('dir', 'auto')
  const body = page.getByRole('article').getByText(MESSAGE)
  await expect(body).toHaveAttribute('dir', 'auto')
  // The customer's address beside the name they gave.
  await expect(page.getByRole('article').getByText(`<${customer}>`)).toBeVisible()

  const link = await linkFromOutbox(page, customer, /مشكلة/, '/support/t')

  // With JavaScript, in Paris: the time in Paris, its zone named.
  const paris = await browser.newContext({ timezoneId: 'Europe/Paris' })
  const reader = await paris.newPage()
  await reader.goto(link)
  await expect(reader.getByRole('heading', { level: 1, name: SUBJECT })).toHaveAttribute('dir', 'auto')
  await expect(reader.getByText(MESSAGE)).toHaveAttribute('dir', 'auto')
  await expect(reader.getByLabel('Your message')).toHaveAttribute('dir', 'auto')
  const time = reader.locator('time').first()
  const iso = await time.getAttribute('datetime')
  const inParis = new Date(iso!).toLocaleString('en', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone: 'Europe/Paris',
    timeZoneName: 'short',
  })
  expect(inParis).toMatch(/GMT\+[12]$/)
  await expect(time).toHaveText(inParis)
  await paris.close()

  // Without JavaScript: UTC, and it says so.
  const noScript = await browser.newContext({ timezoneId: 'Europe/Paris', javaScriptEnabled: false })
  const plain = await noScript.newPage()
  await plain.goto(link)
  const inUtc = new Date(iso!).toLocaleString('en', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  })
  await expect(plain.locator('time').first()).toHaveText(`${inUtc} UTC`)
  await noScript.close()
})
