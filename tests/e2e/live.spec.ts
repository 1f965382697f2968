import { expect, test } from '@playwright/test'
import { inviteTeammate, ownAddress, PASSWORD, signUp, submitSupportForm, unique } from './helpers.ts'

test('two agents on one ticket: live replies, typing indicator and the collision warning', async ({
  page,
  browser,
}) => {
  // Two browsers, Alice's two undo-send windows and the live round trips: ~35 s on a loaded machine.
  test.setTimeout(240_000)
  const id = unique()
  const slug = `live-${id}`
  await signUp(page, 'Alice Agent', `alice-${id}@example.com`, 'Live Co', slug)
  const bob = await inviteTeammate(page, browser, slug, 'Bob Buddy', `bob-${id}@example.com`)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Carla Customer',
    email: `carla-${id}@example.net`,
    subject: 'Password reset mail never arrives',
    message: 'I tried three times.',
  })
  await customer.context.close()
  // Alice's replies wait the default 5 s (what Bob sees of that is tested below); Bob sends at
  // once, which saves two undo windows' waiting and changes nothing this test looks at.
  await bob.page.goto(`/w/${slug}/account`)
  await bob.page.getByLabel('Undo send').selectOption('0')
  await bob.page.getByRole('button', { name: 'Save undo send' }).click()
  await expect(bob.page.getByText('Undo send delay saved.')).toBeVisible()

  await page.goto(`/w/${slug}/tickets/1`)

  await bob.page.goto(`/w/${slug}/tickets/1`)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  await expect(bob.page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  await expect(page.getByText('Bob is viewing')).toBeVisible()

  // Alice changes the priority: Bob's sidebar follows without a reload.
  await page.getByRole('region', { name: 'Ticket properties' }).getByLabel('Priority').selectOption('urgent')
  await expect(
    bob.page.getByRole('region', { name: 'Ticket properties' }).getByLabel('Priority'),
  ).toHaveValue('urgent')

  // Bob starts typing: Alice sees it.
  await bob.page.getByLabel(/Reply to Carla Customer/).fill('Let me check the mail logs')
  await expect(page.getByText('Bob is replying…')).toBeVisible()

  // Alice replies: Bob sees it arrive without reloading, and his draft stays.
  await page.getByLabel(/Reply to Carla Customer/).fill('Resent it just now, please check spam too.')
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  // Teammates see a reply once its undo-send delay (5 s by default) has passed.
  await expect(
    bob.page
      .getByRole('list', { name: 'Conversation' })
      .getByText('Resent it just now, please check spam too.'),
  ).toBeVisible({ timeout: 20_000 })
  await expect(bob.page.getByLabel(/Reply to Carla Customer/)).toHaveValue('Let me check the mail logs')

  // Bob sends his draft: the server warns him that something new arrived since he started typing.
  await bob.page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(bob.page.getByText('New activity since you started typing')).toBeVisible()
  await bob.page.getByRole('button', { name: 'Send anyway' }).click()
  await expect(
    page.getByRole('list', { name: 'Conversation' }).getByText('Let me check the mail logs'),
  ).toBeVisible({ timeout: 20_000 })

  // Sent: the warning goes with it.
  await expect(bob.page.getByText('New activity since you started typing')).toBeHidden()

  // The same warning after "Send & next": sending anyway still moves on from this ticket.
  await bob.page.getByLabel(/Reply to Carla Customer/).fill('One more check on our side')
  await page.getByLabel(/Reply to Carla Customer/).fill('Also look in the junk folder.')
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(
    bob.page.getByRole('list', { name: 'Conversation' }).getByText('Also look in the junk folder.'),
  ).toBeVisible({ timeout: 20_000 })
  await bob.page.getByRole('button', { name: 'Send & next' }).click()
  await expect(bob.page.getByText('New activity since you started typing')).toBeVisible()
  await bob.page.getByRole('button', { name: 'Send anyway & next' }).click()
  await expect(bob.page).not.toHaveURL(/\/tickets\/1(?:[?#]|$)/)
  await expect(
    page.getByRole('list', { name: 'Conversation' }).getByText('One more check on our side'),
  ).toBeVisible({ timeout: 20_000 })
  await bob.context.close()
})

test('the live connection comes up when its client failed to download the first time', async ({ page }) => {
  const id = unique()
  const slug = `live-load-${id}`
  // The first download of the script that holds the Socket.IO client fails (a network blip, a
  // deploy that replaced the file); later ones go through.
  let refused = 0
  await page.route(/\/assets\/.*\.js$/, async (route) => {
    const response = await route.fetch()
    const body = await response.text()
    if (refused === 0 && body.includes('engine.io')) {
      refused += 1
      await route.abort('connectionreset')
      return
    }
    await route.fulfill({ response, body })
  })
  await signUp(page, 'Lena Loader', `lena-${id}@example.com`, 'Load Co', slug)
  await expect.poll(() => refused).toBe(1)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible({ timeout: 15_000 })
})

test("the live connection comes up when the server's handshake check failed the first time", async ({
  page,
}) => {
  const id = unique()
  const slug = `live-refused-${id}`
  // The first connection is answered as the server answers when its handshake check cannot
  // read the session (the database away for a moment): a Socket.IO CONNECT_ERROR. socket.io's
  // client does not reconnect after such a refusal by itself; later connections go through.
  let refused = 0
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (refused > 0) {
      ws.connectToServer()
      return
    }
    refused += 1
    ws.send(
      '0' +
        JSON.stringify({
          sid: 'refused',
          upgrades: [],
          pingInterval: 25_000,
          pingTimeout: 20_000,
          maxPayload: 1e6,
        }),
    )
    ws.onMessage((message) => {
      if (String(message).startsWith('40')) ws.send('44{"message":"Handshake failed"}')
    })
  })
  await signUp(page, 'Rita Refused', `rita-${id}@example.com`, 'Refused Co', slug)
  await expect.poll(() => refused).toBe(1)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible({ timeout: 15_000 })
})

test('"Sign out of all other devices" takes the other tab to the sign-in page at once', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `live-revoked-${id}`
  const email = `rex-${id}@example.com`
  await signUp(page, 'Rex Revoked', email, 'Revoked Co', slug)
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()

  const context = await browser.newContext()
  const other = await context.newPage()
  await ownAddress(other)
  await other.goto('/login')
  await other.getByLabel('Email').fill(email)
  await other.getByLabel('Password').fill(PASSWORD)
  await other.getByRole('button', { name: 'Sign in' }).click()
  await expect(other).toHaveURL(new RegExp(`/w/${slug}`))
  await other.goto('/account')
  await other.getByRole('button', { name: 'Sign out of all other devices' }).click()
  await expect(other.getByRole('status').filter({ hasText: 'Signed out of 1 other session.' })).toBeVisible()

  // The first tab's live connection was closed with its session: it goes to sign-in by itself.
  await expect(page).toHaveURL(/\/login/, { timeout: 10_000 })
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible()
  await context.close()
})
