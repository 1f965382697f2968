import { expect, test, type Page } from '@playwright/test'
import { PASSWORD, signUp, submitSupportForm, unique } from './helpers.ts'

// With JavaScript a form posts with fetch. A post that got no answer (offline) used to put the
// whole page, with what was typed, behind the error page ("You are offline"). Now the form says
// it was not saved, keeps what was typed, and the same click works once the network is back.

const NOT_SAVED = 'Not saved: Switchboard could not be reached. Try again.'

/** A new workspace's owner, on its home page (rendered and hydrated: the links navigate in place). */
async function owner(page: Page, prefix: string) {
  const id = unique()
  const slug = `${prefix}-${id}`
  await signUp(page, 'Olga Owner', `olga-${id}@example.com`, `${prefix} Co`, slug)
  return slug
}

/**
 * Back online in a workspace: its live connection comes back and reloads the page's data; this
 * waits for that. (A reload still on its way when the network goes again keeps the page:
 * offline-reloads.spec.ts.)
 */
async function backOnline(page: Page) {
  const reloaded = page.waitForResponse((r) => r.request().method() === 'GET' && r.url().includes('.data'))
  await page.context().setOffline(false)
  await reloaded
}

test('a canned response written offline stays in its form, says it was not saved, and saves once online', async ({
  page,
}) => {
  await owner(page, 'offline-canned')
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await page
    .getByRole('navigation', { name: 'Settings' })
    .getByRole('link', { name: 'Canned responses' })
    .click()
  const create = page.locator('form#new-canned-response')
  const body =
    'Hi {{customer.name}},\n\nYour refund is on its way: allow five working days.\n\n{{agent.name}}'
  await create.getByLabel('Title').fill('Refund sent')
  await create.getByLabel('Response').fill(body)

  await page.context().setOffline(true)
  await create.getByRole('button', { name: 'Create response' }).click()
  await expect(create.getByRole('alert').filter({ hasText: NOT_SAVED })).toBeVisible()
  await expect(create.getByLabel('Title')).toHaveValue('Refund sent')
  await expect(create.getByLabel('Response')).toHaveValue(body)
  await expect(page.getByRole('heading', { name: 'You are offline' })).toHaveCount(0)

  await backOnline(page)
  // The page's data reloaded: the form still has what was typed.
  await expect(create.getByLabel('Response')).toHaveValue(body)
  await create.getByRole('button', { name: 'Create response' }).click()
  await expect(page.getByRole('heading', { name: 'Refund sent' })).toBeVisible()
  await expect(create.getByRole('alert')).toHaveText('')

  // Its edit form (one per response, all posting intent=update): the message is that form's.
  await page.getByText('Edit Refund sent').click()
  const edit = page.locator('form').filter({ has: page.getByRole('button', { name: 'Save response' }) })
  await edit.getByLabel('Response').fill(`${body}\n\nP.S. Keep the receipt.`)
  await page.context().setOffline(true)
  await edit.getByRole('button', { name: 'Save response' }).click()
  await expect(edit.getByRole('alert').filter({ hasText: NOT_SAVED })).toBeVisible()
  await expect(create.getByRole('alert')).toHaveText('')
  await expect(edit.getByLabel('Response')).toHaveValue(`${body}\n\nP.S. Keep the receipt.`)
  await backOnline(page)
  await expect(edit.getByLabel('Response')).toHaveValue(`${body}\n\nP.S. Keep the receipt.`)
  await edit.getByRole('button', { name: 'Save response' }).click()
  await expect(page.getByText('P.S. Keep the receipt.').first()).toBeVisible()
})

test('a bulk action and its Undo offline keep the inbox and the selection, say so, and work once online', async ({
  page,
  browser,
}) => {
  const slug = await owner(page, 'offline-bulk')
  for (const subject of ['First question', 'Second question']) {
    const customer = await submitSupportForm(browser, slug, {
      name: 'Pat',
      email: `pat-${unique()}@example.net`,
      subject,
      message: `About the ${subject.toLowerCase()}.`,
    })
    await customer.context.close()
  }
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click()
  const first = page.getByRole('checkbox', { name: 'Select ticket #1' })
  const second = page.getByRole('checkbox', { name: 'Select ticket #2' })
  await first.check()
  await second.check()
  const toolbar = page.getByRole('form', { name: 'Bulk actions on selected tickets' })
  await toolbar.getByLabel('Assign to').selectOption({ label: 'Me' })

  await page.context().setOffline(true)
  await toolbar.getByRole('button', { name: 'Assign', exact: true }).click()
  await expect(toolbar.getByRole('alert').filter({ hasText: NOT_SAVED })).toBeVisible()
  await expect(first).toBeChecked()
  await expect(second).toBeChecked()
  await expect(toolbar.getByLabel('Assign to')).toHaveValue(/.+/)

  await backOnline(page)
  await toolbar.getByRole('button', { name: 'Assign', exact: true }).click()
  await expect(page.getByRole('status').filter({ hasText: /assigned to you/ })).toBeVisible()
  await expect(first).not.toBeChecked()
  const result = page.getByRole('status').filter({ has: page.getByRole('button', { name: 'Undo' }) })

  // Undo offline: the toast says so and keeps its Undo for another try.
  await page.context().setOffline(true)
  await result.getByRole('button', { name: 'Undo' }).click()
  await expect(result).toContainText(NOT_SAVED)
  await backOnline(page)
  await result.getByRole('button', { name: 'Undo' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Undone: 2 tickets restored' })).toBeVisible()
})

test('the account page offline: the name and the signature stay in their forms, say so, and save once online', async ({
  page,
}) => {
  await owner(page, 'offline-account')
  await page.getByRole('link', { name: 'Olga Owner' }).first().click()
  await expect(page).toHaveURL(/\/account$/)
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible()
  const name = page.getByLabel('Name', { exact: true })
  const signature = page.getByLabel('Your signature')
  await name.fill('Olga Offline')
  await signature.fill('Olga\nSupport lead, writing from a train')

  await page.context().setOffline(true)
  await page.getByRole('button', { name: 'Save name' }).click()
  const nameForm = page.locator('form#account-name')
  await expect(nameForm.getByRole('alert').filter({ hasText: NOT_SAVED })).toBeVisible()
  await expect(name).toHaveValue('Olga Offline')
  await page.getByRole('button', { name: 'Save signature' }).click()
  const signatureForm = page.locator('form').filter({ has: signature })
  await expect(signatureForm.getByRole('alert').filter({ hasText: NOT_SAVED })).toBeVisible()
  // One message at a time: the name form's went with the next post.
  await expect(nameForm.getByRole('alert')).toHaveText('')
  await expect(signature).toHaveValue('Olga\nSupport lead, writing from a train')
  await expect(name).toHaveValue('Olga Offline')

  // The account page is in the workspace's shell: its live connection comes back too.
  await backOnline(page)
  await page.getByRole('button', { name: 'Save signature' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Signature saved.' })).toBeVisible()
  await page.getByRole('button', { name: 'Save name' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Name saved.' })).toBeVisible()
  await page.reload()
  await expect(name).toHaveValue('Olga Offline')
  await expect(signature).toHaveValue('Olga\nSupport lead, writing from a train')
})

test('signing in offline keeps the email and password typed, says so, and signs in once online', async ({
  page,
}) => {
  const slug = await owner(page, 'offline-login')
  const email = await page.getByRole('link', { name: 'Olga Owner' }).first().getAttribute('title')
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL('/login')
  await page.getByLabel('Email').fill(email ?? '')
  await page.getByLabel('Password').fill(PASSWORD)

  await page.context().setOffline(true)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert').filter({ hasText: NOT_SAVED })).toBeVisible()
  await expect(page.getByLabel('Email')).toHaveValue(email ?? '')
  await expect(page.getByLabel('Password')).toHaveValue(PASSWORD)

  await page.context().setOffline(false)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}`))
})

test('every settings page: a form posted offline says so and keeps what was typed', async ({ page }) => {
  await owner(page, 'offline-settings')
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  const tabs = page.getByRole('navigation', { name: 'Settings' })
  // Tab, the page's form's fields and what is typed into them, its submit button.
  const forms: Array<[string, Record<string, string>, string]> = [
    ['General', { 'Workspace name': 'Renamed on a train' }, 'Save'],
    ['Members', { Email: 'newcomer@example.net' }, 'Create invite link'],
    [
      'Mailboxes',
      {
        Name: 'Billing',
        'Public address': 'billing@example.net',
        'Sender name': 'Billing team',
        Signature: 'The billing team, on the move',
      },
      'Create mailbox',
    ],
    ['AI', { Model: 'a-model-typed-offline' }, 'Save AI settings'],
    ['API tokens', { Name: 'CRM sync from a train' }, 'Create token'],
    ['Webhooks', { URL: 'https://example.com/typed-offline' }, 'Add endpoint'],
  ]
  for (const [tab, typed, button] of forms) {
    await tabs.getByRole('link', { name: tab, exact: true }).click()
    const submit = page.getByRole('button', { name: button, exact: true })
    const form = page.locator('form').filter({ has: submit })
    for (const [label, value] of Object.entries(typed))
      await form.getByLabel(label, { exact: true }).fill(value)
    await page.context().setOffline(true)
    await submit.click()
    await expect(form.getByRole('alert').filter({ hasText: NOT_SAVED }), tab).toBeVisible()
    for (const [label, value] of Object.entries(typed)) {
      await expect(form.getByLabel(label, { exact: true }), `${tab}: ${label}`).toHaveValue(value)
    }
    await backOnline(page)
  }
})

test("the verify-email banner's Resend says what happened in the banner, and offline keeps the page", async ({
  page,
}) => {
  const slug = await owner(page, 'offline-resend')
  const email = await page.getByRole('link', { name: 'Olga Owner' }).first().getAttribute('title')
  const banner = page.getByRole('status').filter({ hasText: 'Confirm your email' })
  await expect(banner).toBeVisible()
  await page.getByRole('link', { name: 'Tickets' }).first().click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets`))

  const resend = page.getByRole('button', { name: 'Resend' })
  await resend.click()
  // Online: the banner itself says it was sent; the page is the same one.
  const sent = page.getByRole('status').filter({ hasText: `We sent a new confirmation link to ${email}.` })
  await expect(sent).toBeVisible()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets`))

  await page.context().setOffline(true)
  await resend.click()
  await expect(sent.or(banner).getByRole('alert')).toHaveText(NOT_SAVED)
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets`))
  await expect(page.getByRole('heading', { name: 'You are offline' })).toHaveCount(0)
  await expect(page.getByRole('heading', { name: 'Switchboard could not be reached' })).toHaveCount(0)

  await backOnline(page)
  await resend.click()
  await expect(sent).toBeVisible()
  await expect(page.getByRole('alert').filter({ hasText: NOT_SAVED })).toHaveCount(0)

  // Three confirmation emails to one address a day (the signup's and two resends): the next is
  // refused, and the banner says why.
  await expect(resend).toBeEnabled()
  await resend.click()
  await expect(banner.getByRole('alert')).toHaveText(
    'We sent several links to this address recently. Check your inbox and spam folder, or try again later.',
  )
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets`))
})
