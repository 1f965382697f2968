import { expect, test, type Page } from '@playwright/test'
import { linkFromOutbox, ownAddress, signUp, submitSupportForm, unique, waitForHydration } from './helpers.ts'

/** What has focus: `BODY` when nothing in particular. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const active = document.activeElement
    if (!active || active === document.body) return 'BODY'
    return `${active.tagName}${active.id ? `#${active.id}` : ''}${active.getAttribute('role') ? `[${active.getAttribute('role')}]` : ''}: ${(active.textContent ?? '').trim().slice(0, 40)}`
  })

/**
 * After a post, focus is where the person can carry on: on the confirmation that replaced the form
 * (the button they pressed is gone), or on the field the server refused. Before, it fell to
 * <body> (the customer's reply, the support form's confirmation: the next Tab started at the top)
 * or to <main> (a refused signature).
 */
test('a customer’s confirmations take focus: the support form’s “We received” and a reply’s “Reply sent”', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `fcs-${id}`
  await signUp(page, 'Fay Focus', `fay-${id}@example.com`, 'Focus Co', slug)
  const email = `cal-${id}@example.net`
  const customer = await submitSupportForm(browser, slug, {
    name: 'Cal Customer',
    email,
    subject: 'Where did my focus go',
    message: 'Pressing Send left me at the top.',
  })
  await expect.poll(() => focused(customer.page)).toMatch(/^DIV\[status\]: We received your request/)
  await customer.context.close()

  const link = await linkFromOutbox(page, email, /Where did my focus go/, '/support/t')
  const context = await browser.newContext()
  const visitor = await context.newPage()
  await ownAddress(visitor)
  await visitor.goto(link)
  await waitForHydration(visitor, 'textarea[name="message"]')
  await visitor.getByLabel('Your message').fill('One more detail.')
  // Tab to Send reply (past the attachments field), then Enter.
  const send = visitor.getByRole('button', { name: 'Send reply' })
  await send.focus()
  await visitor.keyboard.press('Enter')
  await expect(visitor).toHaveURL(/[?&]replied/)
  await expect(visitor.getByRole('status').filter({ hasText: 'Reply sent' })).toBeVisible()
  await expect.poll(() => focused(visitor)).toMatch(/^P\[status\]: Reply sent/)
  await context.close()
})

test('a signature the server refuses puts focus on the signature, and a sign-in refused on its field', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `fcr-${id}`
  await signUp(page, 'Rae Refused', `rae-${id}@example.com`, 'Refused Co', slug)
  await page.goto(`/w/${slug}/account`)
  const signature = page.getByLabel('Your signature')
  await waitForHydration(page, '#account-signature')
  // Longer than the schema allows: the field's maxlength taken off (as a page from before a
  // limit was lowered would be), so only the server refuses it.
  await signature.evaluate((field) => field.removeAttribute('maxlength'))
  await signature.fill('x'.repeat(2_100))
  await page.getByRole('button', { name: 'Save signature' }).click()
  await expect(signature).toHaveAttribute('aria-invalid', 'true')
  await expect.poll(() => focused(page)).toMatch(/^TEXTAREA#account-signature/)

  // The public pages' forms after a post: never <body>.
  const context = await browser.newContext()
  const visitor = await context.newPage()
  await ownAddress(visitor)
  await visitor.goto('/login')
  await waitForHydration(visitor, 'form button[type="submit"]')
  await visitor.getByLabel('Email').fill(`rae-${id}@example.com`)
  await visitor.getByLabel('Password').fill('not the password at all')
  await visitor.getByRole('button', { name: 'Sign in' }).press('Enter')
  await expect(visitor.getByText(/Invalid email or password|incorrect|not match/i).first()).toBeVisible()
  await expect.poll(() => focused(visitor)).not.toBe('BODY')

  await visitor.goto('/forgot-password')
  await waitForHydration(visitor, 'form button[type="submit"]')
  await visitor.getByLabel('Email').fill(`rae-${id}@example.com`)
  await visitor.getByRole('button', { name: 'Send reset link' }).press('Enter')
  await expect(visitor.getByRole('status')).toContainText('If an account exists')
  await expect.poll(() => focused(visitor)).not.toBe('BODY')
  await context.close()
})
