import { expect, test, type Page } from '@playwright/test'
import { signUp, unique } from './helpers.ts'

/**
 * The signed-in agent's way to make tickets in `slug` without the inbox open: posts New ticket
 * (customer Cleo) once per subject. Returns a function that makes one more (a ticket arriving live).
 */
async function ticketMaker(page: Page, slug: string, id: string) {
  await page.goto(`/w/${slug}/tickets/new`)
  const mailboxId = await page.getByLabel('Mailbox').inputValue()
  const origin = new URL(page.url()).origin
  return async (subject: string) => {
    const response = await page.request.post(`/w/${slug}/tickets/new`, {
      headers: { origin },
      multipart: {
        customerEmail: `c-${id}@example.net`,
        customerName: 'Cleo',
        mailboxId,
        subject,
        body: 'Hi',
      },
      maxRedirects: 0,
    })
    expect(response.status(), await response.text()).toBeLessThan(400)
  }
}

// The queue's ticket links are plain anchors that QueueTable's tbody turns into client-side
// navigations (docs/performance.md, "Session 4: SSR inbox render").
test('a row opens its ticket without a page load, by click and by j then Enter, after a hydration without warnings', async ({
  page,
}) => {
  const warnings: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') warnings.push(message.text())
  })
  const id = unique()
  await signUp(page, 'Rowan Links', `links-${id}@example.com`, `Links ${id}`, `links-${id}`)
  const slug = `links-${id}`
  const newTicket = await ticketMaker(page, slug, id)
  for (const subject of ['Kettle whistles', 'Toaster sparks']) await newTicket(subject)
  const origin = new URL(page.url()).origin

  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('button', { name: 'Keyboard shortcuts' })).toBeVisible()
  // Hydrated: the select-all checkbox renders only on the client.
  await expect(page.getByRole('checkbox', { name: 'Select all tickets on this page' })).toBeVisible()
  // A marker on window survives client-side navigations only.
  await page.evaluate(() => Object.assign(window, { stillThisDocument: true }))

  await page.getByRole('link', { name: 'Toaster sparks' }).click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets/\\d+`))
  await expect(page.getByRole('heading', { name: 'Toaster sparks' })).toBeVisible()
  expect(await page.evaluate(() => 'stillThisDocument' in window)).toBe(true)

  await page.goBack()
  // Back on the inbox (not the ticket page still showing while the inbox's data loads).
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets$`))
  await expect(page.getByRole('heading', { name: 'Inbox', level: 1 })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Kettle whistles' })).toBeVisible()
  // The keyboard is back on the row of the ticket just left (queue-place.spec.ts).
  await expect(page.getByRole('link', { name: 'Toaster sparks' })).toBeFocused()
  // A teammate tags that ticket: the live change gives the row's subject cell new HTML (a new
  // link, row-html.ts), and the focus stays on the row's link, so Enter still opens it.
  const href = await page.getByRole('link', { name: 'Toaster sparks' }).getAttribute('href')
  const tagged = await page.request.post(href!.split(/[?#]/)[0]!, {
    headers: { origin },
    form: { intent: 'add-tag', name: 'sparks' },
    maxRedirects: 0,
  })
  expect(tagged.status()).toBeLessThan(400)
  await expect(page.getByRole('list', { name: 'Tags' }).getByText('sparks')).toBeVisible()
  await expect(page.getByRole('link', { name: 'Toaster sparks' })).toBeFocused()
  // x checks the active row for a bulk action; Space on its checkbox too; the focus stays put.
  const number = /tickets\/(\d+)/.exec(href!)![1]
  const box = page.getByRole('checkbox', { name: `Select ticket #${number}` })
  await page.keyboard.press('x')
  await expect(box).toBeChecked()
  await expect(page.getByText('1 selected')).toBeVisible()
  await expect(page.getByRole('link', { name: 'Toaster sparks' })).toBeFocused()
  await page.keyboard.press('x')
  await expect(box).not.toBeChecked()
  await page.keyboard.press('Shift+Tab')
  await expect(box).toBeFocused()
  await page.keyboard.press('Space')
  await expect(box).toBeChecked()
  await expect(box).toBeFocused()
  await page.keyboard.press('Tab')
  await expect(page.getByRole('link', { name: 'Toaster sparks' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Toaster sparks' })).toBeVisible()
  expect(await page.evaluate(() => 'stillThisDocument' in window)).toBe(true)

  expect(warnings.filter((text) => /hydrat|did not match|server rendered/i.test(text))).toEqual([])
})

test('j and k move on from the row they are on when a new ticket arrives above it', async ({ page }) => {
  const id = unique()
  const slug = `cursor-${id}`
  await signUp(page, 'Cora Cursor', `cursor-${id}@example.com`, `Cursor ${id}`, slug)
  const newTicket = await ticketMaker(page, slug, id)
  // Newest activity first: Third, Second, First.
  for (const subject of ['First ticket', 'Second ticket', 'Third ticket']) await newTicket(subject)
  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('checkbox', { name: 'Select all tickets on this page' })).toBeVisible()
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  await page.locator('body').press('j')
  await page.keyboard.press('j')
  await expect(page.getByRole('link', { name: 'Second ticket' })).toBeFocused()
  // A ticket arrives: a new top row, live.
  await newTicket('Just arrived')
  await expect(page.getByRole('link', { name: 'Just arrived' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Second ticket' })).toBeFocused()
  await page.keyboard.press('j')
  await expect(page.getByRole('link', { name: 'First ticket' })).toBeFocused()
  await page.keyboard.press('k')
  await expect(page.getByRole('link', { name: 'Second ticket' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Second ticket' })).toBeVisible()
})

// The workspace shell's and the queue's view links are PlainLinks (plain anchors that one document
// listener turns into client-side navigations), marked current as NavLink did.
test('the navigation and view links change page without a page load and keep aria-current', async ({
  page,
}) => {
  const id = unique()
  await signUp(page, 'Nia Nav', `nav-${id}@example.com`, `Nav ${id}`, `nav-${id}`)
  const slug = `nav-${id}`
  await page.goto(`/w/${slug}/tickets`)
  // Hydrated: the filters' "Apply filters" button is for pages without JavaScript only.
  await expect(page.getByRole('button', { name: 'Apply filters' })).toHaveCount(0)
  await page.evaluate(() => Object.assign(window, { stillThisDocument: true }))
  const main = page.getByRole('navigation', { name: 'Main' })
  await expect(main.getByRole('link', { name: 'Inbox' })).toHaveAttribute('aria-current', 'page')

  await main.getByRole('link', { name: 'Home' }).click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}$`))
  await expect(page.getByRole('heading', { name: /^Welcome/ })).toBeVisible()
  await expect(main.getByRole('link', { name: 'Home' })).toHaveAttribute('aria-current', 'page')
  await expect(main.getByRole('link', { name: 'Inbox' })).not.toHaveAttribute('aria-current', 'page')

  await main.getByRole('link', { name: 'Inbox' }).click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets$`))
  await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible()
  await expect(main.getByRole('link', { name: 'Home' })).not.toHaveAttribute('aria-current', 'page')

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Pending' }).click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets\\?view=pending$`))
  await expect(
    page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Pending' }),
  ).toHaveAttribute('aria-current', 'page')

  await main.getByRole('link', { name: /^Mine/ }).click()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets\\?view=mine$`))
  await expect(main.getByRole('link', { name: /^Mine/ })).toHaveAttribute('aria-current', 'page')
  expect(await page.evaluate(() => 'stillThisDocument' in window)).toBe(true)

  await page.goBack()
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets\\?view=pending$`))
  expect(await page.evaluate(() => 'stillThisDocument' in window)).toBe(true)
})

test('focus stays in the page: a ticket opened from the keyboard, Esc in the composer, a closed dialog', async ({
  page,
}) => {
  const id = unique()
  const slug = `focus-${id}`
  await signUp(page, 'Fay Focus', `focus-${id}@example.com`, `Focus ${id}`, slug)
  await (
    await ticketMaker(page, slug, id)
  )('Focus me')
  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('checkbox', { name: 'Select all tickets on this page' })).toBeVisible()
  const main = page.locator('main#main-content')
  // Enter on the row: the ticket page opens and focus is at its main region, not <body>.
  await page.locator('body').press('j')
  await expect(page.getByRole('link', { name: 'Focus me' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Focus me' })).toBeVisible()
  await expect(main).toBeFocused()
  // Esc leaves the composer for the page, and r comes back to it.
  await page.keyboard.press('r')
  const composer = page.getByLabel(/Reply to Cleo/)
  await expect(composer).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(main).toBeFocused()
  // The shortcuts list, opened from the page, gives focus back to it; the palette, opened with
  // its button, to the button.
  await page.keyboard.press('?')
  const shortcuts = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(shortcuts).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(shortcuts).toHaveCount(0)
  await expect(main).toBeFocused()
  const jump = page.getByRole('button', { name: /Jump to/ })
  await jump.click()
  const palette = page.getByRole('dialog', { name: 'Jump to…' })
  await expect(palette).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(palette).toHaveCount(0)
  await expect(jump).toBeFocused()
})

test('the palette takes a ticket number as a ticket to open, never as a tag to add', async ({ page }) => {
  const id = unique()
  const slug = `number-${id}`
  await signUp(page, 'Nia Number', `number-${id}@example.com`, `Number ${id}`, slug)
  const make = await ticketMaker(page, slug, id)
  await make('First question')
  await make('Second question')
  await page.goto(`/w/${slug}/tickets/2`)
  await expect(page.getByRole('heading', { name: 'Second question' })).toBeVisible()
  await page.getByRole('button', { name: /Jump to/ }).click()
  const palette = page.getByRole('dialog', { name: 'Jump to…' })
  const input = palette.getByRole('combobox')
  for (const typed of ['#1', '1']) {
    await input.fill(typed)
    await expect(palette.getByRole('option', { name: /#1 First question/ })).toBeVisible()
    await expect(palette.getByRole('option', { name: /Add tag/ })).toHaveCount(0)
  }
  // A number the workspace has no ticket for opens the inbox's jump, which says so. Offered at
  // once, it stays where it is when the search answers: the palette grows downwards from a fixed
  // top. Centred, the answer (the last search's "#1 First question" gone) moved it by half a row,
  // and a click already on its way could miss it (the likely cause of a CI failure here that
  // passed on its retry). The search is held so its answer lands between two reads of the place.
  let answer!: () => void
  const answered = new Promise<void>((resolve) => (answer = resolve))
  await page.route(/\/palette\?q=%2399$/, async (route) => {
    await answered
    await route.continue()
  })
  await input.fill('#99')
  await expect(palette.getByRole('option', { name: /Add tag/ })).toHaveCount(0)
  const open = palette.getByRole('option', { name: 'Open ticket #99' })
  await expect(open).toBeVisible()
  await expect(palette.getByRole('listbox', { name: 'Results' })).toHaveAttribute('aria-busy', 'true')
  const offered = await open.boundingBox()
  answer()
  await expect(palette.getByRole('option', { name: /First question/ })).toHaveCount(0)
  expect(await open.boundingBox()).toEqual(offered)
  await open.click()
  await expect(page.getByText('There is no ticket #99 in this workspace.')).toBeVisible()
  // Words are still a tag to add.
  await page.goto(`/w/${slug}/tickets/2`)
  await page.getByRole('button', { name: /Jump to/ }).click()
  await page.getByRole('dialog', { name: 'Jump to…' }).getByRole('combobox').fill('refund')
  await expect(page.getByRole('option', { name: 'Add tag “refund”' })).toBeVisible()
})
