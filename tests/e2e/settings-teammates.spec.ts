import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { inviteTeammate, signUp, submitSupportForm, unique, waitForHydration } from './helpers.ts'

/** Ada signs up a new workspace of this name; its slug and the id that made it unique. */
async function adaOwns(page: Page, workspace: string) {
  const id = unique()
  const slug = `ws-${id}`
  await signUp(page, 'Ada Admin', `ada-${id}@example.com`, workspace, slug)
  return { id, slug }
}

/** A new admin's settings page (`/w/<slug>/settings/<page>`), hydrated; returns its path. */
async function adminOn(page: Page, workspace: string, settingsPage: string) {
  const { slug } = await adaOwns(page, workspace)
  const path = `/w/${slug}/settings/${settingsPage}`
  await openHydrated(page, path)
  return path
}

async function openHydrated(page: Page, path: string) {
  await page.goto(path)
  await waitForHydration(page, 'main')
}

/** The same page in a second tab of the same admin, drawn with what is stored now. */
async function secondTab(context: BrowserContext, path: string) {
  const other = await context.newPage()
  await openHydrated(other, path)
  return other
}

/** The mailbox's edit form, opened (it is folded under "Edit <name>"). */
async function openEditForm(page: Page, name: string) {
  const details = page.locator('details').filter({ has: page.getByText(`Edit ${name}`, { exact: true }) })
  await details.locator('summary').click()
  return details
}

test('two admins editing one mailbox keep each other’s changes to the fields they did not touch', async ({
  page,
  context,
}) => {
  const path = await adminOn(page, 'Mailbox Co', 'mailboxes')
  // The same form open in a second tab: drawn with the same values.
  const other = await secondTab(context, path)

  const renaming = await openEditForm(other, 'Support')
  await renaming.getByLabel('Name', { exact: true }).fill('Customer care')
  await renaming.getByRole('button', { name: 'Save mailbox' }).click()
  await expect(other.getByText('Mailbox “Customer care” saved.')).toBeVisible()

  // This tab still shows the old name; it changes only the signature.
  const signing = await openEditForm(page, 'Support')
  await expect(signing.getByLabel('Name', { exact: true })).toHaveValue('Support')
  await signing.getByLabel('Signature').fill('Kind regards, the Mailbox Co team')
  await signing.getByRole('button', { name: 'Save mailbox' }).click()
  await expect(page.getByText('Mailbox “Customer care” saved.')).toBeVisible()

  // The form is drawn again from what is stored: both changes, here and after a reload.
  for (const view of [page, other]) {
    await view.reload()
    const form = await openEditForm(view, 'Customer care')
    await expect(form.getByLabel('Name', { exact: true })).toHaveValue('Customer care')
    await expect(form.getByLabel('Signature')).toHaveValue('Kind regards, the Mailbox Co team')
  }
  const form = page.locator('details').filter({ has: page.getByText('Edit Customer care', { exact: true }) })
  // Saved again unchanged, nothing is reverted.
  await form.getByRole('button', { name: 'Save mailbox' }).click()
  await expect(page.getByText('Mailbox “Customer care” saved.')).toBeVisible()
  await page.reload()
  const again = await openEditForm(page, 'Customer care')
  await expect(again.getByLabel('Signature')).toHaveValue('Kind regards, the Mailbox Co team')
})

test('a mailbox signature a teammate saved first is not replaced unseen: the conflict shows under the field, the typing stays, and the next save replaces it', async ({
  page,
  context,
  browser,
}) => {
  const path = await adminOn(page, 'Clash Co', 'mailboxes')
  // The teammate: another browser, signed in as the same admin, drawn with the same values.
  const theirContext = await browser.newContext({ storageState: await context.storageState() })
  const theirs = await secondTab(theirContext, path)

  const mine = await openEditForm(page, 'Support')
  await mine.getByLabel('Signature').fill('Kind regards, Ada')
  const their = await openEditForm(theirs, 'Support')
  await their.getByLabel('Signature').fill('Cheers, the team')
  await their.getByRole('button', { name: 'Save mailbox' }).click()
  await expect(theirs.getByText('Mailbox “Support” saved.')).toBeVisible()

  await mine.getByRole('button', { name: 'Save mailbox' }).click()
  const signature = mine.getByLabel('Signature')
  await expect(signature).toHaveAttribute('aria-invalid', 'true')
  await expect(signature).toHaveAccessibleDescription(/Changed by a teammate while you were editing/)
  await expect(mine.getByRole('alert').filter({ hasText: 'Not saved' })).toHaveText(
    'Not saved: a teammate saved Signature (now “Cheers, the team”) while you were editing. Your text is still here: save again to replace theirs with it.',
  )
  await expect(signature).toHaveValue('Kind regards, Ada')
  // The page reloaded what is stored: the form names the teammate's save, which this one replaces.
  await expect(mine.getByRole('status')).toHaveText(/^A teammate saved Signature \(now “Cheers, the team”\)/)
  await expect(page.getByText('Mailbox “Support” saved.')).toHaveCount(0)

  await mine.getByRole('button', { name: 'Save mailbox' }).click()
  await expect(page.getByText('Mailbox “Support” saved.')).toBeVisible()
  await expect(mine.getByText(/Not saved|A teammate saved|Changed by a teammate/)).toHaveCount(0)
  for (const view of [page, theirs]) {
    await view.reload()
    const form = await openEditForm(view, 'Support')
    await expect(form.getByLabel('Signature')).toHaveValue('Kind regards, Ada')
  }
  await theirContext.close()
})

test('an auto-acknowledgement turned off in one tab stays off when its text is saved in another', async ({
  page,
  context,
}) => {
  const path = await adminOn(page, 'Answer Co', 'mailboxes')
  const autoAck = (view: Page) =>
    view.locator('details').filter({ has: view.getByText(/^Auto-acknowledgement: (on|off)$/) })
  await autoAck(page).locator('summary').click()
  await autoAck(page).getByRole('checkbox').check()
  await autoAck(page).getByLabel('Text').fill('We got your message.')
  await autoAck(page).getByRole('button', { name: 'Save auto-acknowledgement' }).click()
  await expect(page.getByText('Auto-acknowledgement on.')).toBeVisible()

  const other = await secondTab(context, path)
  await openHydrated(page, path)
  // Turned off in the other tab.
  await autoAck(other).locator('summary').click()
  await autoAck(other).getByRole('checkbox').uncheck()
  await autoAck(other).getByRole('button', { name: 'Save auto-acknowledgement' }).click()
  await expect(other.getByText('Auto-acknowledgement off.')).toBeVisible()
  // This tab still shows it on and saves a new text: it stays off, with the new text.
  await autoAck(page).locator('summary').click()
  await expect(autoAck(page).getByRole('checkbox')).toBeChecked()
  await autoAck(page).getByLabel('Text').fill('We got your message and answer within a day.')
  await autoAck(page).getByRole('button', { name: 'Save auto-acknowledgement' }).click()
  await expect(page.getByText('Auto-acknowledgement off.')).toBeVisible()
  await expect(autoAck(page).locator('summary')).toHaveText('Auto-acknowledgement: off')
  // The form stays open, drawn again from what is stored.
  await expect(autoAck(page).getByRole('checkbox')).not.toBeChecked()
  await expect(autoAck(page).getByLabel('Text')).toHaveValue('We got your message and answer within a day.')
})

test('a canned response’s text fixed in one tab survives a rename saved in another', async ({
  page,
  context,
}) => {
  const path = await adminOn(page, 'Canned Co', 'canned-responses')
  const create = page.locator('form#new-canned-response')
  await create.getByLabel('Title').fill('Refund sent')
  await create.getByLabel('Response').fill('Hi {{customer.name}}, done.')
  await create.getByRole('button', { name: 'Create response' }).click()
  await expect(page.getByText('Canned response “Refund sent” created.')).toBeVisible()

  const other = await secondTab(context, path)
  const fixing = await openEditForm(other, 'Refund sent')
  await fixing.getByLabel('Response').fill('Hi {{customer.name}}, your refund is on its way.')
  await fixing.getByRole('button', { name: 'Save response' }).click()
  await expect(other.getByText('Canned response “Refund sent” saved.')).toBeVisible()

  // This tab still shows the old text; it renames the response.
  const renaming = await openEditForm(page, 'Refund sent')
  await renaming.getByLabel('Title').fill('Refund on its way')
  await renaming.getByRole('button', { name: 'Save response' }).click()
  await expect(page.getByText('Canned response “Refund on its way” saved.')).toBeVisible()
  await page.reload()
  const form = await openEditForm(page, 'Refund on its way')
  await expect(form.getByLabel('Response')).toHaveValue('Hi {{customer.name}}, your refund is on its way.')
})

test('an AI feature turned off in one tab stays off when a budget is saved in another', async ({
  page,
  context,
}) => {
  const path = await adminOn(page, 'AI Co', 'ai')
  const other = await secondTab(context, path)

  await other.getByLabel('Draft a reply').uncheck()
  await other.getByRole('button', { name: 'Save AI settings' }).click()
  await expect(other.getByText('AI settings saved.')).toBeVisible()
  await expect(other.getByLabel('Draft a reply')).not.toBeChecked()

  // This tab still shows drafting on; it sets a monthly budget.
  await expect(page.getByLabel('Draft a reply')).toBeChecked()
  await page.getByLabel('Monthly token budget').fill('50000')
  await page.getByRole('button', { name: 'Save AI settings' }).click()
  await expect(page.getByText('AI settings saved.')).toBeVisible()
  // Drawn again from what is stored: drafting off, the budget set; the same after a reload.
  await expect(page.getByLabel('Draft a reply')).not.toBeChecked()
  await expect(page.getByLabel('Monthly token budget')).toHaveValue('50000')
  await page.reload()
  await expect(page.getByLabel('Draft a reply')).not.toBeChecked()
  await expect(page.getByLabel('Monthly token budget')).toHaveValue('50000')
})

test('a webhook endpoint renamed in one tab keeps its name when notes are included in another', async ({
  page,
  context,
}) => {
  const path = await adminOn(page, 'Hook Co', 'webhooks')
  await page.getByLabel('URL').fill('https://hooks.example.com/in')
  await page.getByLabel('Description').fill('CRM')
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  await expect(page.getByText('Endpoint created.')).toBeVisible()
  const other = await secondTab(context, path)
  await openHydrated(page, path)
  const editForm = (view: Page) =>
    view.locator('details').filter({ has: view.getByText('Edit', { exact: true }) })

  await editForm(other).locator('summary').click()
  await editForm(other).getByLabel('Description').fill('CRM sync')
  await editForm(other).getByRole('button', { name: 'Save endpoint' }).click()
  await expect(other.getByText('Endpoint saved.')).toBeVisible()

  // This tab still shows "CRM"; it includes internal notes.
  await editForm(page).locator('summary').click()
  await expect(editForm(page).getByLabel('Description')).toHaveValue('CRM')
  await editForm(page).getByLabel('Include internal notes in message.created').check()
  await editForm(page).getByRole('button', { name: 'Save endpoint' }).click()
  await expect(page.getByText('Endpoint saved.')).toBeVisible()
  await page.reload()
  await editForm(page).locator('summary').click()
  await expect(editForm(page).getByLabel('Description')).toHaveValue('CRM sync')
  await expect(editForm(page).getByLabel('Include internal notes in message.created')).toBeChecked()
})

test('typing not yet saved in a mailbox form stays when the page reloads after another save', async ({
  page,
  context,
}) => {
  const path = await adminOn(page, 'Draft Co', 'mailboxes')
  const other = await secondTab(context, path)
  // This tab starts on the signature and has not saved it yet.
  const editing = await openEditForm(page, 'Support')
  await editing.getByLabel('Signature').fill('Best, the Draft Co team')

  // A teammate renames the mailbox and changes its signature.
  const theirs = await openEditForm(other, 'Support')
  await theirs.getByLabel('Name', { exact: true }).fill('Customer care')
  await theirs.getByLabel('Signature').fill('Cheers, support')
  await theirs.getByRole('button', { name: 'Save mailbox' }).click()
  await expect(other.getByText('Mailbox “Customer care” saved.')).toBeVisible()

  // Saving another form of this page reloads its data, with the teammate's save in it.
  const autoAck = page.locator('details').filter({ has: page.getByText(/^Auto-acknowledgement: (on|off)$/) })
  await autoAck.locator('summary').click()
  await autoAck.getByRole('checkbox').check()
  await autoAck.getByLabel('Text').fill('We got your message.')
  await autoAck.getByRole('button', { name: 'Save auto-acknowledgement' }).click()
  await expect(page.getByText('Auto-acknowledgement on.')).toBeVisible()

  // The edit form is still open with the signature typed here; the name it was not edited in
  // shows the teammate's; the notice names the field whose save this one will replace.
  const form = page.locator('details').filter({ has: page.getByText('Edit Customer care', { exact: true }) })
  await expect(form.getByLabel('Signature')).toBeVisible()
  await expect(form.getByLabel('Signature')).toHaveValue('Best, the Draft Co team')
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('Customer care')
  await expect(form.getByRole('status')).toHaveText(
    'A teammate saved Signature (now “Cheers, support”) while you were editing it here. Saving replaces it with what you typed; the other fields show what is saved.',
  )

  await form.getByRole('button', { name: 'Save mailbox' }).click()
  await expect(page.getByText('Mailbox “Customer care” saved.')).toBeVisible()
  await expect(form.getByRole('status')).toHaveCount(0)
  await page.reload()
  const saved = await openEditForm(page, 'Customer care')
  await expect(saved.getByLabel('Name', { exact: true })).toHaveValue('Customer care')
  await expect(saved.getByLabel('Signature')).toHaveValue('Best, the Draft Co team')
})

test('a webhook endpoint’s events being ticked here merge box by box with a teammate’s saved ones', async ({
  page,
  context,
}) => {
  const path = await adminOn(page, 'Merge Co', 'webhooks')
  const create = page.locator('section').filter({ has: page.getByRole('heading', { name: 'New endpoint' }) })
  await create.getByLabel('URL').fill('https://hooks.example.com/one')
  await create.getByRole('button', { name: 'Add endpoint' }).click()
  await expect(page.getByText('Endpoint created.')).toBeVisible()
  const other = await secondTab(context, path)
  await openHydrated(page, path)
  const editForm = (view: Page) =>
    view.locator('details').filter({ has: view.getByText('Edit', { exact: true }) })
  const box = (view: Page, event: string) =>
    editForm(view).getByRole('checkbox', { name: new RegExp(`^${event}`) })

  // This tab ticks ticket.updated and does not save yet.
  await editForm(page).locator('summary').click()
  await box(page, 'ticket\\.updated').check()
  // The teammate ticks message.created and describes the endpoint.
  await editForm(other).locator('summary').click()
  await box(other, 'message\\.created').check()
  await editForm(other).getByLabel('Description').fill('CRM sync')
  await editForm(other).getByRole('button', { name: 'Save endpoint' }).click()
  await expect(other.getByText('Endpoint saved.')).toBeVisible()

  // Another endpoint added here reloads the page's data.
  await create.getByLabel('URL').fill('https://hooks.example.com/two')
  await create.getByRole('button', { name: 'Add endpoint' }).click()
  await expect(page.getByText('Endpoint created.')).toBeVisible()

  const first = page.getByRole('article', { name: 'Endpoint CRM sync' }).locator('details')
  await expect(first.getByLabel('Description')).toHaveValue('CRM sync')
  for (const event of ['ticket\\.created', 'ticket\\.updated', 'message\\.created']) {
    await expect(first.getByRole('checkbox', { name: new RegExp(`^${event}`) })).toBeChecked()
  }
  await expect(first.getByRole('checkbox', { name: /^contact\.created/ })).not.toBeChecked()
  await expect(first.getByRole('status')).toHaveCount(0)
  await first.getByRole('button', { name: 'Save endpoint' }).click()
  await expect(page.getByText('Endpoint saved.')).toBeVisible()
  await page.reload()
  await expect(
    page
      .getByRole('article', { name: 'Endpoint CRM sync' })
      .getByText('ticket.created, ticket.updated, message.created'),
  ).toBeVisible()
})

test('a refused auto-acknowledgement save shows its message in its own form', async ({
  page,
  context,
  browser,
}) => {
  const path = await adminOn(page, 'Refusal Co', 'mailboxes')
  const autoAck = (view: Page) =>
    view.locator('details').filter({ has: view.getByText(/^Auto-acknowledgement: (on|off)$/) })
  await autoAck(page).locator('summary').click()
  await autoAck(page).getByLabel('Text').fill('Thanks, we will answer soon.')
  await autoAck(page).getByRole('button', { name: 'Save auto-acknowledgement' }).click()
  await expect(page.getByText('Auto-acknowledgement off.')).toBeVisible()

  // The same admin's page without JavaScript: drawn once, nothing reloads it.
  const plainContext = await browser.newContext({
    javaScriptEnabled: false,
    storageState: await context.storageState(),
  })
  const plain = await plainContext.newPage()
  await plain.goto(path)
  // A teammate turns it on; the plain page, still showing it off, empties the text.
  await autoAck(page).getByRole('checkbox').check()
  await autoAck(page).getByRole('button', { name: 'Save auto-acknowledgement' }).click()
  await expect(page.getByText('Auto-acknowledgement on.')).toBeVisible()
  await autoAck(plain).locator('summary').click()
  await autoAck(plain).getByLabel('Text').fill('')
  await autoAck(plain).getByRole('button', { name: 'Save auto-acknowledgement' }).click()
  await expect(
    autoAck(plain).getByText('A teammate turned it on meanwhile: write the text to send, or turn it off'),
  ).toBeVisible()
  await expect(autoAck(plain).getByLabel('Text')).toHaveAttribute('aria-invalid', 'true')
  await plainContext.close()
})

test('a role a teammate changed shows in the members list once the page reloads its data', async ({
  page,
  context,
  browser,
}) => {
  const { id, slug } = await adaOwns(page, 'Roles Co')
  const joined = await inviteTeammate(page, browser, slug, 'Tess Teammate', `tess-${id}@example.com`)
  await joined.context.close()
  const path = `/w/${slug}/settings/members`
  await openHydrated(page, path)
  const other = await secondTab(context, path)
  const role = (view: Page) => view.getByLabel('Role of Tess Teammate', { exact: true })
  await expect(role(page)).toHaveValue('agent')

  await role(other).selectOption('admin')
  await other.getByRole('button', { name: 'Save role of Tess Teammate' }).click()
  await expect(other.getByText('Role updated.')).toBeVisible()

  // Another invitation sent from this tab reloads its data: the select shows the teammate's change.
  await page.getByLabel('Email').fill(`ivo-${id}@example.com`)
  await page.getByRole('button', { name: 'Create invite link' }).click()
  await expect(page.getByLabel(/Invite link/)).toBeVisible()
  await expect(role(page)).toHaveValue('admin')
})

test('a customer renamed by a teammate shows in the name field once the customer page reloads', async ({
  page,
  context,
  browser,
}) => {
  const { id, slug } = await adaOwns(page, 'Names Co')
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Hello there',
    message: 'Just saying hi.',
  })
  await customer.context.close()
  await page.goto(`/w/${slug}/customers`)
  await page.getByRole('link', { name: 'Casey Customer' }).click()
  await expect(page.getByRole('heading', { name: 'Casey Customer' })).toBeVisible()
  const path = new URL(page.url()).pathname
  await openHydrated(page, path)
  const other = await secondTab(context, path)

  await other.getByLabel('Customer name').fill('Casey Jones')
  await other.getByRole('button', { name: 'Save name' }).click()
  await expect(other.getByRole('heading', { name: 'Casey Jones' })).toBeVisible()

  // This tab saves the customer's company: the page reloads its data and the name field, which
  // was not touched here, shows the teammate's name.
  await page.getByLabel('Company').fill('Jones & Co')
  await page.getByRole('button', { name: 'Save customer details' }).click()
  await expect(page.getByRole('heading', { name: 'Casey Jones' })).toBeVisible()
  await expect(page.getByLabel('Customer name')).toHaveValue('Casey Jones')
})

test('the account page keeps a signature being typed when another tab’s save reloads it, and shows that save', async ({
  page,
  context,
}) => {
  const { slug } = await adaOwns(page, 'Account Co')
  const path = `/w/${slug}/account`
  await openHydrated(page, path)
  const other = await secondTab(context, path)
  // This tab starts a signature; the other saves an undo-send delay and a signature of its own.
  await page.getByLabel('Your signature').fill('Ada, typing here')
  await other.getByLabel('Undo send').selectOption('10')
  await other.getByRole('button', { name: 'Save undo send' }).click()
  await expect(other.getByLabel('Undo send')).toHaveValue('10')
  await other.getByLabel('Your signature').fill('Ada, from the other tab')
  await other.getByRole('button', { name: 'Save signature' }).click()
  await expect(other.getByText('Signature saved.')).toBeVisible()

  // A save of this tab's own (email notifications) reloads its data.
  await page.getByRole('button', { name: 'Save email notifications' }).click()
  await expect(page.getByText('Email notifications saved.')).toBeVisible()
  await expect(page.getByLabel('Undo send')).toHaveValue('10')
  await expect(page.getByLabel('Your signature')).toHaveValue('Ada, typing here')
})

test('the workspace name follows a teammate’s rename when the page reloads its data, unless one is being typed', async ({
  page,
  context,
}) => {
  const { slug } = await adaOwns(page, 'Rename Co')
  const path = `/w/${slug}/settings`
  await openHydrated(page, path)
  const other = await secondTab(context, path)
  // What a reconnect or a live event does: the page reloads its data in place.
  const reloadData = (view: Page) =>
    view.evaluate(() =>
      (window as unknown as { __remixRouter: { revalidate(): Promise<void> } }).__remixRouter.revalidate(),
    )
  const rename = async (name: string) => {
    await other.getByLabel('Workspace name').fill(name)
    // Saved once the action has answered (its redirect), not when the field shows the typing.
    const saved = other.waitForResponse((r) => r.request().method() === 'POST' && r.status() < 400)
    await other.getByRole('button', { name: 'Save', exact: true }).click()
    await saved
  }

  await rename('Rename Company')
  await reloadData(page)
  await expect(page.getByLabel('Workspace name')).toHaveValue('Rename Company')

  // Now this admin is typing a name when the teammate renames it again: the typing stays, named.
  await page.getByLabel('Workspace name').fill('Rename & Sons')
  await rename('Rename Group')
  await reloadData(page)
  await expect(page.getByRole('status').filter({ hasText: 'A teammate saved' })).toHaveText(
    'A teammate saved the workspace name (now “Rename Group”) while you were editing it here. Saving replaces it with what you typed; the other fields show what is saved.',
  )
  await expect(page.getByLabel('Workspace name')).toHaveValue('Rename & Sons')
})
