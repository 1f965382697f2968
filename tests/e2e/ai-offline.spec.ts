import { expect, test } from '@playwright/test'
import {
  noteFromElsewhere,
  signUp,
  submitSupportForm,
  unique,
  waitForHydration,
  withFakeOpenAI,
} from './helpers.ts'

// Summarize offline, in the e2e project with the other specs: it measures nothing, so it does not
// wait in ai.spec.ts, which runs alone before them (the timed project) for its first-token p95.
// The e2e server's OPENAI_BASE_URL (playwright.config.ts) points at this fake, run by the spec
// once ai.spec.ts has stopped its own.
const fake = withFakeOpenAI()

test('Summarize offline says it was not saved and keeps the page and the reply typed; back online it summarizes', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `ai-offline-${id}`
  await signUp(page, 'Ada Agent', `ada-${id}@example.com`, 'AI Offline Co', slug)
  const { context } = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Toaster arrived broken',
    message: 'The toaster arrived with a cracked lid.',
  })
  await context.close()
  await page.goto(`/w/${slug}/tickets/1`)
  // A summary is offered past 4 messages: four notes, posted as a teammate would.
  for (let i = 1; i <= 4; i++) await noteFromElsewhere(page, `Checked the courier, step ${i}.`)
  await page.reload()
  const summarize = page.getByRole('button', { name: 'Summarize' })
  await waitForHydration(page, 'section[aria-labelledby="ai-summary-heading"] button[type="submit"]')
  const body = page.getByLabel(/Reply to Casey Customer/)
  await body.click()
  await body.fill('Typed before the connection went.')
  await summarize.hover()

  await page.context().setOffline(true)
  await summarize.click()
  await expect(
    page
      .getByRole('region', { name: 'Summary' })
      .getByText('Not saved: Switchboard could not be reached. Try again.'),
  ).toBeVisible()
  await expect(body).toHaveValue('Typed before the connection went.')
  await expect(page).toHaveURL(`/w/${slug}/tickets/1`)
  await expect(page.getByRole('heading', { name: /You are offline|could not be reached/ })).toHaveCount(0)

  await page.context().setOffline(false)
  fake.respond = () => ({
    content: JSON.stringify({
      bullets: [
        { kind: 'issue', text: 'The lid arrived cracked' },
        { kind: 'tried', text: 'The courier was checked four times' },
        { kind: 'pending', text: 'A replacement toaster' },
      ],
    }),
  })
  // A reload of the page that starts while the summary is being made and ends before it (under
  // load, the one after the live connection came back; here a teammate's note's) used to leave
  // "No summary yet.": React Router drops a fetcher's redirect when a reload began after its post.
  let release = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  await page.route('**/ai/summary.data', async (route) => {
    await held
    await route.continue()
  })
  await summarize.click()
  await noteFromElsewhere(page, 'Asked the customer for a photo.')
  await expect(page.getByText('Asked the customer for a photo.')).toBeVisible()
  release()
  await expect(page.getByText('The lid arrived cracked')).toBeVisible()
  await expect(page.getByRole('region', { name: 'Summary' }).getByText(/Not saved/)).toHaveCount(0)
  await expect(body).toHaveValue('Typed before the connection went.')
})
