import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { AxeChecker } from './axe.ts'
import { ownAddress, signUp, submitSupportForm, unique } from './helpers.ts'

/**
 * axe-core on every page of the walkthroughs, in light and dark mode, at 1440 and 390 px wide.
 * Each page is loaded once and checked in the four modes (media emulation and the viewport change
 * without a reload, as a person's browser would). Two modes run every rule (light at 1440 px,
 * dark at 390 px: each colour scheme and each width once in full); the other two run the rule
 * that depends on both, colour contrast, which keeps the suite's time in budget. Any violation
 * fails the test, listed with the page, the mode, the rule and the offending elements.
 */
const modes = [
  { colorScheme: 'light', width: 1440, height: 900, rules: 'all' },
  { colorScheme: 'dark', width: 390, height: 844, rules: 'all' },
  { colorScheme: 'dark', width: 1440, height: 900, rules: ['color-contrast'] },
  { colorScheme: 'light', width: 390, height: 844, rules: ['color-contrast'] },
] as const

type Finding = { page: string; mode: string; rule: string; help: string; targets: string[] }

const checkers = new WeakMap<BrowserContext, AxeChecker>()

async function audit(page: Page, label: string, findings: Finding[]) {
  const context = page.context()
  const checker = checkers.get(context) ?? new AxeChecker(context)
  checkers.set(context, checker)
  for (const mode of modes) {
    await page.emulateMedia({ colorScheme: mode.colorScheme })
    await page.setViewportSize({ width: mode.width, height: mode.height })
    const result = await checker.analyze(page, mode.rules === 'all' ? undefined : mode.rules)
    for (const violation of result.violations) {
      findings.push({
        page: label,
        mode: `${mode.colorScheme} ${mode.width}px`,
        rule: violation.id,
        help: violation.help,
        targets: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
      })
      if (process.env.A11Y_LOG) console.log(report(findings.slice(-1)))
    }
  }
}

function report(findings: Finding[]) {
  return findings
    .map((f) => `${f.page} [${f.mode}] ${f.rule}: ${f.help}\n    ${f.targets.join('\n    ')}`)
    .join('\n')
}

test('no accessibility violations on the walkthrough pages, light and dark, 1440 and 390 px', async ({
  page,
  browser,
}) => {
  // 27 pages × 4 modes of axe: about 1.4 min on the slow 2-core machine of 2026-12-02 (session 8).
  // The limit catches a hang, not slowness.
  test.setTimeout(Number(process.env.A11Y_TIMEOUT ?? 480_000))
  const findings: Finding[] = []
  const id = unique()
  const slug = `a11y-${id}`

  // Signed out.
  await ownAddress(page)
  for (const path of ['/login', '/signup', '/forgot-password']) {
    await page.goto(path)
    await audit(page, path, findings)
  }

  // The customer's side: the support form, then the private conversation link.
  await signUp(page, 'Ada Access', `ada-${id}@example.com`, 'Access Co', slug)
  const customer = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Screen reader trouble',
    message: 'The order page does not announce the total.',
  })
  await audit(customer.page, '/support/<slug> (sent)', findings)
  await customer.page.goto(`/support/${slug}`)
  await audit(customer.page, '/support/<slug>', findings)
  await customer.context.close()

  // The agent's side, with a ticket, a reply and a customer.
  const pages = [
    `/w/${slug}`,
    `/w/${slug}/tickets`,
    `/w/${slug}/tickets/new`,
    `/w/${slug}/customers`,
    `/w/${slug}/notifications`,
    `/w/${slug}/account`,
    `/w/${slug}/settings`,
    `/w/${slug}/settings/members`,
    `/w/${slug}/settings/mailboxes`,
    `/w/${slug}/settings/canned-responses`,
    `/w/${slug}/settings/api-tokens`,
    `/w/${slug}/settings/webhooks`,
    `/w/${slug}/settings/ai`,
    `/workspaces/new`,
    '/dev/emails',
  ]
  await page.goto(`/w/${slug}/tickets/1`)
  await page.getByLabel(/Reply to Casey Customer/).fill('We are on it.')
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  await expect(page.getByRole('list', { name: 'Conversation' }).getByText('We are on it.')).toBeVisible()
  await audit(page, '/w/<slug>/tickets/1', findings)
  const customerLink = page.getByRole('link', { name: 'Casey Customer' }).first()
  const customerPath = await customerLink.getAttribute('href')
  if (customerPath) pages.push(customerPath)

  for (const path of pages) {
    await page.goto(path)
    await audit(page, path.replace(slug, '<slug>'), findings)
  }

  // The inbox's transient states: a ticket selected (the bulk toolbar), the toast after a bulk
  // action, and the command palette open over the page.
  await page.goto(`/w/${slug}/tickets`)
  await page.getByRole('checkbox', { name: 'Select ticket #1' }).check()
  const bulkBar = page.getByRole('form', { name: 'Bulk actions on selected tickets' })
  await expect(bulkBar).toBeVisible()
  await audit(page, '/w/<slug>/tickets (a ticket selected)', findings)
  await page.setViewportSize({ width: 1440, height: 900 })
  await bulkBar.getByLabel('Status').selectOption('pending')
  await bulkBar.getByRole('button', { name: 'Set status' }).click()
  await expect(page.getByRole('status').filter({ hasText: '1 ticket set to Pending' })).toBeVisible()
  await audit(page, '/w/<slug>/tickets (bulk action toast)', findings)
  await page.keyboard.press('Control+K')
  await page.getByRole('combobox', { name: 'Search tickets, customers, views and actions' }).fill('screen')
  await expect(page.getByRole('option', { name: /#1 Screen reader trouble/ })).toBeVisible()
  await audit(page, 'command palette (Ctrl+K)', findings)
  await page.keyboard.press('Escape')

  // The customer's private link, from the confirmation email in the local outbox.
  await page.goto('/dev/emails')
  await page
    .getByRole('link', { name: /Screen reader trouble/ })
    .first()
    .click()
  await audit(page, '/dev/emails/<id>', findings)
  const text = await page.locator('body').innerText()
  const link = /https?:\/\/\S+(\/support\/t\/[A-Za-z0-9_-]+)/.exec(text)?.[1]
  expect(link, 'a private conversation link in the confirmation email').toBeTruthy()
  const visitor = await browser.newContext()
  const customerPage = await visitor.newPage()
  await customerPage.goto(link!)
  await audit(customerPage, '/support/t/<token>', findings)
  await visitor.close()

  expect(findings, report(findings)).toEqual([])
})

test('the checker reports what axe finds, in the page and in its frames, for every rule or one', async ({
  page,
}) => {
  await page.setContent(
    `<!doctype html><html lang="en"><head><title>Checker</title></head><body><main>
      <h1>Checker</h1>
      <p style="color:#777;background:#888">Faint text</p>
      <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
      <iframe title="Inner" srcdoc="<!doctype html><html lang=en><title>Inner</title><img id=inner src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>"></iframe>
      <iframe title="Sandboxed" sandbox="" srcdoc="<p>No scripts here</p>"></iframe>
    </main></body></html>`,
  )
  await expect.poll(() => page.frames().length).toBe(3)
  const checker = new AxeChecker(page.context())
  const all = await checker.analyze(page)
  const ids = all.violations.map((v) => v.id)
  expect(ids).toContain('color-contrast')
  expect(ids).toContain('image-alt')
  const images = all.violations.find((v) => v.id === 'image-alt')!.nodes.map((n) => n.target.join(' '))
  // One in the page, one inside the frame (its target goes through the iframe).
  expect(images).toHaveLength(2)
  expect(images.some((t) => t.includes('#inner'))).toBe(true)
  const contrast = await checker.analyze(page, ['color-contrast'])
  expect(contrast.violations.map((v) => v.id)).toEqual(['color-contrast'])
  await checker.close()
})
