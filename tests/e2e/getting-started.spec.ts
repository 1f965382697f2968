import { expect, test } from '@playwright/test'
import { inviteTeammate, signUp, unique } from './helpers.ts'

/**
 * A new owner's home page walks them through the first steps, and each step ticks itself off
 * from what actually happened: the support form (copied from the checklist) brought a ticket,
 * a teammate joined, a ticket was answered.
 */
test('the getting-started checklist: copy the form link, a ticket arrives, invite, answer', async ({
  page,
  browser,
  context,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  const id = unique()
  const slug = `start-${id}`
  await signUp(page, 'Gil Going', `gil-${id}@example.com`, 'Start Co', slug)
  const checklist = page.getByRole('region', { name: 'Getting started' })
  await expect(checklist.getByText('0 of 4 done')).toBeVisible()
  await expect(checklist.getByRole('heading', { name: 'Share your support form (to do)' })).toBeVisible()

  // The link to share: shown, copied, and it is the form customers use.
  const formUrl = await checklist.getByLabel('Support form URL').inputValue()
  expect(new URL(formUrl).pathname).toBe(`/support/${slug}`)
  await checklist.getByRole('button', { name: 'Copy link' }).click()
  await expect(checklist.getByRole('button', { name: 'Copied' })).toBeVisible()
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(formUrl)

  // A customer writes in through that link.
  const customer = await browser.newContext({
    extraHTTPHeaders: { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250) + 1}` },
  })
  const form = await customer.newPage()
  await form.goto(new URL(formUrl).pathname)
  await form.getByLabel('Your name').fill('Casey Customer')
  await form.getByLabel('Email').fill(`casey-${id}@example.net`)
  await form.getByLabel('Subject').fill('First question')
  await form.getByLabel('How can we help?').fill('Is anyone there?')
  await form.getByRole('button', { name: /send/i }).click()
  await expect(form).toHaveURL(/[?&]sent=\d+/)
  await customer.close()

  await page.goto(`/w/${slug}`)
  await expect(checklist.getByRole('heading', { name: 'Share your support form (done)' })).toBeVisible()
  await expect(checklist.getByText('1 of 4 done')).toBeVisible()

  // A teammate joins.
  const teammate = await inviteTeammate(page, browser, slug, 'Tess Teammate', `tess-${id}@example.com`)
  await teammate.context.close()
  await page.goto(`/w/${slug}`)
  await expect(checklist.getByRole('heading', { name: 'Invite a teammate (done)' })).toBeVisible()

  // The first ticket is answered.
  await page.goto(`/w/${slug}/tickets/1`)
  await page.getByLabel(/Reply to Casey Customer/).fill('Yes, we are here!')
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(page.getByRole('list', { name: 'Conversation' }).getByText('Yes, we are here!')).toBeVisible()
  await page.goto(`/w/${slug}`)
  await expect(checklist.getByRole('heading', { name: 'Answer your first ticket (done)' })).toBeVisible()
  await expect(checklist.getByText('3 of 4 done')).toBeVisible()
})
