import { expect, test, type Browser } from '@playwright/test'
import { ownAddress, signUp, unique } from './helpers.ts'

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

/** An owner signed in with JavaScript, then the same session in a browser without it. */
async function ownerWithoutJavaScript(browser: Browser) {
  const withJs = await browser.newContext()
  const setup = await withJs.newPage()
  const id = unique()
  await signUp(setup, 'Lena Long', `lena-${id}@example.com`, `Long ${id}`, `long-${id}`)
  const context = await browser.newContext({
    javaScriptEnabled: false,
    storageState: await withJs.storageState(),
  })
  await withJs.close()
  const page = await context.newPage()
  await ownAddress(page)
  return { context, page, slug: `long-${id}` }
}

test('without JavaScript, the settings and account forms take only what their schemas allow and keep a long text with its message', async ({
  browser,
}) => {
  const { context, page, slug } = await ownerWithoutJavaScript(browser)
  // One-line fields stop at their schema's limit.
  for (const [path, label, max] of [
    [`/w/${slug}/settings`, 'Workspace name', 80],
    [`/w/${slug}/settings/mailboxes`, 'Sender name', 80],
    [`/w/${slug}/settings/canned-responses`, 'Title', 100],
    [`/w/${slug}/settings/webhooks`, 'Description', 200],
    [`/w/${slug}/settings/api-tokens`, 'Name', 100],
    [`/w/${slug}/account`, 'Current password', 256],
  ] as const) {
    await page.goto(path)
    const field = page.getByLabel(label, { exact: true }).first()
    await expect(field, `${path} ${label}`).toHaveAttribute('maxlength', String(max))
  }

  // A canned response longer than 20,000 characters: not cut short, refused by its field.
  await page.goto(`/w/${slug}/settings/canned-responses`)
  const create = page.locator('form#new-canned-response')
  await create.getByLabel('Title').fill(`Long ${unique()} ${LONG}`)
  await expect(create.getByLabel('Title')).toHaveValue(/^.{100}$/)
  const body = 'y'.repeat(25_000)
  await create.getByLabel('Response').fill(body)
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    create.getByRole('button', { name: 'Create response' }).click(),
  ])
  expect(response.status()).toBe(400)
  const answered = page.locator('form#new-canned-response')
  await expect(answered.getByText('Use at most 20,000 characters')).toBeVisible()
  await expect(answered.getByLabel('Response')).toHaveValue(body)

  // The signature: over its limit, the text stays with the message.
  await page.goto(`/w/${slug}/account`)
  const signature = 'z'.repeat(2_100)
  await page.getByLabel('Your signature').fill(signature)
  await page.getByRole('button', { name: 'Save signature' }).click()
  await expect(page.getByText(/at most 2,000 characters/i).first()).toBeVisible()
  await expect(page.getByLabel('Your signature')).toHaveValue(signature)
  await context.close()
})

test('without JavaScript, a form over 1 MB gets the "Too large to send" page with a way back, not a bare 413', async ({
  browser,
}) => {
  const { context, page, slug } = await ownerWithoutJavaScript(browser)
  const path = `/w/${slug}/settings/canned-responses`
  await page.goto(path)
  const create = page.locator('form#new-canned-response')
  await create.getByLabel('Title').fill('Huge')
  await create.getByLabel('Response').fill('w'.repeat(1_100_000))
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    create.getByRole('button', { name: 'Create response' }).click(),
  ])
  expect(response.status()).toBe(413)
  await expect(page.getByRole('heading', { level: 1, name: 'Too large to send' })).toBeVisible()
  await expect(page).toHaveTitle('Too large to send · Switchboard')
  await expect(page.getByText('Go back, shorten what you typed and try again.')).toBeVisible()
  await page.getByRole('link', { name: 'Back to the form' }).click()
  await expect(page).toHaveURL(path)
  await expect(page.locator('form#new-canned-response')).toBeVisible()
  await context.close()
})

test('without JavaScript, a new ticket’s text over 100,000 characters is not cut short: it comes back whole with its message', async ({
  browser,
}) => {
  const { context, page, slug } = await ownerWithoutJavaScript(browser)
  await page.goto(`/w/${slug}/tickets/new`)
  const body = 'v'.repeat(100_050)
  await page.getByLabel('Customer email').fill(`long-${unique()}@example.com`)
  await page.getByLabel('Subject').fill('A very long message')
  await page.getByLabel('What the customer needs').fill(body)
  await expect(page.getByLabel('What the customer needs')).not.toHaveAttribute('maxlength')
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: /Create ticket/ }).click(),
  ])
  expect(response.status()).toBe(400)
  await expect(page.getByText('The message is too long (100 KB at most)')).toBeVisible()
  await expect(page.getByLabel('What the customer needs')).toHaveValue(body)
  await context.close()
})
