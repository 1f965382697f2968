import { expect, test, type FrameLocator, type Page } from '@playwright/test'
import { INBOUND_DOMAIN, postInbound, signUp, unique } from './helpers.ts'

/** An HTML email as a mail client writes it, with an attachment when asked. */
function htmlEmail(input: { from: string; to: string; subject: string; html: string; file?: string }) {
  const boundary = `b-${unique()}`
  const headers = [
    'MIME-Version: 1.0',
    'Date: Mon, 7 Dec 2026 09:00:00 +0000',
    `Message-ID: <${unique()}@mail.example.net>`,
    `Subject: ${input.subject}`,
    `From: Casey Customer <${input.from}>`,
    `To: ${input.to}`,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ]
  const parts = [
    `--${boundary}\r\nContent-Type: text/html; charset="UTF-8"\r\n\r\n${input.html}\r\n`,
    ...(input.file
      ? [
          `--${boundary}\r\nContent-Type: application/pdf; name="${input.file}"\r\nContent-Disposition: attachment; filename="${input.file}"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n`,
        ]
      : []),
  ]
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${parts.join('')}--${boundary}--\r\n`, 'utf8')
}

/** A new workspace of its own, signed in, and the forwarding address its customer writes to. */
async function newWorkspace(page: Page, prefix: string) {
  const id = unique()
  const slug = `${prefix}-${id}`
  await signUp(page, 'Hana Html', `hana-${id}@example.com`, 'Html Co', slug)
  return { id, slug, customer: `casey-${id}@example.net`, forwarding: `${slug}.support@${INBOUND_DOMAIN}` }
}

async function openTicket(page: Page, slug: string, subject: string) {
  await expect(async () => {
    await page.goto(`/w/${slug}/tickets`)
    await expect(page.getByRole('link', { name: subject })).toBeVisible({ timeout: 1_000 })
  }).toPass({ timeout: 30_000 })
  await page.getByRole('link', { name: subject }).click()
  await expect(page.getByRole('heading', { name: subject })).toBeVisible()
}

/** The WCAG contrast of an element's text against the first background under it. */
async function contrastOf(frame: FrameLocator, text: string) {
  return frame.getByText(text).evaluate((element) => {
    const rgb = (value: string) => value.match(/[\d.]+/g)!.map(Number)
    const lum = (value: string) => {
      const [r, g, b] = rgb(value).map((c) => {
        const s = c / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      })
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
    }
    let background = 'rgb(255, 255, 255)'
    for (let at: Element | null = element; at; at = at.parentElement) {
      const value = getComputedStyle(at).backgroundColor
      if (value !== 'rgba(0, 0, 0, 0)' && value !== 'transparent') {
        background = value
        break
      }
    }
    const [hi, lo] = [lum(getComputedStyle(element).color), lum(background)].sort((a, b) => b - a)
    return (hi! + 0.05) / (lo! + 0.05)
  })
}

test('an HTML email reads right at 390 px: dark email readable, frame fits its email, long file names wrap', async ({
  page,
  request,
}) => {
  const { id, slug, customer, forwarding } = await newWorkspace(page, 'html')

  const dark = `Dark theme ${id}`
  await postInbound(
    request,
    htmlEmail({
      from: customer,
      to: forwarding,
      subject: dark,
      html: '<html><body bgcolor="#000" style="background:#000; color:#fff"><div style="background:#1a1a2e;color:#ffffff">The refund never arrived.</div><p><font color="#ffffff">Order 5512, paid on 1 December.</font></p><table><tr><td style="background-image:url(https://cdn.example.invalid/hero.jpg)"><span style="color:#fff">Sent from my phone</span></td></tr></table><div style="display:none;max-height:0;overflow:hidden">Preheader you should not see</div><img src="https://cdn.example.invalid/receipt.png" alt="receipt"><div class="gmail_quote"><div class="gmail_attr">On Sun, Dec 6, 2026 Html Co wrote:</div><blockquote class="gmail_quote">Has the refund arrived?</blockquote></div><img src="https://t.example.invalid/open.gif" width="1" height="1"></body></html>',
      file: `${'Quarterly_statement_with_a_very_long_name_'.repeat(4)}final.pdf`,
    }),
    forwarding,
  )
  await page.setViewportSize({ width: 390, height: 844 })
  await openTicket(page, slug, dark)

  // The long file name wraps in its chip: the page does not scroll sideways.
  const chip = page.getByRole('list', { name: 'Attachments' }).getByRole('link')
  await expect(chip).toContainText('final.pdf')
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  const box = (await chip.boundingBox())!
  expect(box.x + box.width).toBeLessThanOrEqual(390)

  const iframe = page.locator('iframe[title="Email"]')
  const frame = page.frameLocator('iframe[title="Email"]')
  await iframe.scrollIntoViewIfNeeded()
  // Readable: white on the email's own dark backgrounds, dark where its background was an image.
  for (const text of ['The refund never arrived.', 'Order 5512, paid on 1 December.', 'Sent from my phone']) {
    await expect(frame.getByText(text)).toBeVisible()
    expect(await contrastOf(frame, text), text).toBeGreaterThan(4.5)
  }
  await expect(frame.getByText('Preheader you should not see')).toBeHidden()

  // The frame is as tall as its email, not a fixed 384 px box.
  const fitted = async () => {
    const frameHeight = (await iframe.boundingBox())!.height
    const content = await frame.locator('html').evaluate((html) => html.getBoundingClientRect().height)
    return Math.abs(frameHeight - content)
  }
  await expect.poll(fitted).toBeLessThanOrEqual(4)
  expect((await iframe.boundingBox())!.height).toBeLessThan(384)

  // The quoted history is behind a link naming it; showing it keeps "Load images" and back.
  await expect(frame.getByText('Has the refund arrived?')).toBeHidden()
  await frame
    .getByRole('link', { name: 'Show quoted text: earlier message (On Sun, Dec 6, 2026 Html Co wrote:)' })
    .click()
  await expect(frame.getByText('Has the refund arrived?')).toBeVisible()
  await expect.poll(fitted).toBeLessThanOrEqual(4)
  await frame.getByRole('link', { name: 'Load images' }).click()
  await expect(frame.getByRole('link', { name: 'Hide quoted text' })).toBeVisible()
  await expect(frame.getByText('Has the refund arrived?')).toBeVisible()
  await expect(frame.getByRole('link', { name: 'Load images' })).toHaveCount(0)
  await frame.getByRole('link', { name: 'Hide quoted text' }).click()
  await expect(frame.getByText('Has the refund arrived?')).toBeHidden()
  await expect(frame.getByRole('link', { name: /^Show quoted text/ })).toBeVisible()
  await expect(frame.getByRole('link', { name: 'Load images' })).toHaveCount(0)
})

test('a long HTML email’s frame stops at 80% of the window and scrolls; a plain one offers no links', async ({
  page,
  request,
}) => {
  const { id, slug, customer, forwarding } = await newWorkspace(page, 'long')
  const subject = `Long email ${id}`
  const paragraphs = Array.from({ length: 80 }, (_, i) => `<p>Line ${i + 1} of the log.</p>`).join('')
  await postInbound(
    request,
    htmlEmail({ from: customer, to: forwarding, subject, html: `<div>${paragraphs}</div>` }),
    forwarding,
  )
  await page.setViewportSize({ width: 1440, height: 900 })
  await openTicket(page, slug, subject)
  const iframe = page.locator('iframe[title="Email"]')
  const frame = page.frameLocator('iframe[title="Email"]')
  await iframe.scrollIntoViewIfNeeded()
  await expect(frame.getByText('Line 80 of the log.')).toBeAttached()
  await expect.poll(async () => (await iframe.boundingBox())!.height).toBeGreaterThan(600)
  expect((await iframe.boundingBox())!.height).toBeLessThanOrEqual(900 * 0.8 + 1)
  expect(await frame.locator('html').evaluate((html) => html.scrollHeight > html.clientHeight)).toBe(true)
  await expect(frame.getByRole('link')).toHaveCount(0)
})
