import { expect, test } from '@playwright/test'
import { linkFromOutbox, ownAddress, PASSWORD, signUp, unique } from './helpers.ts'

test('password reset end to end through the outbox', async ({ page }) => {
  const id = unique()
  const email = `reset-${id}@example.com`
  await signUp(page, 'Rita Reset', email, 'Reset Co', `reset-${id}`)
  await page.getByRole('button', { name: 'Sign out' }).click()
  // Signed out once the logout's redirect lands: a goto before that raced the logout post, and
  // /login sent the still signed-in agent back to the workspace.
  await expect(page).toHaveURL('/login')

  await page.goto('/login')
  await page.getByRole('link', { name: 'Forgot password?' }).click()
  // The sign-in page has an Email field too: fill the reset form's once it is there.
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible()
  await page.getByLabel('Email').fill(email)
  await page.getByRole('button', { name: 'Send reset link' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'If an account exists' })).toContainText(
    'If an account exists for this email',
  )

  const resetPath = await linkFromOutbox(page, email, /Reset your Switchboard password/, '/reset-password')
  await page.goto(resetPath)
  const newPassword = 'a completely new passphrase'
  await page.getByLabel('New password').fill(newPassword)
  await page.getByRole('button', { name: 'Set new password' }).click()
  await expect(page).not.toHaveURL(/reset-password/)

  // The link works once.
  await page.goto(resetPath)
  await expect(page.getByRole('heading', { name: 'This reset link does not work' })).toBeVisible()

  // The new password signs in; the old one does not.
  const fresh = await page.context().browser()!.newContext()
  const other = await fresh.newPage()
  await other.goto('/login')
  await other.getByLabel('Email').fill(email)
  await other.getByLabel('Password').fill(PASSWORD)
  await other.getByRole('button', { name: 'Sign in' }).click()
  await expect(other.getByText('Invalid email or password')).toBeVisible()
  await other.getByLabel('Password').fill(newPassword)
  await other.getByRole('button', { name: 'Sign in' }).click()
  await expect(other).toHaveURL(/\/w\//)
  await fresh.close()
})

test('an invitation sent by email is accepted', async ({ page, browser }) => {
  const id = unique()
  const slug = `invite-${id}`
  await signUp(page, 'Olive Owner', `olive-${id}@example.com`, 'Invite Co', slug)
  const invitee = `ivan-${id}@example.com`
  await page.goto(`/w/${slug}/settings/members`)
  await page.getByLabel('Email').fill(invitee)
  await page.getByLabel('Role', { exact: true }).selectOption('agent')
  await page.getByRole('button', { name: 'Create invite link' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Invitation emailed' })).toContainText(
    `Invitation emailed to ${invitee}`,
  )

  const invitePath = await linkFromOutbox(page, invitee, /You are invited to Invite Co/, '/invite')
  const context = await browser.newContext()
  const teammate = await context.newPage()
  await ownAddress(teammate)
  await teammate.goto(invitePath)
  await teammate.getByLabel('Your name').fill('Ivan Invitee')
  await teammate.getByLabel('Choose a password').fill(PASSWORD)
  await teammate.getByRole('button', { name: 'Create account and join' }).click()
  await expect(teammate).toHaveURL(`/w/${slug}`)
  // A new account: the banner asks to confirm the address.
  await expect(teammate.getByText('Confirm your email')).toBeVisible()
  await context.close()
})
