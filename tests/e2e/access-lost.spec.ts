import { expect, test } from '@playwright/test'
import { inviteTeammate, signUp, submitSupportForm, unique } from './helpers.ts'

// A member removed while their tabs are open (2026-12-07: Jordan's tabs stayed "Live" with frozen
// data, and Send reply turned the page into "Page not found", taking the typed reply with it).

test('a removed member’s open tabs are told at once, stop being live, and keep what was typed', async ({
  page,
  browser,
}) => {
  test.setTimeout(90_000)
  const id = unique()
  const slug = `gone-${id}`
  const workspace = `Gone ${id}`
  await signUp(page, 'Olive Owner', `olive-${id}@example.com`, workspace, slug)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Refund for order 24',
    message: 'It arrived broken.',
  })
  await customer.context.close()
  const jordan = await inviteTeammate(page, browser, slug, 'Jordan Agent', `jordan-${id}@example.com`)

  // Jordan: the ticket in one tab, typing a reply; the inbox in another.
  const ticketTab = jordan.page
  await ticketTab.goto(`/w/${slug}/tickets/1`)
  await expect(ticketTab.getByRole('heading', { name: 'Refund for order 24' })).toBeVisible()
  const inboxTab = await jordan.context.newPage()
  await inboxTab.goto(`/w/${slug}/tickets`)
  await expect(inboxTab.getByRole('link', { name: 'Refund for order 24' })).toBeVisible()
  for (const tab of [ticketTab, inboxTab]) {
    await expect(tab.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  }
  const reply = ticketTab.getByLabel(/^Reply to Casey/)
  await reply.fill('We will refund you today, and')
  await expect(reply).toHaveValue('We will refund you today, and')

  // Olive views the ticket too: each sees the other.
  const oliveTicket = await page.context().newPage()
  await oliveTicket.goto(`/w/${slug}/tickets/1`)
  await expect(oliveTicket.getByText('Jordan is viewing')).toBeVisible()
  await expect(ticketTab.getByText('Olive is viewing')).toBeVisible()

  // Olive removes Jordan.
  await page.goto(`/w/${slug}/settings/members`)
  await page.getByRole('button', { name: 'Remove Jordan Agent' }).click()
  const confirm = page.getByRole('dialog', { name: /Remove Jordan Agent/ })
  await confirm.getByRole('button', { name: 'Remove', exact: true }).click()
  await expect(page.getByText('Member removed.')).toBeVisible()

  // Both of Jordan's tabs say so at once, without a reload, and are no longer live.
  for (const tab of [ticketTab, inboxTab]) {
    await expect(
      tab.getByRole('alert').filter({ hasText: `You no longer have access to ${workspace}` }),
    ).toBeVisible()
    await expect(tab.getByRole('status').filter({ hasText: 'No access' })).toBeVisible()
    await expect(tab.getByRole('status').filter({ hasText: /^Live$/ })).toHaveCount(0)
  }
  // No presence either way.
  await expect(ticketTab.getByText('Olive is viewing')).toHaveCount(0)
  await expect(oliveTicket.getByText('Jordan is viewing')).toHaveCount(0)

  // Jordan finishes the sentence and sends: refused, said so, and the page and text stay.
  await reply.pressSequentially(' sorry!')
  await ticketTab.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(
    ticketTab
      .getByRole('alert')
      .filter({ hasText: 'Not saved: you no longer have access to this workspace' }),
  ).toBeVisible()
  await expect(ticketTab.getByRole('heading', { name: 'Page not found' })).toHaveCount(0)
  await expect(ticketTab.getByRole('heading', { name: 'Refund for order 24' })).toBeVisible()
  await expect(reply).toHaveValue('We will refund you today, and sorry!')
  // The text is also kept in the browser (the composer's backup), for after the tab is left.
  const kept = await ticketTab.evaluate(() =>
    Object.keys(localStorage)
      .filter((key) => key.startsWith('switchboard:unsaved-draft:'))
      .map((key) => localStorage.getItem(key) ?? ''),
  )
  expect(kept.some((value) => value.includes('We will refund you today, and sorry!'))).toBe(true)
  await jordan.context.close()
})
