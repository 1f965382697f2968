import { expect, test } from '@playwright/test'
import { ownAddress, unique } from './helpers.ts'

/**
 * Without JavaScript, 10,000 characters pasted in every field of a public form: each field takes
 * only what its schema allows (`maxlength`), so the post stays under the short forms' 16 KB body
 * limit and the server answers with the form and a message by the field. Before, the fields had
 * no limit and the whole form was lost to a bare 413 page.
 */
const LONG = 'x'.repeat(10_000)

for (const { path, fields, button } of [
  {
    path: '/signup',
    fields: ['Your name', 'Work email', 'Password', 'Workspace name', 'Workspace URL'],
    button: 'Create account',
  },
  { path: '/login', fields: ['Email', 'Password'], button: 'Sign in' },
  { path: '/forgot-password', fields: ['Email'], button: 'Send reset link' },
]) {
  test(`without JavaScript, ${path} keeps its form when every field gets 10,000 characters`, async ({
    browser,
  }) => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await ownAddress(page)
    await page.goto(path)
    for (const label of fields) {
      const field = page.getByLabel(label, { exact: true })
      expect(Number(await field.getAttribute('maxlength')), `${label}'s maxlength`).toBeGreaterThan(0)
      await field.fill(label.includes('mail') ? `${LONG}@example.com` : `${label} ${unique()} ${LONG}`)
    }
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: button }).click(),
    ])
    expect(response.status()).not.toBe(413)
    await expect(page.getByRole('button', { name: button })).toBeVisible()
    await expect(
      page.getByText(/too long|at most|valid email|Invalid email or password|If an account exists/i).first(),
    ).toBeVisible()
    await context.close()
  })
}
