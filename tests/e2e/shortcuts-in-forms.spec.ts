import { expect, test, type Page } from '@playwright/test'
import { signUp, submitSupportForm, unique } from './helpers.ts'

// Single-key shortcuts (e resolves, a assigns, j/k move, s opens the statuses) act only where
// nobody is filling anything in: a key typed while focus is on a radio, checkbox or button of a
// form belongs to that form (2026-12-07: "escalate" typed on the composer's tab resolved and
// assigned the ticket, and the note stayed empty).

async function openNewTicket(page: Page, prefix: string, subject: string) {
  const id = unique()
  const slug = `${prefix}-${id}`
  await signUp(page, 'Dana Agent', `dana-${id}@example.com`, `${prefix} Co`, slug)
  const customer = await submitSupportForm(page.context().browser()!, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject,
    message: 'Please help.',
  })
  await customer.context.close()
  await page.goto(`/w/${slug}/tickets`)
  await page.getByRole('link', { name: subject }).click()
  await expect(page.getByRole('heading', { name: subject })).toBeVisible()
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  return slug
}

/** The composer's Reply or Internal note tab (a label around a visually hidden radio). */
function composerTab(page: Page, name: 'Reply' | 'Internal note') {
  return page
    .getByRole('form', { name: 'Reply composer' })
    .locator('label')
    .filter({ has: page.getByRole('radio', { name, exact: true }) })
}

/** Every POST the page sends from now on (a shortcut's change, the palette's lookup for `a`). */
function changesSent(page: Page) {
  const sent: string[] = []
  page.on('request', (request) => {
    const body = request.postData() ?? ''
    if (request.method() === 'POST' && /intent=update|name="intent"\r\n\r\nupdate/.test(body)) {
      sent.push(body)
    }
    if (request.url().includes('/palette')) sent.push(request.url())
  })
  return sent
}

test.describe.configure({ timeout: 60_000 })

test('choosing Reply or Internal note puts the caret in the text box, and typing there changes nothing else', async ({
  page,
}) => {
  const subject = 'Cannot export invoices'
  await openNewTicket(page, 'tabs', subject)
  const ticketUrl = page.url()
  const sent = changesSent(page)

  // The tab already chosen (Reply, the default), clicked again, hands the caret on too.
  await composerTab(page, 'Reply').click()
  const reply = page.getByLabel(/^Reply to Casey/)
  await expect(reply).toBeFocused()
  await page.keyboard.type('jk ')
  await expect(reply).toHaveValue('jk ')

  await composerTab(page, 'Internal note').click()
  const note = page.getByLabel('Internal note (only your team sees it)')
  await expect(note).toBeFocused()
  await page.keyboard.type('escalate: all good')
  await expect(note).toHaveValue('jk escalate: all good')

  // Nothing reached the server but the text: the ticket is still open, unassigned, on this page.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)))
  expect(sent).toEqual([])
  await expect(page).toHaveURL(ticketUrl)
  await expect(page.getByRole('dialog')).toHaveCount(0)
  await page.reload()
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('open')
  await expect(page.getByLabel('Assignee', { exact: true })).toHaveValue('none')
})

test('keys typed on a button or radio of a form are not shortcuts; on the page they still are', async ({
  page,
}) => {
  const subject = 'Printer jams daily'
  const slug = await openNewTicket(page, 'formkeys', subject)
  const ticketUrl = page.url()
  const sent = changesSent(page)

  // The composer's tab radios, reached with the keyboard (focus on the radio itself).
  await page.getByRole('radio', { name: 'Reply', exact: true }).focus()
  await page.keyboard.type('esajk')
  await expect(page.getByRole('dialog')).toHaveCount(0)
  expect(sent).toEqual([])
  // The composer's Send button, the sidebar's Add button (a tag), a tag's remove button.
  await page.getByRole('button', { name: /^Send reply/ }).focus()
  await page.keyboard.type('esajk')
  await page.getByRole('button', { name: 'Add', exact: true }).focus()
  await page.keyboard.type('esajk')
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)))
  expect(sent).toEqual([])
  await expect(page).toHaveURL(ticketUrl)
  await expect(page.getByRole('dialog')).toHaveCount(0)

  // Outside any form the ticket page's keys act: e resolves it.
  await page.locator('main#main-content').focus()
  const resolved = page.waitForResponse((r) => r.request().method() === 'POST')
  await page.keyboard.press('e')
  expect((await resolved).status()).toBeLessThan(400)
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('resolved')

  // The inbox: a key on the filters' controls or the bulk bar's does not move through the rows;
  // on a row's checkbox (outside the bulk form, joined to it by its form attribute) j and x work.
  await page.goto(`/w/${slug}/tickets?view=all`)
  const link = page.getByRole('link', { name: subject })
  await expect(link).toBeVisible()
  const search = page.getByRole('search', { name: 'Filter tickets' })
  await search.getByRole('button').first().focus()
  await page.keyboard.press('j')
  await expect(link).not.toBeFocused()
  // j on the page makes the row active (its link focused); its checkbox is just before it.
  await page.locator('main#main-content').focus()
  await page.keyboard.press('j')
  await expect(link).toBeFocused()
  await page.keyboard.press('Shift+Tab')
  const box = page.getByRole('checkbox', { name: /^Select ticket #/ })
  await expect(box).toBeFocused()
  await page.keyboard.press('x')
  await expect(box).toBeChecked()
  const bulk = page.getByRole('form', { name: /bulk/i })
  await bulk.getByRole('button').first().focus()
  await page.keyboard.press('x')
  await expect(box).toBeChecked()
  await page.keyboard.press('j')
  await expect(link).not.toBeFocused()
  await box.focus()
  await page.keyboard.press('j')
  await expect(link).toBeFocused()
})
