import { expect, test } from '@playwright/test'
import {
  holdLiveConnection,
  holdScripts,
  linkFromOutbox,
  signUp,
  submitSupportForm,
  unique,
  waitForHydration,
} from './helpers.ts'

const NOT_SAVED = 'Not saved: Switchboard could not be reached. Try again.'

test('an agent works a ticket: queue → open → reply with attachment and set pending → back to the filtered queue', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `work-${id}`
  await signUp(page, 'Dana Agent', `dana-${id}@example.com`, 'Work Co', slug)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'The kettle arrived broken',
    message: 'The handle snapped off on the first use.',
  })
  await customer.context.close()

  await page.goto(`/w/${slug}/tickets`)
  await page.getByRole('search', { name: 'Filter tickets' }).getByLabel('Status').selectOption('open')
  await page.getByRole('search', { name: 'Filter tickets' }).getByRole('button').first().click()
  await expect(page).toHaveURL(/status=open/)
  const filtered = page.url()
  await page.getByRole('link', { name: 'The kettle arrived broken' }).click()
  await expect(page.getByRole('heading', { name: 'The kettle arrived broken' })).toBeVisible()
  await expect(page.getByText('The handle snapped off on the first use.')).toBeVisible()

  await page.getByLabel(/Reply to Casey Customer/).fill('So sorry! A replacement is on its way.')
  await page.locator('#composer-files').setInputFiles({
    name: 'label.png',
    mimeType: 'image/png',
    buffer: Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d6a6460000000049454e44ae426082',
      'hex',
    ),
  })
  await page.getByLabel('Then set status').selectOption('pending')
  await page.getByRole('button', { name: /Send reply & set pending/ }).click()
  const conversation = page.getByRole('list', { name: 'Conversation' })
  await expect(conversation.getByText('So sorry! A replacement is on its way.')).toBeVisible()
  await expect(conversation.getByRole('link', { name: /label\.png/ })).toBeVisible()
  await expect(page.getByRole('region', { name: 'Ticket properties' }).getByLabel('Status')).toHaveValue(
    'pending',
  )

  await page.getByRole('main').getByRole('link', { name: 'Inbox', exact: true }).click()
  await expect(page).toHaveURL(filtered)
  await expect(page.getByRole('search', { name: 'Filter tickets' }).getByLabel('Status')).toHaveValue('open')
  await expect(page.getByRole('link', { name: 'The kettle arrived broken' })).toHaveCount(0)
})

test('a filter chosen and a ticket ticked before the inbox’s scripts ran apply once they run', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `early-${id}`
  await signUp(page, 'Dana Agent', `dana-${id}@example.com`, 'Early Co', slug)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Still open',
    message: 'Nobody has answered yet.',
  })
  await customer.context.close()

  const release = await holdScripts(page)
  await page.goto(`/w/${slug}/tickets?view=all`, { waitUntil: 'commit' })
  const filters = page.getByRole('search', { name: 'Filter tickets' })
  await expect(page.getByRole('link', { name: 'Still open' })).toBeVisible()
  await filters.getByLabel('Status').selectOption('pending')
  await expect(filters.getByRole('button', { name: 'Apply filters' })).toBeVisible()
  release()
  await expect(page).toHaveURL(/status=pending/)
  await expect(filters.getByRole('button', { name: 'Apply filters' })).toBeHidden()
  await expect(page.getByRole('link', { name: 'Still open' })).toHaveCount(0)
  await expect(filters.getByLabel('Status')).toHaveValue('pending')

  // A ticket ticked before the scripts ran is part of the selection once they run.
  const again = await holdScripts(page)
  await page.goto(`/w/${slug}/tickets?view=all`, { waitUntil: 'commit' })
  await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
  again()
  await expect(filters.getByRole('button', { name: 'Apply filters' })).toBeHidden()
  await expect(page.getByText('1 selected')).toBeVisible()
  await expect(page.getByRole('checkbox', { name: 'Select ticket #1' })).toBeChecked()
})

test('a ticket that arrives while the inbox loads shows once its live connection is up, without a reload', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `loading-${id}`
  await signUp(page, 'Lee Agent', `lee-${id}@example.com`, 'Loading Co', slug)
  // The inbox's live connection is held back until the customer's ticket is in: the ticket's
  // event reaches no one on the page.
  const open = await holdLiveConnection(page)
  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByText('No tickets here')).toBeVisible()
  await page.evaluate(() => Object.assign(window, { sameDocument: true }))
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Arrived while loading',
    message: 'Hello?',
  })
  await customer.context.close()
  open()
  // The connection's `ready` says an event of the workspace went by since the page's data was read.
  await expect(page.getByRole('link', { name: 'Arrived while loading' })).toBeVisible()
  expect(await page.evaluate(() => 'sameDocument' in window)).toBe(true)
})

test('a customer’s request and reply sent offline are kept, with a message, and go through once online', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `offline-${id}`
  await signUp(page, 'Olga Owner', `olga-${id}@example.com`, 'Offline Co', slug)
  const customer = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.91' } })
  const form = await customer.newPage()
  await form.goto(`/support/${slug}`)
  await waitForHydration(form, 'form#support-request')
  await form.getByLabel('Your name').fill('Otto Offline')
  await form.getByLabel('Email').fill(`otto-${id}@example.net`)
  await form.getByLabel('Subject').fill('Train wifi')
  await form.getByLabel('How can we help?').fill('A long story, typed on a train.')
  await customer.setOffline(true)
  await form.getByRole('button', { name: 'Send request' }).click()
  await expect(form.getByText(NOT_SAVED)).toBeVisible()
  await expect(form.getByLabel('How can we help?')).toHaveValue('A long story, typed on a train.')
  await expect(form.getByLabel('Subject')).toHaveValue('Train wifi')
  await customer.setOffline(false)
  await form.getByRole('button', { name: 'Send request' }).click()
  await expect(form).toHaveURL(/[?&]sent=\d+/)

  // The private link from the confirmation email: the reply form behaves the same way.
  await form.goto(await linkFromOutbox(page, `otto-${id}@example.net`, /Train wifi/, '/support/t'))
  await waitForHydration(form, 'form#customer-reply')
  await form.getByLabel('Your message').fill('Still on the train.')
  await customer.setOffline(true)
  await form.getByRole('button', { name: 'Send reply' }).click()
  await expect(form.getByText(NOT_SAVED)).toBeVisible()
  await expect(form.getByLabel('Your message')).toHaveValue('Still on the train.')
  await customer.setOffline(false)
  await form.getByRole('button', { name: 'Send reply' }).click()
  await expect(form.getByText(/Reply sent/i)).toBeVisible()
  await expect(form.getByRole('listitem').getByText('Still on the train.')).toBeVisible()
  await customer.close()
})

test('bulk assign: select several tickets in the queue and assign them at once', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `bulk-${id}`
  await signUp(page, 'Bea Bulk', `bea-${id}@example.com`, 'Bulk Co', slug)
  for (const subject of ['First question', 'Second question', 'Third question']) {
    const c = await submitSupportForm(browser, slug, {
      name: 'Pat',
      email: `pat-${id}@example.net`,
      subject,
      message: `About the ${subject.toLowerCase()}.`,
    })
    await c.context.close()
  }
  await page.goto(`/w/${slug}/tickets?view=unassigned`)
  await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
  await page.getByRole('checkbox', { name: 'Select ticket #3' }).check()
  // The agent themselves is "Me", first.
  await page.getByLabel('Assign to').selectOption({ label: 'Me' })
  await page.getByRole('button', { name: 'Assign', exact: true }).click()
  await expect(page.getByRole('link', { name: 'First question' })).toHaveCount(0)
  await expect(page.getByRole('link', { name: 'Second question' })).toBeVisible()
  await page.goto(`/w/${slug}/tickets?view=mine`)
  await expect(page.getByRole('link', { name: 'First question' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Third question' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Second question' })).toHaveCount(0)
})

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false })

  test('a customer submits the public form and replies through the private link from their email', async ({
    page,
    browser,
  }) => {
    const id = unique()
    const slug = `nojs-${id}`
    const owner = await browser.newContext()
    await signUp(await owner.newPage(), 'Olive Owner', `olive-${id}@example.com`, 'Plain Co', slug)
    await owner.close()

    await page.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.77' })
    await page.goto(`/support/${slug}`)
    await page.getByLabel('Your name').fill('Nora No-Script')
    await page.getByLabel('Email').fill(`nora-${id}@example.net`)
    await page.getByLabel('Subject').fill('Invoice question')
    await page.getByLabel('How can we help?').fill('Why was I charged twice?')
    await page.getByRole('button', { name: /send/i }).click()
    await expect(page.getByText(/received/i).first()).toBeVisible()

    await page.goto(await linkFromOutbox(page, `nora-${id}@example.net`, /Invoice question/, '/support/t'))
    await expect(page.getByText('Why was I charged twice?')).toBeVisible()
    await page.getByLabel('Your message').fill('Any update on this?')
    await page.getByRole('button', { name: /send/i }).click()
    await expect(page.getByText(/Reply sent/i)).toBeVisible()
    await expect(page.getByText('Any update on this?')).toBeVisible()
  })
})

test('a live change to a row keeps the focus and the text selection in what it did not change', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `morph-${id}`
  await signUp(page, 'Mo Agent', `mo-${id}@example.com`, 'Morph Co', slug)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Selected while it changes',
    message: 'Hello?',
  })
  await customer.context.close()
  const tagElsewhere = async (name: string) => {
    const response = await page.request.post(`/w/${slug}/tickets/1`, {
      headers: { origin: new URL(page.url()).origin },
      form: { intent: 'add-tag', name },
      maxRedirects: 0,
    })
    expect(response.status()).toBe(302)
  }
  await page.goto(`/w/${slug}/tickets`)
  await waitForHydration(page, 'tr.queue-row')
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  // The agent's keyboard is on the ticket's link and its subject is selected (to copy it, or
  // a screen reader reading it).
  await page.getByRole('link', { name: 'Selected while it changes' }).focus()
  await page.evaluate(() => {
    const link = document.querySelector<HTMLAnchorElement>('tr.queue-row a.queue-subject')!
    const range = document.createRange()
    range.selectNodeContents(link)
    getSelection()!.removeAllRanges()
    getSelection()!.addRange(range)
    Object.assign(window, { keptLink: link })
  })
  // Elsewhere the ticket is read (its unread dot goes) and tagged, as the agent's other device
  // would (without opening a live connection, whose presence would add a marker of its own):
  // the row's subject cell changes, live.
  expect((await page.request.get(`/w/${slug}/tickets/1`)).status()).toBe(200)
  await tagElsewhere('vip')
  await expect(page.getByRole('list', { name: 'Tags' }).getByText('vip')).toBeVisible()
  await expect(page.locator('tr.queue-row .queue-dot')).toHaveCount(0)
  // A tag sorted in front of it: the one shown already stays the same element.
  await page.evaluate(() =>
    Object.assign(window, { keptTag: document.querySelector('tr.queue-row li.queue-tag') }),
  )
  await tagElsewhere('alpha')
  await expect(page.getByRole('list', { name: 'Tags' }).getByRole('listitem')).toHaveText(['alpha', 'vip'])
  expect(
    await page.evaluate(() => {
      const tag = (window as unknown as { keptTag: HTMLElement }).keptTag
      return { kept: tag.isConnected, text: tag.textContent }
    }),
  ).toEqual({ kept: true, text: 'vip' })
  expect(
    await page.evaluate(() => {
      const link = (window as unknown as { keptLink: HTMLAnchorElement }).keptLink
      return {
        kept: link.isConnected,
        focused: document.activeElement === link,
        selected: getSelection()!.toString(),
      }
    }),
  ).toEqual({ kept: true, focused: true, selected: 'Selected while it changes' })
  // What the change drew is what the server draws for the row now.
  const live = await page.locator('tr.queue-row td.queue-cell').innerHTML()
  await page.reload()
  expect(await page.locator('tr.queue-row td.queue-cell').innerHTML()).toBe(live)
})
