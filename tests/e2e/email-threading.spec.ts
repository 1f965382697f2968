import { expect, test, type Page } from '@playwright/test'
import { INBOUND_DOMAIN, openFromOutbox, postInbound, signUp, unique } from './helpers.ts'

/** A plain-text customer email, as a mail client writes it (CRLF, its own Message-ID). */
function customerEmail(input: {
  from: string
  to: string
  subject: string
  messageId: string
  body: string
  inReplyTo?: string
  references?: string
}) {
  const headers = [
    'MIME-Version: 1.0',
    'Date: Wed, 2 Dec 2026 09:00:00 +0000',
    `Message-ID: ${input.messageId}`,
    ...(input.inReplyTo ? [`In-Reply-To: ${input.inReplyTo}`] : []),
    ...(input.references ? [`References: ${input.references}`] : []),
    `Subject: ${input.subject}`,
    `From: Casey Customer <${input.from}>`,
    `To: ${input.to}`,
    'Content-Type: text/plain; charset="UTF-8"',
  ]
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${input.body}\r\n`, 'utf8')
}

/** The header values of the newest outbox email to `to` whose subject matches (waits for the job). */
async function outboxHeaders(page: Page, to: string, subject: RegExp) {
  await openFromOutbox(page, to, subject, 45_000)
  const headers = page.getByRole('region', { name: 'Headers' })
  await expect(headers).toBeVisible()
  const value = async (name: string) =>
    (
      await headers
        .locator('dt', { hasText: new RegExp(`^${name}$`) })
        .locator('xpath=following-sibling::dd[1]')
        .innerText()
    ).trim()
  return {
    replyTo: await value('Reply-To'),
    inReplyTo: await value('In-Reply-To'),
    references: await value('References'),
    messageId: await value('Message-ID'),
  }
}

test('an inbound email becomes a ticket, the agent replies, and the customer’s answer threads back', async ({
  page,
  request,
}) => {
  const id = unique()
  const slug = `mail-${id}`
  const customer = `casey-${id}@example.net`
  const forwarding = `${slug}.support@${INBOUND_DOMAIN}`
  await signUp(page, 'Mia Mail', `mia-${id}@example.com`, 'Mail Co', slug)
  // The reply goes out at once (no 5 s undo window to wait out; undo send has its own tests).
  await page.goto('/account')
  await page.getByLabel('Undo send').selectOption('0')
  await page.getByRole('button', { name: 'Save undo send' }).click()
  await expect(page.getByText('Undo send delay saved.')).toBeVisible()

  // 1. The customer's email arrives through Inbound Parse and becomes a ticket in the inbox.
  const firstId = `<first-${id}@mail.example.net>`
  await postInbound(
    request,
    customerEmail({
      from: customer,
      to: `Mail Co Support <${forwarding}>`,
      subject: `Kettle lid cracked ${id}`,
      messageId: firstId,
      body: 'The lid cracked on the second day. Can you send a new one?',
    }),
    forwarding,
  )
  const subject = `Kettle lid cracked ${id}`
  await expect(async () => {
    await page.goto(`/w/${slug}/tickets`)
    await expect(page.getByRole('link', { name: subject })).toBeVisible({ timeout: 1_000 })
  }).toPass({ timeout: 20_000 })
  await page.getByRole('link', { name: subject }).click()
  await expect(page.getByRole('heading', { name: subject })).toBeVisible()
  const conversation = page.getByRole('list', { name: 'Conversation' })
  await expect(conversation.getByText('The lid cracked on the second day.')).toBeVisible()
  const ticketUrl = page.url()

  // 2. The agent replies; the email goes out threaded, with a reply-token Reply-To.
  await page.getByLabel(/Reply to Casey Customer/).fill('Sorry about that! A new lid is on its way.')
  await page.getByRole('button', { name: /^Send reply/ }).click()
  await expect(conversation.getByText('Sorry about that! A new lid is on its way.')).toBeVisible()

  const sent = await outboxHeaders(page, customer, new RegExp(`Re: ${subject}`))
  expect(sent.inReplyTo).toBe(firstId)
  expect(sent.references).toContain(firstId)
  expect(sent.messageId).toMatch(/^<.+@.+>$/)
  const token = new RegExp(
    `^${slug}\\.support\\+([a-z2-7]{16,})@${INBOUND_DOMAIN.replace('.', '\\.')}$`,
  ).exec(sent.replyTo)
  expect(token, `a reply-token address in Reply-To: ${sent.replyTo}`).not.toBeNull()

  // 3. The customer answers to that Reply-To address; it lands on the same ticket, by its token.
  await postInbound(
    request,
    customerEmail({
      from: customer,
      to: sent.replyTo,
      subject: `Re: ${subject}`,
      messageId: `<second-${id}@mail.example.net>`,
      inReplyTo: sent.messageId,
      references: `${firstId} ${sent.messageId}`,
      body: 'Great, thank you! It arrived today.',
    }),
    sent.replyTo,
  )
  // A reload each time: a goto of the ticket's own URL (it ends in #latest) from the ticket page
  // is a same-document jump, which showed the page as it was until the 20 s ran out.
  await page.goto(ticketUrl)
  await expect(async () => {
    await page.reload()
    await expect(conversation.getByText('Great, thank you! It arrived today.')).toBeVisible({
      timeout: 1_000,
    })
  }).toPass({ timeout: 20_000 })
  const answer = conversation.getByRole('listitem').filter({ hasText: 'Great, thank you! It arrived today.' })
  await answer.getByText('Email details').click()
  await expect(answer.getByText(/Threaded here by its reply address/)).toBeVisible()
  // Still one ticket: nothing new in the inbox under the reply's subject.
  await page.goto(`/w/${slug}/tickets`)
  await expect(page.getByRole('link', { name: subject })).toHaveCount(1)
})
