import { expect, test } from '@playwright/test'
import { signUp, submitSupportForm, unique, waitForHydration, withFakeOpenAI } from './helpers.ts'

// The e2e server's OPENAI_BASE_URL (playwright.config.ts) points at this fake, run by the spec.
const fake = withFakeOpenAI()

test('Draft reply streams into the composer token by token, can be cancelled, and Rewrite previews', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `ai-${id}`
  await signUp(page, 'Ada Agent', `ada-${id}@example.com`, 'AI Co', slug)
  const { context } = await submitSupportForm(browser, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Kettle not delivered',
    message: 'My kettle was not delivered.',
  })
  await context.close()
  await page.goto(`/w/${slug}/tickets/1`)
  const body = page.getByLabel(/Reply to Casey Customer/)

  // Streaming: the first words appear while the rest is still coming, and the agent can type.
  fake.respond = () => ({ content: 'Hello Casey, your kettle is on its way today.', chunkDelayMs: 60 })
  const samples: number[] = []
  // The composer is a compact bar until focused; its tools (AI included) open with it.
  await body.click()
  // Every value the composer shows, sampled each frame in the page: on a loaded machine the test's
  // own polling can miss the partial text between two looks, the page's frames do not.
  await body.evaluate((el: HTMLTextAreaElement) => {
    const seen: string[] = []
    ;(window as unknown as { composerValues: string[] }).composerValues = seen
    const sample = () => {
      if (seen.at(-1) !== el.value) seen.push(el.value)
      if (seen.length < 500 && !el.value.endsWith('today.')) requestAnimationFrame(sample)
    }
    sample()
  })
  await page.getByRole('button', { name: 'Draft reply' }).click()
  await expect(body).toHaveValue('Hello Casey, your kettle is on its way today.')
  const shown = await page.evaluate(() => (window as unknown as { composerValues: string[] }).composerValues)
  expect(
    shown.some((v) => v.startsWith('Hello') && v !== 'Hello Casey, your kettle is on its way today.'),
  ).toBe(true)
  await expect(page.getByTestId('ai-status')).toHaveText(/Draft ready/)
  expect(fake.requests.at(-1)?.body.stream).toBe(true)

  // Cancel stops the stream and the upstream request.
  await body.fill('')
  fake.respond = () => ({ content: 'one two three four five six seven eight nine ten', chunkDelayMs: 300 })
  await page.getByRole('button', { name: 'Draft reply' }).click()
  await expect(body).toHaveValue(/one/)
  await page.getByRole('button', { name: 'Cancel draft' }).click()
  await expect(page.getByTestId('ai-status')).toHaveText('Draft stopped.')
  // That closing the connection aborts the upstream call is asserted over HTTP in
  // tests/integration/ai-http.test.ts: Chromium may keep reading a cancelled response for a while
  // to reuse its connection, so the browser cannot prove it here.
  await expect(body).not.toHaveValue(/ten/)

  // Rewrite: a preview, the agent's text untouched until Accept; Discard keeps it.
  await body.fill('teh kettle is late')
  fake.respond = () => ({ content: JSON.stringify({ text: 'The kettle is late. <b>bold</b>' }) })
  await page.getByRole('button', { name: 'Rewrite' }).click()
  await expect(page.getByTestId('ai-preview')).toHaveText('The kettle is late. <b>bold</b>')
  await expect(body).toHaveValue('teh kettle is late')
  await page.getByRole('button', { name: 'Discard' }).click()
  await expect(body).toHaveValue('teh kettle is late')
  await page.getByRole('button', { name: 'Rewrite' }).click()
  await page.getByRole('button', { name: 'Accept' }).click()
  await expect(body).toHaveValue('The kettle is late. <b>bold</b>')

  // Click → first token on screen with the fake answering at once, measured by the composer.
  // Target: p95 under 150 ms. On a shared machine the whole run can be slower than that, so each
  // sample is paired with the page's own reload of its data (a .data GET for the ticket page: the
  // session, the ticket, its thread; about as many database round trips as the draft makes before
  // its call, plus none of its hop to the model), taken right before it: past 150 ms, the first
  // token must still come within 3 times that reload's p95 (about 2 times measured at load 26:
  // first token p50 70 / p95 131 ms, reload 35 / 72 ms). Work added before the first token (a wait,
  // the answer buffered, more queries) fails either way.
  fake.respond = () => ({ content: 'Quick answer for you.' })
  const reloads: number[] = []
  for (let i = 0; i < 20; i++) {
    await body.fill('')
    reloads.push(
      await page.evaluate(async () => {
        const started = performance.now()
        await (await fetch(`${location.pathname}.data`)).text()
        return performance.now() - started
      }),
    )
    await page.getByRole('button', { name: 'Draft reply' }).click()
    await expect(body).toHaveValue('Quick answer for you.')
    samples.push(Number(await page.getByTestId('ai-tools').getAttribute('data-first-token-ms')))
  }
  const p50 = (values: number[]) => values.toSorted((a, b) => a - b)[Math.ceil(values.length * 0.5) - 1]!
  const p95 = (values: number[]) => values.toSorted((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]!
  const baseline = p95(reloads)
  console.log(
    `Draft reply click → first token on screen: p50 ${p50(samples)} ms, p95 ${p95(samples)} ms; ` +
      `the page's reload in the same run: p50 ${p50(reloads).toFixed(0)} ms, p95 ${baseline.toFixed(0)} ms (n=20)`,
  )
  expect(p95(samples)).toBeLessThan(Math.max(150, 3 * baseline))
})

test('Translate to Spanish puts the translation in the composer to review; Restore original, Send with the original as a note, Undo brings it back as a translation; offline it says so and keeps the text', async ({
  page,
  browser,
}) => {
  const id = unique()
  const slug = `ai-tr-${id}`
  await signUp(page, 'Dana Agent', `dana-${id}@example.com`, 'AI Translate Co', slug)
  // Triage finds the customer's language: on in the workspace's AI settings.
  await page.goto(`/w/${slug}/settings/ai`)
  await page.getByLabel('Triage', { exact: true }).check()
  await page.getByRole('button', { name: 'Save AI settings' }).click()
  await expect(page.getByLabel('Triage', { exact: true })).toBeChecked()
  fake.respond = (request) => {
    const system = request.messages[0]?.content ?? ''
    if (system.includes('You triage')) {
      return {
        content: JSON.stringify({
          priority: 'normal',
          tags: [],
          language: 'es',
          sentiment: 'neutral',
          gist: 'Kettle not delivered',
        }),
      }
    }
    if (system.includes("translate a support agent's reply")) {
      const text = request.messages.at(-1)?.content ?? ''
      return {
        content: JSON.stringify({
          text: text.includes('Another') ? 'Otra línea.' : 'Su hervidor sale hoy.',
        }),
      }
    }
    return { content: JSON.stringify({ text: 'Sin respuesta' }) }
  }
  const { context } = await submitSupportForm(browser, slug, {
    name: 'Carmen Cliente',
    email: `carmen-${id}@example.net`,
    subject: 'Hervidor',
    message: 'Mi hervidor no ha llegado.',
  })
  await context.close()
  const translate = page.getByRole('button', { name: 'Translate to Spanish' })
  // The triage job runs in the background: the page offers translations once it found the language.
  await expect(async () => {
    await page.goto(`/w/${slug}/tickets/1`)
    await expect(page.getByRole('button', { name: 'Translate from Spanish' })).toHaveCount(1, {
      timeout: 1_000,
    })
  }).toPass({ timeout: 30_000 })
  await waitForHydration(page, 'textarea[name="body"]')
  const body = page.getByLabel(/Reply to Carmen Cliente/)
  const review = page.getByTestId('translation-review')

  await body.click()
  await body.fill('Your kettle ships today.')
  await translate.click()
  await expect(body).toHaveValue('Su hervidor sale hoy.')
  await expect(review).toContainText(
    'This reply is an AI translation into Spanish: review it before you send.',
  )
  // Focus goes on in the text to review (the button was disabled while it waited), never <body>.
  await expect(body).toBeFocused()
  await review.getByText('Your original', { exact: true }).click()
  await expect(page.getByTestId('translation-original')).toHaveText('Your kettle ships today.')

  // Translate again while it shows the translation (edited): refused, nothing asked.
  const asked = fake.requests.length
  await body.click()
  await body.press('Control+End')
  await body.pressSequentially(' Saludos')
  await translate.click()
  await expect(page.getByText('Your reply is already translated')).toBeVisible()
  await expect(body).toHaveValue('Su hervidor sale hoy. Saludos')
  expect(fake.requests.length).toBe(asked)

  await review.getByRole('button', { name: 'Restore original' }).click()
  await expect(body).toHaveValue('Your kettle ships today.')
  await expect(review).toHaveCount(0)
  await expect(body).toBeFocused()

  await translate.click()
  await expect(body).toHaveValue('Su hervidor sale hoy.')
  await page.getByRole('button', { name: 'Send reply' }).click()
  const thread = page.getByRole('article')
  await expect(thread.filter({ hasText: 'Su hervidor sale hoy.' })).toHaveCount(1)
  await expect(thread.filter({ hasText: "Dana Agent's original:" })).toContainText('Your kettle ships today.')

  // Undo send (the toast's, with JavaScript): the note goes with the reply, and the composer
  // shows the translation to review again, the original with it.
  await page.getByRole('button', { name: 'Undo' }).click()
  await expect(body).toHaveValue('Su hervidor sale hoy.')
  await expect(review).toContainText('This reply is an AI translation into Spanish')
  await expect(thread.filter({ hasText: "Dana Agent's original:" })).toHaveCount(0)
  await expect(thread.filter({ hasText: 'Su hervidor sale hoy.' })).toHaveCount(0)
  // Sent again: one reply and one note, also once released and the page read again.
  await page.getByRole('button', { name: 'Send reply' }).click()
  await expect(page.getByRole('button', { name: 'Undo' })).toHaveCount(0, { timeout: 15_000 })
  await page.reload()
  await expect(thread.filter({ hasText: "Dana Agent's original:" })).toHaveCount(1)
  await expect(thread.filter({ hasText: 'Su hervidor sale hoy.' })).toHaveCount(1)

  // Offline: the button says so, and the text stays as typed.
  await waitForHydration(page, 'textarea[name="body"]')
  await body.click()
  await body.fill('Another line.')
  await page.context().setOffline(true)
  await translate.click()
  await expect(page.getByText(/^Not translated: Switchboard could not be reached/)).toBeVisible()
  await expect(body).toHaveValue('Another line.')
  await expect(review).toHaveCount(0)
  expect(await page.evaluate(() => document.activeElement === document.body)).toBe(false)
  await page.context().setOffline(false)
  await translate.click()
  await expect(body).toHaveValue('Otra línea.')

  // Found by a tester: select all, delete, type a reply of one's own. The mark stayed (the review
  // line, the saved original, a note "translated by AI" on Send) and Translate was refused. Now it
  // goes as soon as the text is no longer the translation, and the composer says so.
  const written = 'Unrelated new English reply, written from scratch.'
  await expect(review).toBeVisible()
  await body.press('Control+a')
  await body.press('Delete')
  await body.pressSequentially(written)
  await expect(review).toHaveCount(0)
  await expect(page.getByTestId('translation-dropped')).toBeVisible()
  // Translate is not refused: the new text is translated as the agent's own.
  await translate.click()
  await expect(body).toHaveValue('Su hervidor sale hoy.')
  await expect(page.getByTestId('translation-original')).toHaveText(written)
  // Select all and type over it (the field never empty): the mark goes too.
  await body.press('Control+a')
  await body.pressSequentially(written)
  await expect(review).toHaveCount(0)
  // Saved without it: the page read again shows no review line.
  await expect(async () => {
    await page.reload()
    await expect(body).toHaveValue(written, { timeout: 1_000 })
  }).toPass({ timeout: 10_000 })
  await expect(review).toHaveCount(0)
  await waitForHydration(page, 'textarea[name="body"]')
  await page.getByRole('button', { name: 'Send reply' }).click()
  await expect(thread.filter({ hasText: written })).toHaveCount(1)
  // No note says it was translated: the one from the earlier reply only.
  await expect(thread.filter({ hasText: "Dana Agent's original:" })).toHaveCount(1)
})
