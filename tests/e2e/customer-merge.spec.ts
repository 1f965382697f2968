import { expect, test } from '@playwright/test'
import { inviteTeammate, signUp, submitSupportForm, unique } from './helpers.ts'

// Merging two customers deletes one contact for good: owners and admins only, as the other
// destructive settings. An agent's customer page says so and offers no merge.

test('an agent is told only owners and admins can merge; the owner merges two customers', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `merge-${id}`
  await signUp(page, 'Olga Owner', `olga-${id}@example.com`, 'Merge Co', slug)
  for (const [email, subject] of [
    [`ada-${id}@home.example`, 'From home'],
    [`ada-${id}@work.example`, 'From work'],
  ]) {
    const customer = await submitSupportForm(browser, slug, {
      name: 'Ada Lovelace',
      email,
      subject,
      message: `${subject}, about my order.`,
    })
    await customer.context.close()
  }
  const agent = await inviteTeammate(page, browser, slug, 'Bob Agent', `bob-${id}@example.com`)

  await agent.page.goto(`/w/${slug}/customers?q=${encodeURIComponent(`ada-${id}@home`)}`)
  await agent.page.getByRole('link', { name: 'Ada Lovelace' }).click()
  const section = agent.page.getByRole('region', { name: 'Merge with another customer' })
  await expect(section).toContainText('Only owners and admins can merge customers.')
  await expect(agent.page.getByLabel('Find the other customer')).toHaveCount(0)
  await agent.context.close()

  await page.goto(`/w/${slug}/customers?q=${encodeURIComponent(`ada-${id}@home`)}`)
  await page.getByRole('link', { name: 'Ada Lovelace' }).click()
  await page.getByLabel('Find the other customer').fill(`ada-${id}@work`)
  await page.getByRole('button', { name: 'Find' }).click()
  await page.getByRole('link', { name: `Merge ada-${id}@work.example into this customer` }).click()
  await page.getByRole('button', { name: 'Merge customers' }).click()
  await expect(page.getByRole('heading', { name: /Tickets/ })).toContainText('(2)')
})
