import { expect, test, type Page } from '@playwright/test'
import { signUp, submitSupportForm, unique } from './helpers.ts'

/** A workspace with one ticket from a customer; returns its slug and the ticket's URL. */
async function workspaceWithTicket(
  page: Page,
  browser: Parameters<typeof submitSupportForm>[0],
  subject: string,
) {
  const id = unique()
  const slug = `ws-${id}`
  await signUp(page, 'Wren Worker', `wren-${id}@example.com`, 'Workspace Co', slug)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject,
    message: 'Something went wrong with my order.',
  })
  await customer.context.close()
  await page.goto(`/w/${slug}/tickets`)
  await page.getByRole('link', { name: subject }).click()
  await expect(page.getByRole('heading', { name: subject })).toBeVisible()
  return { slug, ticketUrl: new URL(page.url()).pathname }
}

const composer = (page: Page) => page.getByLabel(/Reply to Casey Customer/)
const conversation = (page: Page) => page.getByRole('list', { name: 'Conversation' })

test('a send with the network cut keeps the text and succeeds on Retry', async ({ page, browser }) => {
  await workspaceWithTicket(page, browser, 'Network trouble')
  await composer(page).fill('This text must survive a failed send.')
  const cut = /\/tickets\/\d+\.data/
  await page.route(cut, (route) =>
    route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.continue(),
  )
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(page.getByRole('alert').filter({ hasText: /Couldn.t send/ })).toBeVisible()
  await expect(composer(page)).toHaveValue('This text must survive a failed send.')
  await expect(page.getByRole('heading', { name: 'Network trouble' })).toBeVisible()

  await page.unroute(cut)
  await page.getByRole('button', { name: 'Retry' }).click()
  await expect(conversation(page).getByText('This text must survive a failed send.')).toBeVisible()
  await expect(composer(page)).toHaveValue('')
})

test('a draft survives navigation and a reload, and shows in the queue', async ({ page, browser }) => {
  const { slug, ticketUrl } = await workspaceWithTicket(page, browser, 'Draft keeper')
  // Left through an in-app link before the 1 s autosave: the composer saves as it goes away.
  const saved = page.waitForResponse((r) => r.url().endsWith('/draft') && r.status() === 204, {
    timeout: 10_000,
  })
  await composer(page).fill('Half-written answer')
  await composer(page).press('Escape')
  await page.getByRole('link', { name: 'Inbox', exact: true }).first().click()
  await saved

  await page.reload()
  const row = page.getByRole('row').filter({ hasText: 'Draft keeper' })
  await expect(row.getByText('Draft', { exact: true })).toBeVisible()
  await row.getByRole('link', { name: 'Draft keeper' }).click()
  await expect(composer(page)).toHaveValue('Half-written answer')
  await page.reload()
  await expect(composer(page)).toHaveValue('Half-written answer')

  // A second tab takes the draft, empties it and adds a note at once (which deletes the saved
  // draft): this tab still shows its text, so it saves it again.
  const other = await page.context().newPage()
  await other.goto(ticketUrl)
  await expect(composer(other)).toHaveValue('Half-written answer')
  // Hydrated before the radio is clicked (a click on the server-rendered page did not stick).
  await expect(other.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  const savedAgain = page.waitForResponse((r) => r.url().endsWith('/draft') && r.status() === 204, {
    timeout: 10_000,
  })
  await other.getByRole('radio', { name: 'Internal note' }).check({ force: true })
  await other.getByLabel(/Internal note \(only your team/).fill('Checked the order myself.')
  await other.getByRole('button', { name: 'Add note', exact: true }).click()
  await expect(conversation(other).getByText('Checked the order myself.')).toBeVisible()
  await savedAgain
  await other.close()
  await page.reload()
  await expect(composer(page)).toHaveValue('Half-written answer')

  // Sent: the draft is gone, from the queue too.
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(conversation(page).getByText('Half-written answer')).toBeVisible()
  await page.goto(`/w/${slug}/tickets`)
  await expect(
    page.getByRole('row').filter({ hasText: 'Draft keeper' }).getByText('Draft', { exact: true }),
  ).toHaveCount(0)
  await page.goto(ticketUrl)
  await expect(composer(page)).toHaveValue('')
})

test('undo send puts the reply back in the composer; without undo it stays sent', async ({
  page,
  browser,
}) => {
  const { ticketUrl } = await workspaceWithTicket(page, browser, 'Second thoughts')
  // A second tab on the ticket, live (see the end).
  const other = await page.context().newPage()
  await other.goto(ticketUrl)
  await expect(other.getByRole('status').filter({ hasText: 'Live' })).toBeVisible()
  const ticketStatus = page.getByRole('combobox', { name: 'Status', exact: true })
  await expect(ticketStatus).toHaveValue('open')
  await composer(page).fill('Wait, I did not mean that.')
  await page.getByLabel('CC', { exact: true }).fill('boss@example.com')
  await page.getByLabel('BCC', { exact: true }).fill('audit@example.com')
  await page.getByLabel('Attachments').setInputFiles({
    name: 'invoice.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('Invoice 1042'),
  })
  await page.getByLabel('Then set status').selectOption('pending')
  await page.getByRole('button', { name: 'Send reply & set pending', exact: true }).click()
  await expect(page.getByText(/Sending in \d+ s/)).toBeVisible()
  await expect(ticketStatus).toHaveValue('pending')
  // Undo puts the whole reply back, and the ticket's status as it was.
  await page.getByRole('button', { name: 'Undo' }).click()
  await expect(composer(page)).toHaveValue('Wait, I did not mean that.')
  await expect(page.getByLabel('CC', { exact: true })).toHaveValue('boss@example.com')
  await expect(page.getByLabel('BCC', { exact: true })).toHaveValue('audit@example.com')
  await expect(page.getByLabel('Then set status')).toHaveValue('pending')
  await expect(page.getByRole('checkbox', { name: /invoice\.txt/ })).toBeChecked()
  await expect(ticketStatus).toHaveValue('open')
  await expect(conversation(page).getByText('Wait, I did not mean that.')).toHaveCount(0)

  // Sent for good, with the kept file.
  await composer(page).fill('This one is fine.')
  await page.getByLabel('Then set status').selectOption('')
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(page.getByText(/Sending in \d+ s/)).toBeVisible()
  await expect(page.getByText(/Sending in \d+ s/)).toHaveCount(0, { timeout: 15_000 })
  await page.reload()
  await expect(conversation(page).getByText('This one is fine.')).toBeVisible()
  await expect(conversation(page).getByRole('link', { name: /invoice\.txt/ })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Undo' })).toHaveCount(0)
  // Sent and undone once more, with no status change: the second tab learns of the send
  // (draft.cleared) but nothing tells it of the Undo, whose restore advances the draft's
  // generation past the one it holds. Typing there: its save is refused as older, and it saves
  // again under the server's generation (the other tab's text wins, as after a send).
  await composer(page).fill('One more thought.')
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(page.getByText(/Sending in \d+ s/)).toBeVisible()
  await page.getByRole('button', { name: 'Undo' }).click()
  await expect(composer(page)).toHaveValue('One more thought.')
  const keptThere = other.waitForResponse((r) => r.url().endsWith('/draft') && r.status() === 204, {
    timeout: 15_000,
  })
  await composer(other).fill('Typed in the second tab.')
  await keptThere
  await other.reload()
  await expect(composer(other)).toHaveValue('Typed in the second tab.')
  await other.close()
})

test('at 390 px nothing scrolls sideways: inbox, ticket, settings; the navigation is a drawer', async ({
  page,
  browser,
}) => {
  const { slug, ticketUrl } = await workspaceWithTicket(
    page,
    browser,
    'A rather long subject line that would not fit on a phone at all',
  )
  await page.getByLabel('Add a tag').fill('billing')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await expect(page.getByRole('button', { name: 'Remove tag billing' })).toBeVisible()
  await page.setViewportSize({ width: 390, height: 844 })
  const noSideways = async () =>
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    ).toBeLessThanOrEqual(0)
  // The search boxes are at their narrowest here; a placeholder must not be cut: the top bar's,
  // even next to the live indicator's longest label (measured with it shown, then put back), and
  // the inbox's own.
  const placeholderFits = (selector: string) =>
    page.locator(selector).evaluate((input: HTMLInputElement) => {
      const status = document.querySelector('[data-live-state] [role="status"]')
      const label = status?.textContent
      if (status) status.textContent = 'Reconnecting…'
      const style = getComputedStyle(input)
      const context = document.createElement('canvas').getContext('2d')
      if (!context) throw new Error('No canvas')
      context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      if (status) status.textContent = label ?? ''
      return { placeholder: input.placeholder, width: context.measureText(input.placeholder).width, room }
    })

  for (const path of [
    `/w/${slug}/tickets`,
    ticketUrl,
    `/w/${slug}/settings`,
    `/w/${slug}/settings/members`,
    `/w/${slug}/settings/mailboxes`,
    `/w/${slug}/customers`,
  ]) {
    await page.goto(path)
    await noSideways()
    const searches = path === `/w/${slug}/tickets` ? ['#top-search', '#queue-search'] : ['#top-search']
    for (const selector of searches) {
      const search = await placeholderFits(selector)
      expect(
        search.width,
        `${path} ${selector}: "${search.placeholder}" in ${search.room} px`,
      ).toBeLessThanOrEqual(search.room)
    }
  }

  // The settings tabs keep their width (the row scrolls) instead of being squeezed over each
  // other; table columns keep a gap (a name ran into its email).
  await page.goto(`/w/${slug}/settings/members`)
  const tabs = await page
    .getByRole('navigation', { name: 'Settings' })
    .getByRole('link')
    .evaluateAll((links) =>
      links.map((link) => {
        const text = document.createRange()
        text.selectNodeContents(link)
        const box = link.getBoundingClientRect()
        return {
          name: link.textContent,
          left: box.left,
          right: box.right,
          textWidth: text.getBoundingClientRect().width,
        }
      }),
    )
  for (const [i, tab] of tabs.entries()) {
    expect(tab.textWidth, `${tab.name} fits its tab`).toBeLessThanOrEqual(tab.right - tab.left + 0.5)
    if (i > 0)
      expect(tab.left, `${tab.name} after ${tabs[i - 1]!.name}`).toBeGreaterThanOrEqual(tabs[i - 1]!.right)
  }
  const gaps = await page
    .locator('main table tbody tr')
    .first()
    .evaluate((row) => {
      const textBox = (cell: Element) => {
        const range = document.createRange()
        range.selectNodeContents(cell)
        return range.getBoundingClientRect()
      }
      const [name, email] = [...row.querySelectorAll('td')]
      return textBox(email!).left - textBox(name!).right
    })
  expect(gaps).toBeGreaterThanOrEqual(8)

  // The navigation is hidden in a drawer that the top bar opens.
  const nav = page.getByRole('navigation', { name: 'Main' })
  await expect(nav).not.toBeInViewport()
  await page.locator('label[for="nav-drawer"]').first().click()
  await expect(nav).toBeInViewport()
  await nav.getByRole('link', { name: 'Settings' }).click()
  await expect(page).toHaveURL(`/w/${slug}/settings`)
  await expect(nav).not.toBeInViewport()
  // Closed, its links are out of the Tab order and the accessibility tree, not just off screen.
  await expect(nav.getByRole('link', { name: 'Settings' })).toBeHidden()

  // A tap anywhere on a row opens its ticket, not only on its subject; the checkbox still ticks.
  await page.goto(`/w/${slug}/tickets`)
  const firstRow = page.locator('tr.queue-row').first()
  const box = page.locator('input[name="ticketIds"]').first()
  const boxSize = await box.boundingBox()
  expect(boxSize?.width).toBeGreaterThanOrEqual(24)
  await box.click()
  await expect(box).toBeChecked()
  await box.click()
  const rowBox = (await firstRow.boundingBox())!
  await page.mouse.click(rowBox.x + rowBox.width - 20, rowBox.y + rowBox.height - 6)
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/tickets/\\d+`))

  // The ticket page: fields in a sheet, the composer one tap away.
  await page.goto(ticketUrl)
  await expect(page.getByRole('region', { name: 'Ticket properties' }).getByLabel('Status')).toBeHidden()
  await page.getByText(/^Ticket fields/).click()
  await expect(page.getByRole('region', { name: 'Ticket properties' }).getByLabel('Status')).toBeVisible()

  // The floating Reply button covers no control of the ticket fields, wherever they are scrolled.
  const replyJump = page.getByRole('link', { name: 'Reply', exact: true })
  const controlsUnderReply = () =>
    replyJump.evaluate((jump) => {
      const box = jump.getBoundingClientRect()
      const controls = document.querySelectorAll<HTMLElement>(
        'a[href], button, input, select, textarea, summary',
      )
      return [...controls]
        .filter((control) => control !== jump && control.checkVisibility({ visibilityProperty: true }))
        .filter((control) => {
          const r = control.getBoundingClientRect()
          // Visually hidden controls (sr-only: 1 × 1 px, clipped) are not drawn.
          if (r.width <= 1 || r.height <= 1 || r.bottom <= 0 || r.top >= innerHeight) return false
          return r.left < box.right && box.left < r.right && r.top < box.bottom && box.top < r.bottom
        })
        .map((control) => control.getAttribute('aria-label') ?? control.id ?? control.tagName)
    })
  // The Assignee at the foot of the screen: the button, resting in its row above the composer, is
  // on screen with it (scrolled into view "if needed", the select was centred, and whether the
  // button was still on screen then hung on the thread's height: a line more in a message header
  // put it out of view).
  await page.getByLabel('Assignee').evaluate((select) => select.scrollIntoView({ block: 'end' }))
  await expect(page.getByLabel('Assignee')).toBeInViewport()
  await expect(replyJump).toBeInViewport()
  expect(await controlsUnderReply()).toEqual([])
  for (const block of ['start', 'center', 'end'] as const) {
    await page.getByLabel('Assignee').evaluate((select, block) => select.scrollIntoView({ block }), block)
    expect(await controlsUnderReply(), `Assignee scrolled to the ${block}`).toEqual([])
  }
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
  expect(await controlsUnderReply()).toEqual([])
  // Targets are at least 24 × 24 px (WCAG 2.5.8), the tag's × included.
  const removeTag = await page.getByRole('button', { name: 'Remove tag billing' }).boundingBox()
  expect(removeTag?.width).toBeGreaterThanOrEqual(24)
  expect(removeTag?.height).toBeGreaterThanOrEqual(24)

  await replyJump.click()
  await expect(composer(page)).toBeFocused()

  // The inbox's row: its tags yield their room to the subject and never run into the next
  // column; the sort menu's own label is not cut.
  for (const tag of ['integration', 'churn-risk']) {
    await page.getByLabel('Add a tag').fill(tag)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await expect(page.getByRole('button', { name: `Remove tag ${tag}` })).toBeVisible()
  }
  await page.goto(`/w/${slug}/tickets`)
  const row = await page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: /A rather long subject/ }) })
    .evaluate((tr) => {
      const cell = tr.querySelector('.queue-line')!.closest('td')!.getBoundingClientRect()
      const subject = tr.querySelector('.queue-subject')!.getBoundingClientRect()
      // What is drawn of each part of the line: a tag chip is clipped to its list (a chip with no
      // room wraps onto the list's hidden second line, or is cut off at its end).
      const overflowing = [...tr.querySelectorAll('.queue-line > *, .queue-tags > li')]
        .map((element) => {
          const box = element.getBoundingClientRect()
          const list = element.parentElement?.classList.contains('queue-tags')
            ? element.parentElement.getBoundingClientRect()
            : null
          const left = list ? Math.max(box.left, list.left) : box.left
          const right = list ? Math.min(box.right, list.right) : box.right
          const drawn = right > left && (!list || box.top < list.bottom)
          return { text: element.textContent, drawn, right }
        })
        .filter(({ drawn, right }) => drawn && right > cell.right + 0.5)
        .map(({ text }) => text)
      return { cellWidth: cell.width, subjectWidth: subject.width, overflowing }
    })
  expect(row.overflowing).toEqual([])
  expect(row.subjectWidth).toBeGreaterThanOrEqual(row.cellWidth * 0.5)
  // A select is as wide as its longest option unless something caps it: its width with no cap
  // at all is what its label needs.
  const sort = await page.getByLabel('Sort by').evaluate((select: HTMLSelectElement) => {
    const shown = select.getBoundingClientRect().width
    const cap = select.style.maxWidth
    select.style.maxWidth = 'none'
    const needed = select.getBoundingClientRect().width
    select.style.maxWidth = cap
    return { shown, needed }
  })
  expect(sort.shown).toBeGreaterThanOrEqual(sort.needed)
})
